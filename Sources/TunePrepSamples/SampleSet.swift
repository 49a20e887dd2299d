import Foundation
import TunePrep

/// Writes TunePrep's sample photos: synthetic "portraits" made here (no one's real photos), in
/// the shapes a real upload has: good JPEGs and a PNG, one rotated by an EXIF tag (with GPS),
/// one too small, one duplicate and one truncated. The make-samples command and the tests use it.
public enum SampleSet {
    /// One sample photo and the verdict it should get.
    public struct File: Sendable {
        /// File name inside the samples folder, e.g. `01-portrait.jpg`.
        public var name: String
        /// What `check` is expected to say of it.
        public var expectation: String
    }

    /// Every sample `write(to:)` makes, in order.
    public static let files: [File] = [
        File(name: "01-portrait.jpg", expectation: "ok"),
        File(name: "02-landscape.jpg", expectation: "ok"),
        File(name: "03-portrait.jpg", expectation: "ok"),
        File(name: "04-portrait.png", expectation: "ok"),
        File(name: "05-landscape.jpg", expectation: "ok"),
        File(name: "06-rotated-by-exif.jpg", expectation: "ok (stored landscape, EXIF orientation 6 and GPS)"),
        File(name: "07-too-small.jpg", expectation: "too-small"),
        File(name: "08-duplicate-of-01.jpg", expectation: "duplicate"),
        File(name: "09-truncated.jpg", expectation: "corrupt"),
    ]

    /// Writes every sample into `directory` (created if missing), byte for byte the same on each run.
    public static func write(to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        func save(_ data: Data, _ name: String) throws { try data.write(to: directory.appendingPathComponent(name)) }

        let first = try jpeg(render(width: 960, height: 1280, seed: 1))
        try save(first, "01-portrait.jpg")
        try save(try jpeg(render(width: 1280, height: 960, seed: 2)), "02-landscape.jpg")
        try save(try jpeg(render(width: 900, height: 1200, seed: 3)), "03-portrait.jpg")
        let png = render(width: 768, height: 1024, seed: 4)
        try save(try FixtureEncoder.png(samples: png.bytes, width: png.width, height: png.height, color: .rgb), "04-portrait.png")
        try save(try jpeg(render(width: 1200, height: 800, seed: 5)), "05-landscape.jpg")
        // Stored turned 90° anticlockwise, tagged 6 ("rotate 90° clockwise to view"), as phones do.
        let upright = render(width: 960, height: 1280, seed: 6)
        try save(try jpeg(upright.oriented(.left), app1: EXIFWriter.app1(orientation: 6, withGPS: true)), "06-rotated-by-exif.jpg")
        try save(try jpeg(render(width: 480, height: 360, seed: 7)), "07-too-small.jpg")
        try save(first, "08-duplicate-of-01.jpg")
        try save(first.prefix(first.count * 3 / 5), "09-truncated.jpg")
    }

    private static func jpeg(_ image: PixelBuffer, app1: [UInt8]? = nil) throws -> Data {
        try FixtureEncoder.jpeg(samples: image.bytes, width: image.width, height: image.height, quality: 88, app1: app1)
    }

    /// A simple scene: sky gradient, ground, a sun at the upper left (so orientation shows), and
    /// a figure with a head and shoulders; light noise keeps it photo-like for the encoder.
    public static func render(width: Int, height: Int, seed: UInt64) -> PixelBuffer {
        var rng = SplitMix(seed: seed)
        let hue = Double(rng.next() % 360)
        let sky = color(hue: hue, saturation: 0.45, value: 0.95)
        let ground = color(hue: (hue + 120).truncatingRemainder(dividingBy: 360), saturation: 0.5, value: 0.55)
        let shirt = color(hue: (hue + 200).truncatingRemainder(dividingBy: 360), saturation: 0.7, value: 0.7)
        let skin = (r: 224.0, g: 172.0, b: 140.0)
        let w = Double(width), h = Double(height)
        // Each seed gets its own composition (figure, sun, horizon), so samples are not near-duplicates.
        let headX = w * (0.25 + Double(rng.next() % 50) / 100), headY = h * (0.32 + Double(rng.next() % 16) / 100)
        let headR = min(w, h) * (0.12 + Double(rng.next() % 8) / 100)
        let sunX = w * (0.1 + Double(rng.next() % 80) / 100), sunY = h * (0.08 + Double(rng.next() % 10) / 100), sunR = min(w, h) * 0.07
        let horizon = 0.62 + Double(rng.next() % 24) / 100
        var bytes = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            let fy = Double(y)
            for x in 0..<width {
                let fx = Double(x)
                var c: (r: Double, g: Double, b: Double)
                let t = fy / h
                if fy > h * horizon {
                    // A tiled floor: hard edges, as real scenes have, so the photo reads as sharp.
                    let tile = (x / 24 + y / 24) % 2 == 0 ? 1.0 : 0.75
                    c = (ground.r * tile, ground.g * tile, ground.b * tile)
                } else {
                    c = (sky.r * (1 - 0.4 * t), sky.g * (1 - 0.3 * t), sky.b * (1 - 0.1 * t))
                }
                let sun = (fx - sunX) * (fx - sunX) + (fy - sunY) * (fy - sunY)
                if sun < sunR * sunR { c = (250, 220, 90) }
                let dx = fx - headX, dy = fy - headY
                let shoulders = fy > headY + headR * 0.9 && abs(dx) < headR * (1.2 + (fy - headY - headR) / (h * 0.5)) * 1.6
                if shoulders {
                    let stripe = (y / 10) % 2 == 0 ? 1.0 : 0.8
                    c = (shirt.r * stripe, shirt.g * stripe, shirt.b * stripe)
                }
                if dx * dx / 0.8 + dy * dy < headR * headR { c = skin }
                let eye = min((fx - headX + headR * 0.35) * (fx - headX + headR * 0.35), (fx - headX - headR * 0.35) * (fx - headX - headR * 0.35))
                    + (fy - headY + headR * 0.15) * (fy - headY + headR * 0.15)
                if eye < headR * headR * 0.012 { c = (40, 30, 30) }
                let noise = Double(Int(rng.next() % 13) - 6)
                let i = (y * width + x) * 3
                bytes[i] = UInt8(max(0, min(255, c.r + noise)))
                bytes[i + 1] = UInt8(max(0, min(255, c.g + noise)))
                bytes[i + 2] = UInt8(max(0, min(255, c.b + noise)))
            }
        }
        return PixelBuffer(width: width, height: height, rgb: bytes)
    }

    private static func color(hue: Double, saturation: Double, value: Double) -> (r: Double, g: Double, b: Double) {
        let c = value * saturation, hp = hue / 60, x = c * (1 - abs(hp.truncatingRemainder(dividingBy: 2) - 1))
        let (r, g, b): (Double, Double, Double) = switch Int(hp) {
        case 0: (c, x, 0)
        case 1: (x, c, 0)
        case 2: (0, c, x)
        case 3: (0, x, c)
        case 4: (x, 0, c)
        default: (c, 0, x)
        }
        let m = value - c
        return ((r + m) * 255, (g + m) * 255, (b + m) * 255)
    }
}

/// A small deterministic generator, so samples and fixtures are the same on every machine.
public struct SplitMix: RandomNumberGenerator, Sendable {
    private var state: UInt64
    /// Starts the sequence at `seed`; the same seed always gives the same numbers.
    public init(seed: UInt64) { state = seed }
    /// The next pseudo-random 64-bit value (SplitMix64).
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
