import Foundation
import SystemPackage

/// Why a folder's `manifest.json` was not taken as a staged set's: each case says what was refused
/// and why, with the values. TunePrep's `StagedSet.load` and AstriaClient's `SubmittableSet.load`
/// both read through ``Manifest/read(from:)``, so they refuse the same folders in the same words.
public enum ManifestReadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be opened or read (`reason` as the C library says it).
    case unreadable(reason: String)
    /// The file is not JSON in the manifest's shape.
    case notAManifest(detail: String)
    /// The manifest's layout is newer than ``Manifest/currentSchemaVersion``.
    case newerSchema(Int)
    /// A staged file's name is not a plain file name inside the set (empty, `.`, `..`, or with a `/`).
    case notAFileName(String)
    /// A staged file the manifest lists is not in the folder.
    case missingFile(String)

    public var description: String {
        switch self {
        case .unreadable(let reason): "cannot read \(Manifest.fileName): \(reason)"
        case .notAManifest(let detail): "\(Manifest.fileName) is not a TunePrep manifest: \(detail)"
        case .newerSchema(let version):
            "manifest schema \(version) is newer than this tool understands (\(Manifest.currentSchemaVersion))"
        case .notAFileName(let name): "staged file name \"\(name)\" is not a file name"
        case .missingFile(let name): "staged file \(name) is missing"
        }
    }
}

extension Manifest {
    /// Reads `directory/manifest.json` and checks it: a schema this build understands, staged
    /// file names that stay inside the set, and every staged file present.
    public static func read(from directory: URL) throws(ManifestReadError) -> Manifest {
        let data = try readFile(directory.appendingPathComponent(fileName).path)
        let decoder = makeDecoder()
        // The version first: a newer layout is named as such, not as a shape this build cannot decode.
        struct Version: Decodable { var schemaVersion: Int }
        let version: Int
        do {
            version = try decoder.decode(Version.self, from: data).schemaVersion
        } catch {
            throw .notAManifest(detail: "\(error)")
        }
        guard version <= currentSchemaVersion else { throw .newerSchema(version) }
        let manifest: Manifest
        do {
            manifest = try decoder.decode(Manifest.self, from: data)
        } catch {
            throw .notAManifest(detail: "\(error)")
        }
        for name in manifest.stagedNames {
            guard isFileName(name) else { throw .notAFileName(name) }
            guard FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) else {
                throw .missingFile(name)
            }
        }
        return manifest
    }

    /// The staged files' names, in manifest order.
    public var stagedNames: [String] { images.compactMap { $0.output?.name } }

    /// The staged files inside `directory`, in manifest order.
    public func stagedFiles(in directory: URL) -> [URL] {
        stagedNames.map { directory.appendingPathComponent($0) }
    }

    /// A name is a file inside the set: never a path that leaves it.
    static func isFileName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains("/") && name != "." && name != ".."
    }

    /// The whole file at `path`.
    private static func readFile(_ path: String) throws(ManifestReadError) -> Data {
        do {
            let file = try FileDescriptor.open(FilePath(path), .readOnly, options: .closeOnExec)
            return try file.closeAfter {
                var data = Data()
                var buffer = [UInt8](repeating: 0, count: 64 << 10)
                while true {
                    let count = try buffer.withUnsafeMutableBytes { try file.read(into: $0) }
                    if count == 0 { return data }
                    data.append(contentsOf: buffer[0..<count])
                }
            }
        } catch let error as Errno {
            throw .unreadable(reason: error.description)
        } catch {
            throw .unreadable(reason: "\(error)")
        }
    }
}
