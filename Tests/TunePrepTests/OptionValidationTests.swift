import Foundation
import Testing
@testable import TunePrep

@Suite("Options out of range are refused by the library, never trapped on")
struct OptionValidationTests {
    @Test("the defaults have no problems")
    func defaults() {
        #expect(PrepareOptions().problems.isEmpty)
    }

    @Test("every out-of-range option is named with its value, before any photo is read")
    func refused() async throws {
        var options = PrepareOptions()
        options.maxSide = -5
        options.quality = 500
        options.maxBytes = Int.max
        options.maxPixels = 0
        options.thresholds.maxClippedShare = .nan
        options.personChecks.detectionSide = Int.max
        options.personChecks.otherPersonFraction = .infinity
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = try Fixtures.write(try Fixtures.jpeg(Fixtures.pattern(width: 64, height: 64)), "a.jpg", in: folder)
        do {
            _ = try await Preparer(options: options, workers: 1).check([folder.path])
            Issue.record("options out of range were accepted")
        } catch {
            guard case .invalidOptions(let problems) = error else { Issue.record("unexpected error \(error)"); return }
            let text = problems.joined(separator: "\n")
            for name in ["maxSide is -5", "quality is 500", "maxBytes is \(Int.max)", "maxPixels is 0", "maxClippedShare is nan",
                         "detectionSide is \(Int.max)", "otherPersonFraction is inf"] {
                #expect(text.contains(name), "\(name) missing from: \(text)")
            }
            #expect(problems.count == 7)
            #expect(error.description.hasPrefix("invalid options: "))
        }
        // prepare refuses them too and writes nothing.
        let out = folder.appendingPathComponent("set")
        await #expect(throws: StagingError.self) { _ = try await Preparer(options: options, workers: 1).prepare([folder.path], into: out) }
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }
}
