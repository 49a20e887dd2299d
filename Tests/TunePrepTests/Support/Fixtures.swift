import TunePrepDigest
import Foundation
import Testing
@testable import TunePrep
import TunePrepSamples

/// Test photos made here with our own encoders (plus crafted bytes), and small helpers.
enum Fixtures {
    /// An asymmetric RGB image: every pixel differs from its mirror images, so a wrong
    /// orientation cannot go unnoticed.
    static func pattern(width: Int, height: Int) -> PixelBuffer {
        var bytes = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 3
                bytes[i] = UInt8(x * 255 / max(1, width - 1))
                bytes[i + 1] = UInt8(y * 255 / max(1, height - 1))
                bytes[i + 2] = UInt8((x < width / 3 && y < height / 4) ? 255 : 40)
            }
        }
        return PixelBuffer(width: width, height: height, rgb: bytes)
    }

    static func noise(width: Int, height: Int, seed: UInt64 = 7) -> PixelBuffer {
        var rng = SplitMix(seed: seed)
        return PixelBuffer(width: width, height: height, rgb: (0..<(width * height * 3)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
    }

    static func solid(width: Int, height: Int, _ r: UInt8, _ g: UInt8, _ b: UInt8) -> PixelBuffer {
        PixelBuffer(width: width, height: height, rgb: [UInt8]((0..<(width * height)).flatMap { _ in [r, g, b] }))
    }

    static func jpeg(_ image: PixelBuffer, quality: Int = 95, orientation: Int? = nil, gps: Bool = false, progressive: Bool = false) throws -> Data {
        try FixtureEncoder.jpeg(
            samples: image.bytes, width: image.width, height: image.height, quality: quality,
            progressive: progressive, fullChroma: true,
            app1: orientation.map { EXIFWriter.app1(orientation: $0, withGPS: gps) })
    }

    static func png(_ image: PixelBuffer, orientation: Int? = nil) throws -> Data {
        try FixtureEncoder.png(
            samples: image.bytes, width: image.width, height: image.height, color: .rgb,
            exif: orientation.map { EXIFWriter.tiff(orientation: $0) })
    }

    /// A fresh temporary folder, removed by the caller's `defer`.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tuneprep-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func write(_ data: Data, _ name: String, in folder: URL) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
        return url
    }

    static func decode(_ data: Data, background: RGBColor = .white) throws -> PixelBuffer {
        let format = ImageFormat.sniff(data)
        return try ImageDecoder.decode(data, format: format, scaleEighths: 8, limits: DecodeLimits(maxPixels: 100_000_000), background: background).pixels
    }

    /// Mean absolute difference per sample, 0-255.
    static func meanError(_ a: PixelBuffer, _ b: PixelBuffer) -> Double {
        precondition(a.width == b.width && a.height == b.height, "sizes differ: \(a.width)x\(a.height) vs \(b.width)x\(b.height)")
        var total = 0
        for i in 0..<a.byteCount { total += abs(Int(a.pixels[i]) - Int(b.pixels[i])) }
        return Double(total) / Double(a.byteCount)
    }

    static func sha256(_ data: Data) -> String { SHA256.hash(data: data).hex }

    /// The markers of a JPEG up to its first scan.
    static func jpegMarkers(_ data: Data) -> [UInt8] {
        let bytes = [UInt8](data)
        var markers: [UInt8] = []
        var i = 2
        while i + 4 <= bytes.count, bytes[i] == 0xFF {
            let marker = bytes[i + 1]
            markers.append(marker)
            if marker == 0xDA { break }
            i += 2 + (Int(bytes[i + 2]) << 8 | Int(bytes[i + 3]))
        }
        return markers
    }

    /// Options that accept small fixtures. Synthetic patterns are smooth (they would read as
    /// blurry), so the quality warnings are off here; QualityChecksTests covers them.
    static func smallOptions() -> PrepareOptions {
        var options = plainOptions()
        options.minSide = 16
        options.minImages = 1
        return options
    }

    /// Default options without the quality warnings and the person checks.
    static func plainOptions() -> PrepareOptions {
        var options = filesOnly()
        options.thresholds = .off
        return options
    }

    /// Default options without the person checks: for tests of files and pixels, whose photos
    /// (drawn fixtures, landscapes) show no person.
    static func filesOnly() -> PrepareOptions {
        var options = PrepareOptions()
        options.personChecks = .off
        return options
    }

    static func crc32(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
        }
        return ~crc
    }
}

/// The shared corpus beside the project (../shared/corpus), absent on a user's fresh clone.
enum Corpus {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("shared/corpus")
    static var isAvailable: Bool { FileManager.default.fileExists(atPath: root.appendingPathComponent("expected.json").path) }
    static let skipReason: Comment = "../shared/corpus is absent (a fresh clone): corpus tests skipped"

    struct Entry: Decodable {
        var format: String
        var verdict: String
        var width: Int?
        var height: Int?
        var orientedWidth: Int?
        var orientedHeight: Int?
        var exifOrientation: Int?
        var hasGps: Bool?
    }

    static func expected() throws -> [String: Entry] {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode([String: Entry].self, from: Data(contentsOf: root.appendingPathComponent("expected.json")))
    }
}
