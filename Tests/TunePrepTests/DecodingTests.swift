import Foundation
import Testing
@testable import TunePrep
import TunePrepSamples

@Suite("Decoding")
struct DecodingTests {
    @Test("format is told by content, never by name")
    func sniffing() throws {
        #expect(ImageFormat.sniff(try Fixtures.jpeg(Fixtures.pattern(width: 8, height: 8))) == .jpeg)
        #expect(ImageFormat.sniff(try Fixtures.png(Fixtures.pattern(width: 8, height: 8))) == .png)
        #expect(ImageFormat.sniff(Data("<html><body>hi</body></html>".utf8)) == .unknown)
        #expect(ImageFormat.sniff(Data([0, 0, 0, 0x18] + Array("ftypheic".utf8) + [0, 0, 0, 0])) == .heif)
        #expect(ImageFormat.sniff(Data(Array("RIFF".utf8) + [1, 2, 3, 4] + Array("WEBP".utf8))) == .webp)
        #expect(ImageFormat.sniff(Data()) == .unknown)
    }

    @Test("JPEG colour models decode to the right RGB", arguments: [
        (FixtureEncoder.JPEGColor.gray, [UInt8](repeating: 200, count: 1), (200, 200, 200)),
        (.rgb, [30, 140, 220], (30, 140, 220)),
        (.cmyk, [255, 0, 0, 0], (0, 255, 255)),        // cyan ink
        (.adobeCMYK, [0, 255, 0, 0], (255, 0, 255)),   // magenta ink, stored inverted
        (.adobeCMYK, [0, 0, 0, 128], (127, 127, 127)), // half black
    ] as [(FixtureEncoder.JPEGColor, [UInt8], (Int, Int, Int))])
    func jpegColorModels(color: FixtureEncoder.JPEGColor, pixel: [UInt8], expected: (Int, Int, Int)) throws {
        let (w, h) = (32, 24)
        let samples = (0..<(w * h)).flatMap { _ in pixel }
        let data = try FixtureEncoder.jpeg(samples: samples, width: w, height: h, color: color, quality: 98)
        let decoded = try Fixtures.decode(data)
        #expect(decoded.width == w && decoded.height == h)
        let center = decoded[w / 2, h / 2]
        #expect(abs(Int(center.red) - expected.0) <= 4 && abs(Int(center.green) - expected.1) <= 4 && abs(Int(center.blue) - expected.2) <= 4,
                "\(color): got \(center), expected \(expected)")
    }

    @Test("progressive JPEG decodes like baseline")
    func progressive() throws {
        let image = Fixtures.pattern(width: 64, height: 48)
        let baseline = try Fixtures.decode(Fixtures.jpeg(image, quality: 95))
        let progressive = try Fixtures.decode(Fixtures.jpeg(image, quality: 95, progressive: true))
        #expect(Fixtures.meanError(baseline, progressive) < 0.5)
    }

    @Test("DCT-domain scaling gives ceil(size * M / 8)")
    func dctScaling() throws {
        let data = try Fixtures.jpeg(Fixtures.pattern(width: 100, height: 60))
        for m in [1, 2, 3, 4, 5, 7, 8] {
            let decoded = try ImageDecoder.decode(data, format: .jpeg, scaleEighths: m, limits: DecodeLimits(maxPixels: 1_000_000), background: .white)
            #expect(decoded.pixels.width == (100 * m + 7) / 8 && decoded.pixels.height == (60 * m + 7) / 8)
        }
    }

    /// Every PNG colour type and bit depth, interlaced or not, compared sample for sample with
    /// what the PNG specification says 8-bit RGB must be.
    @Test("PNG: every colour type and bit depth", arguments: [
        (FixtureEncoder.PNGColor.gray, 1), (.gray, 2), (.gray, 4), (.gray, 8), (.gray, 16),
        (.rgb, 8), (.rgb, 16), (.palette, 1), (.palette, 2), (.palette, 4), (.palette, 8),
        (.grayAlpha, 8), (.grayAlpha, 16), (.rgba, 8), (.rgba, 16),
    ] as [(FixtureEncoder.PNGColor, Int)])
    func pngColourTypes(color: FixtureEncoder.PNGColor, depth: Int) throws {
        let (w, h) = (13, 7)  // odd sizes exercise bit packing and Adam7's partial passes
        let levels = 1 << min(depth, 8)
        var expected: [UInt8] = []
        var samples: [UInt8] = []
        var palette: [UInt8] = []
        if color == .palette {
            for i in 0..<levels { palette += [UInt8(i * 255 / max(1, levels - 1)), UInt8(255 - i * 255 / max(1, levels - 1)), 77] }
        }
        for y in 0..<h {
            var bits: [Int] = []
            for x in 0..<w {
                let v = (x + y * 3) % levels
                switch color {
                case .gray:
                    bits.append(depth == 16 ? v * 257 : v)
                    let g = UInt8(v * 255 / (levels - 1))
                    expected += [g, g, g]
                case .palette:
                    bits.append(v)
                    expected += Array(palette[(v * 3)..<(v * 3 + 3)])
                case .rgb:
                    let c = [v, 255 - v, (v * 7) % 256]
                    for s in c { bits.append(depth == 16 ? s * 257 : s) }
                    expected += c.map(UInt8.init)
                case .grayAlpha:
                    bits += depth == 16 ? [v * 257, 65535] : [v, 255]
                    expected += [UInt8(v), UInt8(v), UInt8(v)]
                case .rgba:
                    let c = [v, 255 - v, 9]
                    for s in c { bits.append(depth == 16 ? s * 257 : s) }
                    bits.append(depth == 16 ? 65535 : 255)
                    expected += c.map(UInt8.init)
                }
            }
            samples += pack(bits, depth: depth)
        }
        for interlaced in [false, true] {
            let data = try FixtureEncoder.png(samples: samples, width: w, height: h, color: color, bitDepth: depth, interlaced: interlaced, palette: palette)
            let decoded = try Fixtures.decode(data)
            #expect(decoded.bytes == expected, "\(color) \(depth)-bit interlaced=\(interlaced)")
        }
    }

    private func pack(_ values: [Int], depth: Int) -> [UInt8] {
        switch depth {
        case 16: return values.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        case 8: return values.map(UInt8.init)
        default:
            var out: [UInt8] = []
            var current = 0, used = 0
            for v in values {
                current = current << depth | v
                used += depth
                if used == 8 { out.append(UInt8(current)); current = 0; used = 0 }
            }
            if used > 0 { out.append(UInt8(current << (8 - used))) }
            return out
        }
    }

    @Test("PNG transparency is composited onto the background")
    func pngTransparency() throws {
        // Palette entry 0 fully transparent, 1 half transparent red, 2 opaque blue.
        let palette: [UInt8] = [0, 255, 0, 255, 0, 0, 0, 0, 255]
        let data = try FixtureEncoder.png(samples: [0, 1, 2], width: 3, height: 1, color: .palette, palette: palette, transparency: [0, 128])
        let onWhite = try Fixtures.decode(data, background: .white)
        #expect(onWhite.bytes == [255, 255, 255, 255, 127, 127, 0, 0, 255])
        let onBlack = try Fixtures.decode(data, background: .black)
        #expect(onBlack.bytes == [0, 0, 0, 128, 0, 0, 0, 0, 255])
        let rgba = try FixtureEncoder.png(samples: [10, 20, 30, 0], width: 1, height: 1, color: .rgba)
        #expect(try Fixtures.decode(rgba, background: RGBColor(red: 1, green: 2, blue: 3)).bytes == [1, 2, 3])
    }

    @Test("a truncated JPEG or PNG is an error at every cut, never a grey-filled success")
    func truncations() throws {
        let image = Fixtures.pattern(width: 96, height: 64)
        for data in [try Fixtures.jpeg(image), try Fixtures.jpeg(image, progressive: true), try Fixtures.png(Fixtures.noise(width: 96, height: 64))] {
            let format = ImageFormat.sniff(data)
            for cut in stride(from: 0, to: data.count - 1, by: max(1, data.count / 61)) {
                let truncated = data.prefix(cut)
                #expect(throws: DecodingError.self, "\(format) cut at \(cut) of \(data.count)") {
                    _ = try ImageDecoder.decode(Data(truncated), format: format, scaleEighths: 8, limits: DecodeLimits(maxPixels: 1_000_000), background: .white)
                }
            }
        }
    }

    @Test("a JPEG over 1 MB is decoded while read from its file: the same pixels, hash and size as read whole")
    func streamedJPEG() async throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try Fixtures.jpeg(Fixtures.noise(width: 1400, height: 1000), quality: 98)
        #expect(data.count > SourceFile.headBytes, "the fixture must be over the kept beginning")
        let url = try Fixtures.write(data, "big.jpg", in: folder)

        let source = try SourceFile.open(url)
        #expect(!source.isWhole && source.data.count == SourceFile.headBytes && source.sha256 == nil)
        try source.load(keepWhole: false, limit: SourceFile.byteLimit(pixels: 1400 * 1000))
        #expect(!source.isWhole && source.data.count <= SourceFile.headBytes + (1 << 20))
        #expect(source.size == data.count && source.sha256 == Fixtures.sha256(data))
        let limits = DecodeLimits(maxPixels: 10_000_000)
        let streamed = try ImageDecoder.decodeJPEG(atPath: url.path, scaleEighths: 5, limits: limits)
        let whole = try ImageDecoder.decode(data, format: .jpeg, scaleEighths: 5, limits: limits, background: .white)
        #expect(streamed.pixels.width == whole.pixels.width && streamed.pixels.bytes == whole.pixels.bytes)

        // Cut short: an error from the file path too, never a grey-filled success.
        let cut = try Fixtures.write(data.prefix(data.count * 2 / 3), "cut.jpg", in: folder)
        #expect(throws: DecodingError.self) { _ = try ImageDecoder.decodeJPEG(atPath: cut.path, scaleEighths: 8, limits: limits) }
        let report = try await Preparer(options: Fixtures.smallOptions()).check([cut.path, url.path])
        #expect(report.images[0].findings.map(\.code) == [.corrupt])
        #expect(report.images[0].findings.first?.message.contains("truncated") == true, "\(report.images[0].findings)")
        #expect(report.images[1].sourceSha256 == Fixtures.sha256(data) && report.images[1].sourceBytes == data.count)
        #expect(report.images[1].output != nil, "\(report.images[1].findings)")
    }

    @Test("a JPEG resized as it decodes: the same bytes as decoding, then resizing; from memory and from its file")
    func resizedWhileDecoding() throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let limits = DecodeLimits(maxPixels: 10_000_000)
        for progressive in [false, true] {
            let data = try Fixtures.jpeg(Fixtures.noise(width: 803, height: 611), quality: 90, progressive: progressive)
            let url = try Fixtures.write(data, "p\(progressive).jpg", in: folder)
            for (scale, target, orientation) in [(8, (500, 380), Orientation.up), (4, (390, 300), .right), (3, (301, 229), .leftMirrored)] {
                let size = ImageDecoder.decodedSize(of: ImageHeader(format: .jpeg, width: 803, height: 611), scaleEighths: scale)
                let whole = try ImageDecoder.decode(data, format: .jpeg, scaleEighths: scale, limits: limits, background: .white)
                #expect(whole.pixels.width == size.width && whole.pixels.height == size.height)
                let expected = Resampler.resize(whole.pixels, width: target.0, height: target.1, orientation: orientation)
                for input in [ImageDecoder.Input.data(data), .file(path: url.path)] {
                    let stream = try #require(Resampler.Stream(
                        sourceWidth: size.width, sourceHeight: size.height, width: target.0, height: target.1,
                        orientation: orientation))
                    let streamed = try ImageDecoder.decode(input, format: .jpeg, scaleEighths: scale, limits: limits, background: .white, into: stream)
                    #expect(streamed.pixels.width == expected.width && streamed.pixels.height == expected.height)
                    #expect(streamed.pixels.bytes == expected.bytes, "progressive \(progressive), \(scale)/8, \(input)")
                }
            }
            // A stream planned for another size is refused with a reason, before any row is written.
            let wrong = try #require(Resampler.Stream(sourceWidth: 800, sourceHeight: 611, width: 400, height: 300))
            #expect {
                _ = try ImageDecoder.decode(.data(data), format: .jpeg, scaleEighths: 8, limits: limits, background: .white, into: wrong)
            } throws: { error in
                "\(error)".contains("803x611, not the 800x611")
            }
            // Cut short: the same error as the raster decode gives, never a half-written success.
            let cut = data.prefix(data.count / 2)
            let stream = try #require(Resampler.Stream(sourceWidth: 803, sourceHeight: 611, width: 500, height: 380))
            #expect(throws: DecodingError.self) {
                _ = try ImageDecoder.decode(.data(Data(cut)), format: .jpeg, scaleEighths: 8, limits: limits, background: .white, into: stream)
            }
        }
    }

    @Test("a PNG resized as it decodes: the same bytes as decoding, then resizing; RGB, alpha, 16-bit, interlaced")
    func pngResizedWhileDecoding() throws {
        let (w, h) = (301, 203)
        let limits = DecodeLimits(maxPixels: 10_000_000)
        var rng = SplitMix(seed: 9)
        for (color, depth, interlaced) in [(FixtureEncoder.PNGColor.rgb, 8, false), (.rgba, 8, false), (.rgb, 16, false),
                                           (.rgba, 16, true), (.rgb, 8, true)] {
            let channels = color == .rgba ? 4 : 3
            let samples = (0..<(w * h * channels * depth / 8)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let data = try FixtureEncoder.png(samples: samples, width: w, height: h, color: color, bitDepth: depth, interlaced: interlaced)
            let background = RGBColor(red: 200, green: 30, blue: 90)
            let whole = try ImageDecoder.decode(data, format: .png, scaleEighths: 8, limits: limits, background: background)
            for orientation in [Orientation.up, .left] {
                let expected = Resampler.resize(whole.pixels, width: 150, height: 101, orientation: orientation)
                let stream = try #require(Resampler.Stream(
                    sourceWidth: w, sourceHeight: h, width: 150, height: 101, orientation: orientation))
                let streamed = try ImageDecoder.decode(
                    .data(data), format: .png, scaleEighths: 8, limits: limits, background: background, into: stream)
                #expect(streamed.pixels.bytes == expected.bytes, "\(color) \(depth)-bit interlaced=\(interlaced) \(orientation)")
            }
            // Cut inside the pixel data: an error, as for the whole decode.
            let stream = try #require(Resampler.Stream(sourceWidth: w, sourceHeight: h, width: 150, height: 101))
            #expect(throws: DecodingError.self, "\(color) \(depth)-bit cut") {
                _ = try ImageDecoder.decode(
                    .data(Data(data.prefix(data.count / 2))), format: .png, scaleEighths: 8, limits: limits,
                    background: background, into: stream)
            }
        }
    }

    @Test("flipped bytes never crash the decoder")
    func flippedBytes() throws {
        var rng = SplitMix(seed: 42)
        let sources = [try Fixtures.jpeg(Fixtures.pattern(width: 64, height: 48)), try Fixtures.png(Fixtures.pattern(width: 40, height: 30))]
        var outcomes = (ok: 0, failed: 0)
        for source in sources {
            for _ in 0..<150 {
                var bytes = [UInt8](source)
                for _ in 0..<3 { bytes[Int(rng.next() % UInt64(bytes.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1) }
                let processor = PhotoProcessor(options: Fixtures.smallOptions())
                let folder = try Fixtures.temporaryDirectory()
                defer { try? FileManager.default.removeItem(at: folder) }
                let url = try Fixtures.write(Data(bytes), "flipped", in: folder)
                let outcome = processor.process(index: 0, url: url, path: "flipped", emit: nil)
                if outcome.hasError {
                    outcomes.failed += 1
                    #expect(outcome.findings.contains { [.corrupt, .unsupportedFormat, .tooLarge].contains($0.code) })
                } else {
                    outcomes.ok += 1
                }
            }
        }
        #expect(outcomes.failed > 0, "flips should break some files")
    }

    @Test("a header declaring 60000x60000 is refused before decoding")
    func hugeDeclaredSize() throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        // JPEG: patch the SOF0 dimensions.
        var jpeg = [UInt8](try Fixtures.jpeg(Fixtures.pattern(width: 16, height: 16)))
        let sof = try #require((0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
        jpeg[sof + 5] = 0xEA; jpeg[sof + 6] = 0x60; jpeg[sof + 7] = 0xEA; jpeg[sof + 8] = 0x60
        // PNG: patch IHDR and fix its CRC so only the size is wrong.
        var png = [UInt8](try Fixtures.png(Fixtures.pattern(width: 16, height: 16)))
        png.replaceSubrange(16..<24, with: [0, 0, 0xEA, 0x60, 0, 0, 0xEA, 0x60])
        let crc = Fixtures.crc32(png[12..<29])
        png.replaceSubrange(29..<33, with: [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)])
        for (name, bytes) in [("huge.jpg", jpeg), ("huge.png", png)] {
            let url = try Fixtures.write(Data(bytes), name, in: folder)
            let outcome = PhotoProcessor(options: Fixtures.filesOnly()).process(index: 0, url: url, path: name, emit: nil)
            #expect(outcome.findings.map(\.code) == [.tooLarge], "\(name): \(outcome.findings)")
            #expect(outcome.findings.first?.message.contains("60000x60000") == true)
        }
        // The C layer refuses too, should a caller skip the header check.
        #expect(throws: DecodingError.self) {
            _ = try ImageDecoder.decode(Data(jpeg), format: .jpeg, scaleEighths: 1, limits: DecodeLimits(maxPixels: 100_000_000), background: .white)
        }
    }

    @Test("empty, text and HTML files are unsupported formats")
    func notImages() throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        for (name, content) in [("empty.jpg", ""), ("text.jpg", "hello"), ("page.png", "<!doctype html><html></html>")] {
            let url = try Fixtures.write(Data(content.utf8), name, in: folder)
            let outcome = PhotoProcessor(options: Fixtures.filesOnly()).process(index: 0, url: url, path: name, emit: nil)
            #expect(outcome.findings.map(\.code) == [.unsupportedFormat])
        }
        let missing = PhotoProcessor(options: Fixtures.filesOnly()).process(index: 0, url: folder.appendingPathComponent("nope.jpg"), path: "nope.jpg", emit: nil)
        #expect(missing.findings.map(\.code) == [.unreadable])
    }
}
