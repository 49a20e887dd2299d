import Foundation
import Testing
import TunePrep
import TunePrepSamples

/// `tuneprep check` and `tuneprep prepare`, run as a user runs them, on the sample photos.
@Suite("prepare and check commands")
struct PrepareCommandTests {
    private func samples() throws -> URL {
        let folder = try TuneprepBinary.temporaryDirectory()
        try SampleSet.write(to: folder.appendingPathComponent("photos"))
        return folder
    }

    @Test("check prints the table and summary and exits 0 for a usable set")
    func checkUsable() throws {
        let folder = try samples()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try TuneprepBinary.run(["check", "photos", "--no-person-checks"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("FILE") == true && lines.first?.contains("VERDICT") == true)
        #expect(lines.contains { $0.hasPrefix("photos/07-too-small.jpg") && $0.contains("too-small") && $0.contains("480x360") })
        #expect(lines.contains { $0.hasPrefix("photos/08-duplicate-of-01.jpg") && $0.contains("duplicate") && $0.contains("byte-identical to photos/01-portrait.jpg") })
        #expect(lines.contains { $0.hasPrefix("photos/09-truncated.jpg") && $0.contains("corrupt") })
        #expect(lines.contains { $0.hasPrefix("photos/06-rotated-by-exif.jpg") && $0.contains("960x1280") && $0.contains(" ok") })
        #expect(lines.last?.hasPrefix("9 photos: 6 usable, 3 rejected, 0 warnings;") == true)
        #expect(lines.last?.hasSuffix("set is usable") == true)
        // Not a terminal: progress comes as plain lines on stderr.
        #expect(result.stderr.contains("[9/9] "))
        #expect(!result.stderr.contains("\r"))
    }

    @Test("check exits 1 when set checks fail, 2 for usage and I/O errors")
    func exitCodes() throws {
        let folder = try samples()
        defer { try? FileManager.default.removeItem(at: folder) }
        let tooFew = try TuneprepBinary.run(["check", "photos", "--no-person-checks", "--min-images", "7", "--quiet"], in: folder)
        #expect(tooFew.status == 1)
        #expect(tooFew.stdout.contains("6 usable images; at least 7 needed"))
        #expect(tooFew.stderr.isEmpty, "--quiet prints no progress")
        let missing = try TuneprepBinary.run(["check", "no-such-folder"], in: folder)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no-such-folder: no such file or folder"))
        let usage = try TuneprepBinary.run(["check"], in: folder)
        #expect(usage.status == 2)
        #expect(usage.stderr.contains("give at least one photo or folder"))
        let badOption = try TuneprepBinary.run(["check", "photos", "--no-person-checks", "--quality", "0"], in: folder)
        #expect(badOption.status == 2)
    }

    @Test("check --json prints the manifest prepare would write")
    func checkJSON() throws {
        let folder = try samples()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try TuneprepBinary.run(["check", "photos", "--no-person-checks", "--json", "--quiet"], in: folder)
        #expect(result.status == 0)
        let manifest = try Manifest.makeDecoder().decode(Manifest.self, from: Data(result.stdout.utf8))
        #expect(manifest.summary.staged == 6 && manifest.images.count == 9)
        #expect(result.stdout.contains("\"orientation_applied\" : 6"))
    }

    @Test("prepare writes the set, prints its path, and refuses to overwrite without --force")
    func prepare() throws {
        let folder = try samples()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try TuneprepBinary.run(["prepare", "photos", "--no-person-checks", "--out", "set"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "set\n")
        #expect(result.stderr.contains("set is usable"))
        let set = try StagedSet.load(from: folder.appendingPathComponent("set"))
        #expect(set.imageFiles.map(\.lastPathComponent) == ["01.jpg", "02.jpg", "03.jpg", "04.jpg", "05.jpg", "06.jpg"])

        let again = try TuneprepBinary.run(["prepare", "photos", "--no-person-checks", "--out", "set"], in: folder)
        #expect(again.status == 2)
        #expect(again.stderr.contains("already exists (use --force to replace it)"))
        let forced = try TuneprepBinary.run(["prepare", "photos", "--no-person-checks", "--out", "set", "--force", "--max-side", "800"], in: folder)
        #expect(forced.status == 0)
        let replaced = try StagedSet.load(from: folder.appendingPathComponent("set"))
        #expect(replaced.manifest.images.compactMap(\.output).allSatisfy { max($0.width, $0.height) <= 800 })
    }

    @Test("too many images: the manifest states the fact, the table adds the flag to raise")
    func tooManyImagesHint() throws {
        let folder = try samples()
        defer { try? FileManager.default.removeItem(at: folder) }
        let table = try TuneprepBinary.run(["check", "photos", "--no-person-checks", "--max-images", "1", "--min-images", "0"], in: folder)
        #expect(table.status == 1)
        #expect(table.stdout.contains("usable images; at most 1 allowed (choose the best, or raise --max-images)"), "\(table.stdout)")
        let json = try TuneprepBinary.run(["check", "photos", "--no-person-checks", "--json", "--quiet", "--max-images", "1", "--min-images", "0"], in: folder)
        let manifest = try Manifest.makeDecoder().decode(Manifest.self, from: Data(json.stdout.utf8))
        let finding = try #require(manifest.findings.first { $0.code == .tooManyImages })
        #expect(finding.message.hasSuffix("usable images; at most 1 allowed") && !finding.message.contains("--"), "\(finding.message)")
    }
}
