import Foundation
import Testing
@testable import TunePrep

@Suite("Staging")
struct StagingTests {
    /// A folder like a customer's upload: good photos, a small one, a copy, a truncated one,
    /// a hidden file, a nested folder.
    private func upload(in folder: URL) throws -> URL {
        let photos = folder.appendingPathComponent("photos")
        let good = try Fixtures.jpeg(Fixtures.pattern(width: 1200, height: 900))
        _ = try Fixtures.write(good, "photos/b-good.jpg", in: folder)
        _ = try Fixtures.write(try Fixtures.jpeg(Fixtures.noise(width: 700, height: 900)), "photos/a-good.jpg", in: folder)
        _ = try Fixtures.write(try Fixtures.png(Fixtures.pattern(width: 640, height: 700)), "photos/nested/c-good.png", in: folder)
        _ = try Fixtures.write(try Fixtures.jpeg(Fixtures.pattern(width: 800, height: 600), orientation: 8), "photos/d-rotated.jpg", in: folder)
        _ = try Fixtures.write(try Fixtures.jpeg(Fixtures.pattern(width: 300, height: 200)), "photos/e-small.jpg", in: folder)
        _ = try Fixtures.write(good, "photos/f-copy.jpg", in: folder)
        _ = try Fixtures.write(good.prefix(good.count / 2), "photos/g-truncated.jpg", in: folder)
        _ = try Fixtures.write(good, "photos/.hidden.jpg", in: folder)
        return photos
    }

    @Test("prepare writes a staged set with stable names, a full manifest, and leaves sources alone")
    func prepare() async throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let photos = try upload(in: folder)
        let sourceHashes = try FileManager.default.subpathsOfDirectory(atPath: photos.path).sorted().compactMap { path -> String? in
            let url = photos.appendingPathComponent(path)
            return (try? Data(contentsOf: url)).map { path + Fixtures.sha256($0) }
        }
        let out = folder.appendingPathComponent("staged")
        let set = try await Preparer(options: Fixtures.plainOptions()).prepare([photos.path], into: out)

        let m = set.manifest
        #expect(m.images.map { ($0.source as NSString).lastPathComponent } == ["a-good.jpg", "b-good.jpg", "d-rotated.jpg", "e-small.jpg", "f-copy.jpg", "g-truncated.jpg", "c-good.png"])
        #expect(m.images.map(\.verdict) == [.staged, .staged, .staged, .rejected, .rejected, .rejected, .staged])
        #expect(m.images.compactMap(\.output?.name) == ["01.jpg", "02.jpg", "03.jpg", "04.jpg"])
        #expect(m.images[2].orientationApplied == 8 && m.images[2].output?.width == 600 && m.images[2].output?.height == 800)
        #expect(m.images[3].findings.map(\.code) == [.tooSmall])
        #expect(m.images[4].findings.map(\.code) == [.duplicate] && m.images[4].findings[0].related == m.images[1].source)
        #expect(m.images[5].findings.map(\.code) == [.corrupt])
        #expect(m.summary == Manifest.Summary(inputs: 7, staged: 4, rejected: 3, warnings: 0, totalBytes: m.images.compactMap(\.output?.bytes).reduce(0, +), usable: true))
        #expect(m.setId.hasPrefix("tp-") && m.setId.count == 23)

        let written = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        #expect(written == ["01.jpg", "02.jpg", "03.jpg", "04.jpg", "manifest.json"])
        for image in m.images {
            guard let output = image.output else { continue }
            let data = try Data(contentsOf: out.appendingPathComponent(output.name))
            #expect(Fixtures.sha256(data) == output.sha256 && data.count == output.bytes)
            #expect(image.sourceSha256 != nil)
        }
        let reloaded = try StagedSet.load(from: out)
        #expect(reloaded.manifest == m)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["photos", "staged"], "no partial folders left")

        let after = try FileManager.default.subpathsOfDirectory(atPath: photos.path).sorted().compactMap { path -> String? in
            (try? Data(contentsOf: photos.appendingPathComponent(path))).map { path + Fixtures.sha256($0) }
        }
        #expect(after == sourceHashes, "sources are never modified")
    }

    @Test("an existing set is refused without --force and replaced whole with it")
    func existing() async throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let photos = try upload(in: folder)
        let out = folder.appendingPathComponent("staged")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: out.appendingPathComponent("old.txt"))
        await #expect(throws: StagingError.outputExists(out.path)) {
            _ = try await Preparer(options: Fixtures.plainOptions()).prepare([photos.path], into: out)
        }
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("old.txt").path))
        _ = try await Preparer(options: Fixtures.plainOptions()).prepare([photos.path], into: out, force: true)
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("old.txt").path))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("manifest.json").path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["photos", "staged"])
    }

    @Test("cancelling leaves nothing behind")
    func cancel() async throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let photos = try upload(in: folder)
        let out = folder.appendingPathComponent("staged")
        let task = Task { try await Preparer(options: Fixtures.plainOptions(), workers: 1).prepare([photos.path], into: out) }
        task.cancel()
        await #expect(throws: StagingError.cancelled) { _ = try await task.value }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["photos"])
    }

    @Test("identical pixels after orientation are duplicates, reported as a pair")
    func pixelDuplicates() async throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let upright = Fixtures.pattern(width: 640, height: 520)
        _ = try Fixtures.write(try Fixtures.png(upright), "in/1-upright.png", in: folder)
        _ = try Fixtures.write(try Fixtures.png(upright.oriented(.left), orientation: 6), "in/2-stored-rotated.png", in: folder)
        let report = try await Preparer(options: Fixtures.smallOptions()).check([folder.appendingPathComponent("in").path])
        #expect(report.images[1].findings.map(\.code) == [.duplicate])
        #expect(report.images[1].findings.first?.related == report.images[0].source)
        #expect(report.summary.staged == 1)
    }

    @Test("set checks: too few, too many, total size")
    func setChecks() async throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let photos = try upload(in: folder)
        var options = Fixtures.plainOptions()
        options.minImages = 5
        var report = try await Preparer(options: options).check([photos.path])
        #expect(report.findings.map(\.code) == [.tooFewImages] && !report.summary.usable)
        options.minImages = 1
        options.maxImages = 3
        report = try await Preparer(options: options).check([photos.path])
        #expect(report.findings.map(\.code) == [.tooManyImages] && !report.summary.usable)
        // A fact, with the values; the command adds what its user can do about it.
        #expect(report.findings.first?.message.hasSuffix("usable images; at most 3 allowed") == true, "\(report.findings)")
        options.maxImages = 20
        options.maxTotalBytes = 1000
        report = try await Preparer(options: options).check([photos.path])
        #expect(report.findings.map(\.code) == [.totalTooLarge] && !report.summary.usable)
    }

    @Test("inputs: missing paths are errors; files are taken whatever their extension")
    func inputs() async throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        await #expect(throws: StagingError.inputNotFound("/no/such/folder")) {
            _ = try await Preparer(options: Fixtures.filesOnly()).check(["/no/such/folder"])
        }
        await #expect(throws: StagingError.noInputs) { _ = try await Preparer(options: Fixtures.filesOnly()).check([]) }
        // Folders holding no photo at all (empty, or only hidden files) are refused, and nothing is written.
        let empty = folder.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty.appendingPathComponent(".hidden"), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: empty.appendingPathComponent(".DS_Store"))
        await #expect(throws: StagingError.noPhotosFound([empty.path])) {
            _ = try await Preparer(options: Fixtures.filesOnly()).check([empty.path])
        }
        let out = folder.appendingPathComponent("set")
        await #expect(throws: StagingError.noPhotosFound([empty.path])) {
            _ = try await Preparer(options: Fixtures.filesOnly()).prepare([empty.path], into: out)
        }
        #expect(!FileManager.default.fileExists(atPath: out.path))
        #expect(StagingError.noPhotosFound(["a", "b"]).description == "no photos found in a, b")
        let url = try Fixtures.write(try Fixtures.jpeg(Fixtures.pattern(width: 600, height: 600)), "photo.png", in: folder)
        let report = try await Preparer(options: Fixtures.smallOptions()).check([url.path, url.path])
        #expect(report.images.count == 1, "the same file twice counts once")
        #expect(report.images.first?.sourceFormat == "jpeg")
    }
}
