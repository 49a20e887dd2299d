import Foundation

/// The models of each folder, loaded once for the life of the process. A failure is remembered
/// too, so a run reports it once and does not retry per photo.
final class ModelCache<Model: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var loaded: [String: Result<Model, FaceAnalysisError>] = [:]

    /// The model of `directory`, loaded by `load` the first time it is asked for.
    func model(in directory: URL, load: (URL) throws(FaceAnalysisError) -> Model) -> Result<Model, FaceAnalysisError> {
        lock.withLock {
            if let known = loaded[directory.path] { return known }
            let result = Result { () throws(FaceAnalysisError) in try load(directory) }
            loaded[directory.path] = result
            return result
        }
    }
}
