import Foundation
import Testing
import TunePrep  // not @testable: the README's example uses only the public API
import TunePrepSamples

/// The README's library example, verbatim inside a function, so it keeps compiling.
@Suite("README example")
struct LibraryExampleTests {
    @Test("the README's library example compiles and runs on the samples")
    func readmeExample() async throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try SampleSet.write(to: folder.appendingPathComponent("photos"))
        FileManager.default.changeCurrentDirectoryPath(folder.path)

        // README example begins
        var options = Fixtures.filesOnly()
        options.maxSide = 1536
        let preparer = Preparer(options: options)

        let report = try await preparer.check(["photos"])
        for image in report.images where image.verdict == .rejected {
            print(image.source, image.findings.map(\.message))
        }

        let set = try await preparer.prepare(["photos"], into: URL(fileURLWithPath: "staged"))
        print(set.manifest.summary.staged, "photos staged;", set.isUsable ? "ready to submit" : "not usable")
        // README example ends

        #expect(report.summary.staged == 6)
        #expect(set.isUsable && set.imageFiles.count == 6)
    }
}
