import Foundation
import Testing
@testable import TunePrep
import TunePrepSamples

@Suite("Orientation")
struct OrientationTests {
    /// What a camera stores for each tag, given the upright scene: the inverse turn.
    private func stored(_ upright: PixelBuffer, for orientation: Orientation) -> PixelBuffer {
        switch orientation {
        case .right: upright.oriented(.left)
        case .left: upright.oriented(.right)
        default: upright.oriented(orientation)  // the other six undo themselves
        }
    }

    @Test("all eight EXIF orientations come out upright, pixel for pixel (PNG eXIf)", arguments: Orientation.allCases)
    func pngOrientations(orientation: Orientation) throws {
        let upright = Fixtures.pattern(width: 48, height: 32)
        let data = try Fixtures.png(stored(upright, for: orientation), orientation: orientation.rawValue)
        let exif = EXIFReader.read(data, format: .png)
        #expect(exif.orientation == orientation && exif.problem == nil)
        let turned = try Fixtures.decode(data).oriented(exif.orientation)
        #expect(turned.width == 48 && turned.height == 32)
        #expect(turned.bytes == upright.bytes)
    }

    @Test("JPEG APP1 orientations come out upright through prepare, with no EXIF left", arguments: Orientation.allCases)
    func jpegOrientations(orientation: Orientation) async throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let upright = Fixtures.pattern(width: 600, height: 400)
        _ = try Fixtures.write(try Fixtures.jpeg(stored(upright, for: orientation), orientation: orientation.rawValue, gps: true), "in/photo.jpg", in: folder)
        var options = Fixtures.smallOptions()
        options.maxSide = 300
        let set = try await Preparer(options: options).prepare([folder.appendingPathComponent("in").path], into: folder.appendingPathComponent("out"))
        let image = try #require(set.manifest.images.first)
        #expect(image.orientationApplied == orientation.rawValue)
        let output = try Data(contentsOf: try #require(set.imageFiles.first))
        #expect(!Fixtures.jpegMarkers(output).contains(0xE1), "no APP1 (EXIF/XMP) in the output")
        let decoded = try Fixtures.decode(output)
        #expect(decoded.width == 300 && decoded.height == 200)
        let reference = Resampler.resize(upright, width: 300, height: 200)
        #expect(Fixtures.meanError(decoded, reference) < 3, "orientation \(orientation)")
    }

    @Test("malformed EXIF never fails an image: orientation 1 and a warning")
    func malformedEXIF() throws {
        let cases: [[UInt8]] = [
            Array("Exif".utf8) + [0, 0, 0x12, 0x34],                       // no byte-order mark
            Array("Exif".utf8) + [0, 0] + [0x4D, 0x4D, 0, 42, 0, 0, 0xFF, 0],  // IFD far outside
            Array("Exif".utf8) + [0, 0] + EXIFWriter.tiff(orientation: 9),  // out of range
            Array("Exif".utf8) + [0, 0] + Array(EXIFWriter.tiff(orientation: 6).prefix(12)),  // cut short
        ]
        for app1 in cases {
            let data = try FixtureEncoder.jpeg(samples: Fixtures.pattern(width: 16, height: 16).bytes, width: 16, height: 16, app1: app1)
            let reading = EXIFReader.read(data, format: .jpeg)
            #expect(reading.orientation == .up)
            #expect(reading.problem != nil)
            let folder = try Fixtures.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: folder) }
            let outcome = PhotoProcessor(options: Fixtures.smallOptions()).process(index: 0, url: try Fixtures.write(data, "x.jpg", in: folder), path: "x.jpg", emit: nil)
            #expect(!outcome.hasError)
            #expect(outcome.findings.map(\.code) == [.malformedEXIF])
        }
    }

    @Test("GPS presence is seen (so it can be stripped knowingly)")
    func gps() throws {
        let data = try Fixtures.jpeg(Fixtures.pattern(width: 8, height: 8), orientation: 1, gps: true)
        #expect(EXIFReader.read(data, format: .jpeg).hasGPS)
    }
}

@Suite("Resizing")
struct ResizeTests {
    @Test("never upscales; the long side is capped; aspect is kept")
    func targetSize() {
        #expect(PhotoProcessor.targetSize(width: 800, height: 600, maxSide: 2048) == (800, 600))
        #expect(PhotoProcessor.targetSize(width: 4032, height: 3024, maxSide: 2048) == (2048, 1536))
        #expect(PhotoProcessor.targetSize(width: 3024, height: 4032, maxSide: 2048) == (1536, 2048))
        #expect(PhotoProcessor.targetSize(width: 4608, height: 1976, maxSide: 2048) == (2048, 878))
    }

    @Test("DCT scale: the smallest M/8 that leaves the resampler at least 2x to reduce, 8 in place of 5-7")
    func dctScale() {
        #expect(PhotoProcessor.dctScale(longSide: 8192, target: 2048) == 4)  // 4096: exactly 2x left
        #expect(PhotoProcessor.dctScale(longSide: 8160, target: 2048) == 8)  // 4/8 leaves 1.99x
        #expect(PhotoProcessor.dctScale(longSide: 5640, target: 2048) == 8)  // was 3/8, leaving 1.03x
        #expect(PhotoProcessor.dctScale(longSide: 4032, target: 2048) == 8)
        #expect(PhotoProcessor.dctScale(longSide: 2048, target: 2048) == 8)
        #expect(PhotoProcessor.dctScale(longSide: 11000, target: 2048) == 3)  // 4125: 2.01x left
        #expect(PhotoProcessor.dctScale(longSide: 16384, target: 2048) == 2)
        #expect(PhotoProcessor.dctScale(longSide: 32768, target: 2048) == 1)
    }

    @Test("flat colour stays exactly flat")
    func flat() {
        let out = Resampler.resize(Fixtures.solid(width: 301, height: 199, 10, 128, 250), width: 97, height: 64)
        #expect(Set(stride(from: 0, to: out.byteCount, by: 3).map { out.pixels[$0] }) == [10])
        #expect(Set(stride(from: 2, to: out.byteCount, by: 3).map { out.pixels[$0] }) == [250])
    }

    @Test("a fine checkerboard shrinks to even grey, not to aliasing patterns")
    func antialiasing() {
        let (w, h) = (400, 400)
        let board = PixelBuffer(width: w, height: h, rgb: (0..<(w * h)).flatMap { i -> [UInt8] in
            let v: UInt8 = ((i % w) + (i / w)) % 2 == 0 ? 255 : 0
            return [v, v, v]
        })
        let out = Resampler.resize(board, width: 57, height: 57)
        let values = stride(from: 0, to: out.byteCount, by: 3).map { Int(out.pixels[$0]) }
        #expect(values.allSatisfy { abs($0 - 128) <= 6 }, "range \(values.min()!)...\(values.max()!)")
    }
}
