import Foundation
import Testing
@testable import TunePrep

/// The shared corpus of real photos and real broken files, judged against what independent
/// decoders (Pillow, djpeg, pngcheck, exiftool) concluded in expected.json.
@Suite("Corpus", .enabled(if: Corpus.isAvailable, Corpus.skipReason))
struct CorpusTests {
    private func path(_ name: String) -> String { Corpus.root.appendingPathComponent(name).path }

    @Test("photos/: verdicts match expected.json; accepted photos come out upright with no EXIF")
    func photos() async throws {
        let expected = try Corpus.expected()
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        var options = Fixtures.filesOnly()
        options.maxImages = 100
        let set = try await Preparer(options: options).prepare([path("photos")], into: folder.appendingPathComponent("set"))
        let prefix = Corpus.root.path + "/"
        var checked = 0
        for image in set.manifest.images {
            let name = String(image.source.dropFirst(prefix.count))
            let entry = try #require(expected[name], "\(name) is in expected.json")
            checked += 1
            switch (entry.format, entry.verdict) {
            case (_, "ok"):
                let output = try #require(image.output, "\(name) accepted: \(image.findings)")
                let ow = try #require(entry.orientedWidth), oh = try #require(entry.orientedHeight)
                #expect((output.width >= output.height) == (ow >= oh), "\(name) keeps its oriented aspect")
                #expect(abs(Double(output.width) / Double(output.height) - Double(ow) / Double(oh)) < 0.01, "\(name)")
                #expect(max(output.width, output.height) == min(2048, max(ow, oh)))
                let data = try Data(contentsOf: set.directory.appendingPathComponent(output.name))
                #expect(!Fixtures.jpegMarkers(data).contains(0xE1), "\(name): no EXIF/GPS in the output")
                #expect(EXIFReader.read(data, format: .jpeg).present == false)
            case (_, "too-small"):
                #expect(image.findings.contains { $0.code == .tooSmall }, "\(name)")
                #expect(image.output == nil)
            default:
                #expect(image.output == nil, "\(name) must not be accepted")
            }
        }
        #expect(checked == expected.keys.filter { $0.hasPrefix("photos/") }.count)
    }

    @Test("Landscape_N and Portrait_N all match their _1 after preparing")
    func orientationSet() async throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        var options = Fixtures.filesOnly()
        options.maxImages = 100
        options.maxSide = 900
        let set = try await Preparer(options: options).prepare([path("photos/orientation")], into: folder.appendingPathComponent("set"))
        var decoded: [String: PixelBuffer] = [:]
        for image in set.manifest.images {
            let output = try #require(image.output, "\(image.source): \(image.findings)")
            decoded[(image.source as NSString).lastPathComponent] = try Fixtures.decode(Data(contentsOf: set.directory.appendingPathComponent(output.name)))
        }
        for kind in ["Landscape", "Portrait"] {
            let reference = try #require(decoded["\(kind)_1.jpg"])
            for n in [0, 2, 3, 4, 5, 6, 7, 8] {
                let other = try #require(decoded["\(kind)_\(n).jpg"])
                #expect(other.width == reference.width && other.height == reference.height, "\(kind)_\(n)")
                guard other.width == reference.width && other.height == reference.height else { continue }
                let error = Fixtures.meanError(other, reference)
                #expect(error < 4, "\(kind)_\(n) differs from \(kind)_1 by \(error) on average")
            }
        }
    }

    @Test("bad/: never accepted, never a crash")
    func bad() async throws {
        let report = try await Preparer(options: Fixtures.filesOnly()).check([path("bad")])
        #expect(report.images.count == (try Corpus.expected()).keys.filter { $0.hasPrefix("bad/") }.count)
        for image in report.images {
            #expect(image.output == nil, "\(image.source) must be rejected")
            #expect(image.findings.contains { $0.severity == .error }, "\(image.source) has a reason")
        }
    }

    @Test("edge/pngsuite: every file decodes (too small, never corrupt)")
    func pngSuite() async throws {
        let report = try await Preparer(options: Fixtures.filesOnly()).check([path("edge/pngsuite")])
        #expect(!report.images.isEmpty)
        for image in report.images {
            #expect(image.findings.filter { $0.severity == .error }.map(\.code) == [.tooSmall], "\(image.source): \(image.findings)")
        }
        var options = Fixtures.filesOnly()
        options.minSide = 1
        options.minImages = 0
        options.maxImages = 1000
        let accepted = try await Preparer(options: options).check([path("edge/pngsuite")])
        // Byte-identical files of the suite are duplicates; everything else stages.
        #expect(accepted.images.allSatisfy { $0.output != nil || $0.findings.filter { $0.severity == .error }.map(\.code) == [.duplicate] })
    }

    @Test("edge/: odd but valid files decode; verdicts match expected.json")
    func edge() async throws {
        let expected = try Corpus.expected()
        let report = try await Preparer(options: Fixtures.filesOnly()).check([path("edge/pillow"), path("edge/odd-exif")])
        let prefix = Corpus.root.path + "/"
        for image in report.images {
            let name = String(image.source.dropFirst(prefix.count))
            let entry = try #require(expected[name])
            let codes = image.findings.filter { $0.severity == .error }.map(\.code)
            switch (entry.format, entry.verdict) {
            case (_, "ok"): #expect(codes.isEmpty, "\(name): \(image.findings)")
            case (_, "too-small"):
                // libjpeg-turbo 2.1 reports this file's damaged segment as a premature end
                // (data loss), which TunePrep refuses; newer djpeg skips it as extraneous bytes.
                if name == "edge/pillow/hopper_bad_exif.jpg" {
                    #expect(codes == [.tooSmall] || codes == [.corrupt], "\(name): \(image.findings)")
                } else {
                    #expect(codes == [.tooSmall], "\(name): \(image.findings)")
                }
            default: #expect(image.output == nil, "\(name)")
            }
            if entry.exifOrientation != nil, let width = entry.orientedWidth, let height = entry.orientedHeight {
                #expect(image.sourceWidth == width && image.sourceHeight == height, "\(name) orientation")
            }
        }
    }
}
