import Foundation
import Testing
@testable import TunePrep

@Suite("Encoding")
struct EncodingTests {
    @Test("outputs are JFIF with no metadata markers, and byte-identical run to run")
    func cleanAndDeterministic() async throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = try Fixtures.write(try Fixtures.jpeg(Fixtures.pattern(width: 900, height: 700), orientation: 6, gps: true), "in/a.jpg", in: folder)
        _ = try Fixtures.write(try Fixtures.png(Fixtures.noise(width: 300, height: 300)), "in/b.png", in: folder)
        let input = folder.appendingPathComponent("in").path
        let first = try await Preparer(options: Fixtures.smallOptions()).prepare([input], into: folder.appendingPathComponent("one"))
        let second = try await Preparer(options: Fixtures.smallOptions(), workers: 1).prepare([input], into: folder.appendingPathComponent("two"))
        #expect(first.manifest == second.manifest)
        for (a, b) in zip(first.imageFiles, second.imageFiles) {
            let data = try Data(contentsOf: a)
            #expect(data == (try Data(contentsOf: b)))
            let markers = Fixtures.jpegMarkers(data)
            #expect(markers.first == 0xE0, "JFIF APP0 first")
            #expect(!markers.contains { (0xE1...0xEF).contains($0) || $0 == 0xFE }, "no APPn but APP0, no COM: \(markers)")
        }
        #expect(first.manifest.images.allSatisfy { $0.output?.quality == 92 })
    }

    @Test("fitted Huffman tables change only the size: smaller file, the same decoded pixels")
    func optimizedHuffman() throws {
        let image = Fixtures.noise(width: 320, height: 240)
        let standard = try JPEGEncoder.encode(image, options: .init(quality: 92, fullChroma: false))
        let fitted = try JPEGEncoder.encode(image, options: .init(quality: 92, fullChroma: false, optimizeHuffman: true))
        #expect(fitted.count < standard.count, "\(fitted.count) vs \(standard.count)")
        #expect(try Fixtures.decode(fitted).bytes == Fixtures.decode(standard).bytes)
    }

    @Test("options recorded before --optimize-huffman existed still decode, with its default")
    func olderOptions() throws {
        var json = String(decoding: try Manifest.makeEncoder().encode(PrepareOptions()), as: UTF8.self)
        #expect(json.contains("\"optimize_huffman\""))
        json = json.replacingOccurrences(of: "\"optimize_huffman\" : false,", with: "")
        #expect(!json.contains("optimize_huffman"))
        let options = try Manifest.makeDecoder().decode(PrepareOptions.self, from: Data(json.utf8))
        #expect(options == PrepareOptions())
    }

    @Test("a JPEG resized while it decodes still shrinks under --max-bytes: decoded again for the smaller size, upright")
    func sizeCapAfterStreamedResize() throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let jpeg = try Fixtures.jpeg(Fixtures.noise(width: 1200, height: 900), quality: 95, orientation: 6)
        let url = try Fixtures.write(jpeg, "turned.jpg", in: folder)
        var options = Fixtures.smallOptions()
        options.maxSide = 600
        let full = PhotoProcessor(options: options).process(index: 0, url: url, path: "turned.jpg", emit: nil)
        let fullOutput = try #require(full.output)
        #expect(fullOutput.width == 450 && fullOutput.height == 600)

        options.maxBytes = fullOutput.bytes / 4
        let shrunk = PhotoProcessor(options: options).process(index: 0, url: url, path: "turned.jpg", emit: nil)
        let output = try #require(shrunk.output, "\(shrunk.findings)")
        #expect(output.bytes <= options.maxBytes)
        #expect(output.quality == options.minQuality)
        #expect(output.height < 600 && output.width < output.height, "still upright: \(output.width)x\(output.height)")
        #expect(shrunk.findings.map(\.code) == [.compressedHarder])
    }

    @Test("over --max-bytes: quality steps down to the floor, then the size shrinks, and it is reported")
    func sizeCap() async throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = try Fixtures.write(try Fixtures.png(Fixtures.noise(width: 800, height: 800)), "noise.png", in: folder)
        var options = Fixtures.smallOptions()
        let full = PhotoProcessor(options: options).process(index: 0, url: url, path: "noise.png", emit: nil)
        let fullBytes = try #require(full.output?.bytes)

        options.maxBytes = fullBytes * 85 / 100
        let lowered = PhotoProcessor(options: options).process(index: 0, url: url, path: "noise.png", emit: nil)
        let loweredOutput = try #require(lowered.output)
        #expect(loweredOutput.bytes <= options.maxBytes)
        #expect(loweredOutput.quality < 92 && loweredOutput.quality >= 80)
        #expect(loweredOutput.width == 800)
        #expect(lowered.findings.map(\.code) == [.compressedHarder])

        options.maxBytes = fullBytes / 4
        let shrunk = PhotoProcessor(options: options).process(index: 0, url: url, path: "noise.png", emit: nil)
        let shrunkOutput = try #require(shrunk.output)
        #expect(shrunkOutput.bytes <= options.maxBytes)
        #expect(shrunkOutput.quality == 80)
        #expect(shrunkOutput.width < 800)

        options.maxBytes = 10_000
        options.minSide = 700
        let impossible = PhotoProcessor(options: options).process(index: 0, url: url, path: "noise.png", emit: nil)
        #expect(impossible.output == nil)
        #expect(impossible.findings.map(\.code) == [.outputTooLarge])
    }
}
