import Foundation

/// A staged set on disk: a directory of prepared JPEGs and the manifest that describes them.
public struct StagedSet: Sendable {
    /// The staged directory itself.
    public let directory: URL
    /// The set's manifest, as read from `manifest.json`.
    public let manifest: Manifest

    /// Reads `manifest.json` from `directory` and checks that every staged file it lists exists.
    public static func load(from directory: URL) throws(StagingError) -> StagedSet {
        let manifestURL = directory.appendingPathComponent(Manifest.fileName)
        let data: Data
        do {
            data = try Data(contentsOf: manifestURL)
        } catch {
            throw .notAStagedSet(directory.path, reason: "cannot read \(Manifest.fileName): \(error.localizedDescription)")
        }
        let manifest: Manifest
        do {
            manifest = try Manifest.makeDecoder().decode(Manifest.self, from: data)
        } catch {
            throw .notAStagedSet(directory.path, reason: "\(Manifest.fileName) is not a TunePrep manifest: \(error)")
        }
        guard manifest.schemaVersion <= Manifest.currentSchemaVersion else {
            throw .notAStagedSet(directory.path, reason: "manifest schema \(manifest.schemaVersion) is newer than this tool understands (\(Manifest.currentSchemaVersion))")
        }
        let set = StagedSet(directory: directory, manifest: manifest)
        for file in set.imageFiles where !FileManager.default.fileExists(atPath: file.path) {
            throw .notAStagedSet(directory.path, reason: "staged file \(file.lastPathComponent) is missing")
        }
        return set
    }

    /// The staged JPEGs, in manifest order.
    public var imageFiles: [URL] {
        manifest.images.compactMap { $0.output.map { directory.appendingPathComponent($0.name) } }
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
        case .outputExists(let path): "\(path) already exists (use --force to replace it)"
        case .cannotWrite(let path, let reason): "\(path): cannot write: \(reason)"
        case .notAStagedSet(let path, let reason): "\(path) is not a staged set: \(reason)"
        case .cancelled: "cancelled; nothing was written"
        case .invalidOptions(let problems): "invalid options: " + problems.joined(separator: "; ")
        }
    }
}
