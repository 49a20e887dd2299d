import Foundation
import Testing
import TunePrep

/// Options that take sizes with units, and option combinations that cannot work.
@Suite("option wording")
struct OptionWordingTests {
    @Test("--max-bytes and --max-total take kB/MB; --min-quality above --quality is refused")
    func sizesAndQualityFloor() throws {
        let folder = try CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try SampleSet.write(to: folder.appendingPathComponent("photos"))

        let sized = try CommandRunner.run(["check", "--no-person-checks", "photos", "--json", "--quiet", "--max-bytes", "3MB", "--max-total", "40MB"], in: folder)
        #expect(sized.status == 0, "\(sized.stderr)")
        let manifest = try Manifest.makeDecoder().decode(Manifest.self, from: Data(sized.stdout.utf8))
        #expect(manifest.options.maxBytes == 3_000_000 && manifest.options.maxTotalBytes == 40_000_000)
        let kilo = try CommandRunner.run(["check", "--no-person-checks", "photos", "--json", "--quiet", "--max-bytes", "500kB"], in: folder)
        #expect(try Manifest.makeDecoder().decode(Manifest.self, from: Data(kilo.stdout.utf8)).options.maxBytes == 500_000)

        let badUnit = try CommandRunner.run(["check", "--no-person-checks", "photos", "--max-bytes", "3XB"], in: folder)
        #expect(badUnit.status == 2 && badUnit.stderr.contains("--max-bytes"))

        let floor = try CommandRunner.run(["check", "--no-person-checks", "photos", "--quality", "85", "--min-quality", "90"], in: folder)
        #expect(floor.status == 2)
        #expect(floor.stderr.contains("--min-quality 90 is above --quality 85"), "\(floor.stderr)")
    }
}
