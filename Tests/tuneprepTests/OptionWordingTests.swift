import Foundation
import Testing
import TunePrep
import TunePrepSamples

/// Options that take sizes with units, and option combinations that cannot work.
@Suite("option wording")
struct OptionWordingTests {
    @Test("--max-bytes and --max-total take kB/MB; --min-quality above --quality is refused")
    func sizesAndQualityFloor() throws {
        let folder = try TuneprepBinary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try SampleSet.write(to: folder.appendingPathComponent("photos"))

        let sized = try TuneprepBinary.run(["check", "--no-person-checks", "photos", "--json", "--quiet", "--max-bytes", "3MB", "--max-total", "40MB"], in: folder)
        #expect(sized.status == 0, "\(sized.stderr)")
        let manifest = try Manifest.makeDecoder().decode(Manifest.self, from: Data(sized.stdout.utf8))
        #expect(manifest.options.maxBytes == 3_000_000 && manifest.options.maxTotalBytes == 40_000_000)
        let kilo = try TuneprepBinary.run(["check", "--no-person-checks", "photos", "--json", "--quiet", "--max-bytes", "500kB"], in: folder)
        #expect(try Manifest.makeDecoder().decode(Manifest.self, from: Data(kilo.stdout.utf8)).options.maxBytes == 500_000)

        let badUnit = try TuneprepBinary.run(["check", "--no-person-checks", "photos", "--max-bytes", "3XB"], in: folder)
        #expect(badUnit.status == 2 && badUnit.stderr.contains("--max-bytes"))

        let floor = try TuneprepBinary.run(["check", "--no-person-checks", "photos", "--quality", "85", "--min-quality", "90"], in: folder)
        #expect(floor.status == 2)
        #expect(floor.stderr.contains("--min-quality 90 is above --quality 85"), "\(floor.stderr)")
    }

    @Test("a negative number is read as the option's value, so it gets the range error, not \"Missing value\"")
    func negativeNumbersGetTheRangeError() throws {
        let folder = try TuneprepBinary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try SampleSet.write(to: folder.appendingPathComponent("photos"))
        for (option, message) in [("--max-side", "--max-side is -5; it must be 16 to"), ("--quality", "--quality is -5; it must be 1 to 100"), ("--workers", "--workers must be 1 to 256")] {
            let result = try TuneprepBinary.run(["check", "--no-person-checks", "photos", option, "-5"], in: folder)
            #expect(result.status == 2)
            #expect(result.stderr.contains(message), "\(option): \(result.stderr)")
            #expect(!result.stderr.contains("Missing value"))
        }
        // -1 is a documented value (off): it must be accepted.
        let off = try TuneprepBinary.run(["check", "--no-person-checks", "photos", "--quiet", "--json", "--near-duplicate-bits", "-1"], in: folder)
        #expect(off.status == 0, "\(off.stderr)")
        let port = try TuneprepBinary.run(["serve-mock", "--port", "-1"], in: folder)
        #expect(port.status == 2 && port.stderr.contains("--port must be 0 to 65535"), "\(port.stderr)")
    }

    @Test("a folder with no photos at all is a usage error naming it; nothing is written")
    func noPhotosFound() throws {
        let folder = try TuneprepBinary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("empty/sub"), withIntermediateDirectories: true)
        for command in [["check", "empty"], ["prepare", "empty", "--out", "set"]] {
            let result = try TuneprepBinary.run(command + ["--no-person-checks"], in: folder)
            #expect(result.status == 2)
            #expect(result.stderr == "tuneprep: no photos found in empty\n", "\(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("set").path))
    }
}
