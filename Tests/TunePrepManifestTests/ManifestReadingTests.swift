import Foundation
import Testing
@testable import TunePrepManifest

/// The one reader of a staged set's manifest, which TunePrep and AstriaClient share.
@Suite("reading a staged set's manifest")
struct ManifestReadingTests {
    /// A set of `names` (each file written) with a manifest listing them.
    func writeSet(_ names: [String], schema: Int = Manifest.currentSchemaVersion, writeFiles: Bool = true) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("manifest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var images: [Manifest.Image] = []
        for name in names {
            if writeFiles, Manifest.isFileName(name) { try Data([0xFF, 0xD8]).write(to: folder.appendingPathComponent(name)) }
            images.append(Manifest.Image(
                source: "/photos/\(name)", sourceSha256: nil, sourceBytes: 2, sourceFormat: "jpeg", sourceWidth: 1, sourceHeight: 1,
                verdict: .staged, output: Manifest.Output(name: name, sha256: "00", width: 1, height: 1, bytes: 2, quality: 92),
                orientationApplied: 1, colorProfile: nil, scores: nil, findings: []))
        }
        let manifest = Manifest(
            schemaVersion: schema, tool: .init(name: "tuneprep", version: "0"), setId: "tp-test", options: PrepareOptions(),
            images: images, summary: .init(inputs: names.count, staged: names.count, rejected: 0, warnings: 0, totalBytes: 2, usable: true),
            findings: [])
        try Manifest.makeEncoder().encode(manifest).write(to: folder.appendingPathComponent(Manifest.fileName))
        return folder
    }

    @Test func aSetIsReadWithItsFilesInOrder() throws {
        let folder = try writeSet(["01.jpg", "02.jpg"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let manifest = try Manifest.read(from: folder)
        #expect(manifest.setId == "tp-test" && manifest.stagedNames == ["01.jpg", "02.jpg"])
        #expect(manifest.stagedFiles(in: folder).map(\.lastPathComponent) == ["01.jpg", "02.jpg"])
    }

    @Test("each refusal says what was refused and why", arguments: [
        ("../../etc/passwd", "staged file name \"../../etc/passwd\" is not a file name"),
        ("a/b.jpg", "staged file name \"a/b.jpg\" is not a file name"),
        ("..", "staged file name \"..\" is not a file name"),
        ("", "staged file name \"\" is not a file name"),
    ])
    func namesThatLeaveTheSetAreRefused(name: String, message: String) throws {
        let folder = try writeSet(["01.jpg", name])
        defer { try? FileManager.default.removeItem(at: folder) }
        let error = #expect(throws: ManifestReadError.self) { try Manifest.read(from: folder) }
        #expect(error == .notAFileName(name) && error?.description == message)
    }

    @Test func aMissingFileANewerSchemaAndNoManifestAreRefused() throws {
        let missing = try writeSet(["01.jpg"], writeFiles: false)
        let newer = try writeSet(["01.jpg"], schema: Manifest.currentSchemaVersion + 1)
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("manifest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { for folder in [missing, newer, empty] { try? FileManager.default.removeItem(at: folder) } }

        #expect(throws: ManifestReadError.missingFile("01.jpg")) { try Manifest.read(from: missing) }
        #expect(throws: ManifestReadError.newerSchema(Manifest.currentSchemaVersion + 1)) { try Manifest.read(from: newer) }
        #expect(throws: ManifestReadError.unreadable(reason: "No such file or directory")) { try Manifest.read(from: empty) }
        #expect(ManifestReadError.unreadable(reason: "No such file or directory").description
            == "cannot read manifest.json: No such file or directory")
        try Data("{\"schema_version\": 1}".utf8).write(to: empty.appendingPathComponent(Manifest.fileName))
        let error = #expect(throws: ManifestReadError.self) { try Manifest.read(from: empty) }
        #expect(error?.description.hasPrefix("manifest.json is not a TunePrep manifest: ") == true, "\(String(describing: error))")
    }
}

/// AstriaClient reads staged sets through TunePrepManifest: an upload-only consumer must still
/// build no imaging, face or resampling code. Read from the package's own manifest.
@Suite("what an upload-only consumer builds")
struct UploadOnlyDependencyTests {
    @Test func astriaClientBuildsNoImagingCode() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("dump-package-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // A throwaway scratch path: dump-package only evaluates Package.swift, and this way it
        // never waits for the lock of the build running these tests.
        process.arguments = ["swift", "package", "--package-path", root.path, "--scratch-path", scratch.path, "dump-package"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)

        let package = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let targets = try #require(package["targets"] as? [[String: Any]])
        var dependencies: [String: [String]] = [:]
        for target in targets {
            guard let name = target["name"] as? String else { continue }
            dependencies[name] = (target["dependencies"] as? [[String: Any]] ?? []).compactMap { dependency in
                ((dependency["byName"] ?? dependency["target"]) as? [Any])?.first as? String
            }
        }
        var reached: Set<String> = []
        var queue = ["AstriaClient"]
        while let next = queue.popLast() {
            guard reached.insert(next).inserted else { continue }
            queue += dependencies[next] ?? []
        }
        #expect(reached.contains("TunePrepManifest"))
        for imaging in ["TunePrep", "CTunePrepImaging", "CTunePrepResample", "CTunePrepFaces", "CDlib", "CJPEG", "CPNG", "CHEIF", "CWebP", "CLCMS"] {
            #expect(!reached.contains(imaging), "AstriaClient reaches \(imaging): \(reached.sorted())")
        }
    }
}
