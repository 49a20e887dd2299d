import Foundation
import Testing
@testable import TunePrep
import TunePrepSamples

@Suite("Phone formats and colour")
struct ColorAndFormatsTests {
    /// Display P3 colours and their sRGB values as LittleCMS's own `transicc` computed them
    /// (once, from the same profile: `transicc -i p3.icc -o '*sRGB' -t 0`), all in the sRGB gamut.
    static let transiccReference: [([UInt8], [Double])] = [
        ([200, 100, 50], [214.9009, 92.6138, 30.9524]),
        ([120, 120, 200], [119.9991, 120.0042, 205.8040]),
        ([230, 200, 180], [236.0701, 198.6089, 177.1185]),
        ([128, 128, 128], [128.0000, 128.0027, 128.0014]),
    ]

    @Test("a Display P3 JPEG converts to the sRGB values transicc gives")
    func displayP3() async throws {
        let profile = try FixtureEncoder.displayP3Profile()
        let patch = 16
        var samples: [UInt8] = []
        for y in 0..<patch { _ = y; for (color, _) in Self.transiccReference { for _ in 0..<patch { samples += color } } }
        let width = patch * Self.transiccReference.count
        let data = try FixtureEncoder.jpeg(samples: samples, width: width, height: patch, quality: 100, fullChroma: true, iccProfile: profile)
        let decoded = try ImageDecoder.decode(data, format: .jpeg, scaleEighths: 8, limits: DecodeLimits(maxPixels: 1 << 20), background: .white)
        #expect(decoded.colorConverted)
        #expect(decoded.profile == "Display P3 (TunePrep fixture)")
        for (index, (_, expected)) in Self.transiccReference.enumerated() {
            let got = decoded.pixels[index * patch + patch / 2, patch / 2]
            let values = [Double(got.red), Double(got.green), Double(got.blue)]
            for channel in 0..<3 {
                #expect(abs(values[channel] - expected[channel]) <= 2.5, "colour \(index) channel \(channel): \(values) vs \(expected)")
            }
        }
        // The same pixels without the profile are taken as sRGB: unchanged.
        let plain = try Fixtures.decode(try FixtureEncoder.jpeg(samples: samples, width: width, height: patch, quality: 100, fullChroma: true))
        #expect(abs(Int(plain[patch / 2, patch / 2].red) - 200) <= 2)
    }

    @Test("an sRGB-profiled or unprofiled image is left as it is, and outputs carry no profile")
    func outputsHaveNoProfile() async throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let image = Fixtures.pattern(width: 600, height: 600)
        _ = try Fixtures.write(try FixtureEncoder.jpeg(samples: image.bytes, width: 600, height: 600, iccProfile: try FixtureEncoder.displayP3Profile()), "in/p3.jpg", in: folder)
        let set = try await Preparer(options: Fixtures.smallOptions()).prepare([folder.appendingPathComponent("in").path], into: folder.appendingPathComponent("out"))
        #expect(set.manifest.images.first?.colorProfile == "Display P3 (TunePrep fixture) → sRGB")
        let output = try Data(contentsOf: try #require(set.imageFiles.first))
        #expect(!Fixtures.jpegMarkers(output).contains(0xE2), "no APP2 ICC profile in outputs: they are sRGB by definition")
    }

    @Test("WebP decodes exactly (lossless) and through the whole pipeline")
    func webp() async throws {
        let image = Fixtures.pattern(width: 640, height: 600)
        let data = try FixtureEncoder.webp(rgb: image.bytes, width: 640, height: 600)
        #expect(ImageFormat.sniff(data) == .webp)
        #expect(try Fixtures.decode(data).bytes == image.bytes)
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = try Fixtures.write(data, "photo.webp", in: folder)
        let outcome = PhotoProcessor(options: Fixtures.filesOnly()).process(index: 0, url: url, path: "photo.webp", emit: nil)
        #expect(!outcome.hasError, "\(outcome.findings)")
        #expect(outcome.output?.width == 640 && outcome.output?.height == 600)
        // Truncated WebP: an error, not a crash.
        let cut = try Fixtures.write(data.prefix(data.count / 2), "cut.webp", in: folder)
        let broken = PhotoProcessor(options: Fixtures.filesOnly()).process(index: 0, url: cut, path: "cut.webp", emit: nil)
        #expect(broken.findings.map(\.code) == [.corrupt])
    }

    @Test("HEIC from iPhones: accepted, upright by the container, P3 converted", .enabled(if: Corpus.isAvailable, Corpus.skipReason))
    func heic() async throws {
        let expected = try Corpus.expected()
        let report = try await Preparer(options: Fixtures.filesOnly()).check([Corpus.root.appendingPathComponent("photos/heic").path])
        #expect(report.images.count == 3)
        for image in report.images {
            let name = "photos/heic/" + (image.source as NSString).lastPathComponent
            let entry = try #require(expected[name])
            #expect(image.verdict == .staged, "\(name): \(image.findings)")
            #expect(image.sourceFormat == "heif")
            #expect(image.sourceWidth == entry.orientedWidth && image.sourceHeight == entry.orientedHeight, "\(name)")
            #expect(image.orientationApplied == 1, "\(name): the container rotates; EXIF is not applied again")
            let output = try #require(image.output)
            #expect((output.width < output.height) == ((entry.orientedWidth ?? 0) < (entry.orientedHeight ?? 0)))
        }
        let rotated = try #require(report.images.first { $0.source.hasSuffix("iphone13-rotated-p3.heic") })
        #expect(rotated.output.map { $0.height > $0.width } == true, "iphone13-rotated-p3.heic is a portrait")
        #expect(rotated.colorProfile?.contains("→ sRGB") == true)
    }

    @Test("HEIF garbage and truncation are errors, never crashes")
    func badHEIF() throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        var candidates: [Data] = [Data([0, 0, 0, 0x18] + Array("ftypheic".utf8) + [0, 0, 0, 0] + Array("mif1heic".utf8) + [UInt8](repeating: 7, count: 64))]
        if Corpus.isAvailable {
            let real = try Data(contentsOf: Corpus.root.appendingPathComponent("photos/heic/iphone11-p3.heic"))
            candidates += [real.prefix(real.count / 3), real.prefix(4000)]
        }
        for (i, data) in candidates.enumerated() {
            let url = try Fixtures.write(data, "bad-\(i).heic", in: folder)
            let outcome = PhotoProcessor(options: Fixtures.filesOnly()).process(index: 0, url: url, path: url.lastPathComponent, emit: nil)
            #expect(outcome.output == nil && outcome.findings.contains { $0.code == .corrupt || $0.code == .unsupportedFormat }, "\(outcome.findings)")
        }
    }
}
