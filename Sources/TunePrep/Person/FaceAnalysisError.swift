/// Errors of the person checks' layer, each with what it was doing and why it failed.
public enum FaceAnalysisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The identity models are not in `directory` (the files named are missing).
    case modelsNotFound(directory: String, missing: [String])
    /// The CNN face detector's model file is not at `path`.
    case detectorModelNotFound(path: String)
    /// The body pose network's file is not at `path`.
    case poseModelNotFound(path: String)
    /// A model file is there but dlib or OpenCV could not load it.
    case modelUnreadable(reason: String)
    /// Face detection failed inside dlib (not: found no face).
    case detectionFailed(reason: String)
    /// The identity descriptor of a found face could not be computed.
    case descriptorFailed(reason: String)

    public var description: String {
        switch self {
        case .modelsNotFound(let directory, let missing):
            "identity models not found in \(directory) (missing \(missing.joined(separator: ", "))); "
                + "run scripts/install-models.sh or set \(IdentityModel.environmentVariable)"
        case .detectorModelNotFound(let path):
            "the CNN face detector's model \(path) is not installed; run scripts/install-models.sh or set \(IdentityModel.environmentVariable)"
        case .poseModelNotFound(let path):
            "the body pose network \(path) is not installed; run scripts/install-models.sh or set \(IdentityModel.environmentVariable)"
        case .modelUnreadable(let reason): "model cannot be loaded: \(reason)"
        case .detectionFailed(let reason): reason
        case .descriptorFailed(let reason): reason
        }
    }
}
