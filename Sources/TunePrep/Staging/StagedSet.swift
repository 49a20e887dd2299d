import Foundation

/// A staged set on disk: a directory of prepared JPEGs and the manifest that describes them.
public struct StagedSet: Sendable {
    /// The staged directory itself.
    public let directory: URL
    /// The set's manifest, as read from `manifest.json`.
    public let manifest: Manifest

    /// Reads `manifest.json` from `directory` and checks it (``Manifest/read(from:)``): a schema
    /// this build understands, staged file names inside the set, every staged file present.
    public static func load(from directory: URL) throws(StagingError) -> StagedSet {
        do {
            return StagedSet(directory: directory, manifest: try Manifest.read(from: directory))
        } catch {
            throw .notAStagedSet(directory.path, reason: error.description)
        }
    }

    /// The staged JPEGs, in manifest order.
    public var imageFiles: [URL] {
        manifest.stagedFiles(in: directory)
    }

    /// True when the set passed its checks and may be submitted.
    public var isUsable: Bool { manifest.summary.usable }
}

/// Errors of the staging step: reading inputs and writing or reading a staged set.
public enum StagingError: Error, Sendable, Equatable, CustomStringConvertible {
    case noInputs
    case inputNotFound(String)
    /// The inputs exist but hold no file at all (empty folders, or only hidden files): named as given.
    case noPhotosFound([String])
    case cannotList(String, reason: String)
    /// The destination exists and replacing it was not asked for.
    case outputExists(String)
    case cannotWrite(String, reason: String)
    case notAStagedSet(String, reason: String)
    case cancelled
    /// Options the pipeline cannot honour (``PrepareOptions/problems``), each in words.
    case invalidOptions([String])

    public var description: String {
        switch self {
        case .noInputs: "no photos were given"
        case .inputNotFound(let path): "\(path): no such file or folder"
        case .noPhotosFound(let paths): "no photos found in \(paths.joined(separator: ", "))"
        case .cannotList(let path, let reason): "\(path): cannot list folder: \(reason)"
        case .outputExists(let path): "\(path) already exists"
        case .cannotWrite(let path, let reason): "\(path): cannot write: \(reason)"
        case .notAStagedSet(let path, let reason): "\(path) is not a staged set: \(reason)"
        case .cancelled: "cancelled; nothing was written"
        case .invalidOptions(let problems): "invalid options: " + problems.joined(separator: "; ")
        }
    }
}
