/// Everything that decides what a prepared image looks like and which checks pass. Recorded in
/// the manifest, so a staged set says how it was made. TunePrep checks the ranges
/// (`PrepareOptions.problems`) before it reads any photo.
public struct PrepareOptions: Codable, Sendable, Equatable {
    /// Longest side of an output, in pixels; images are never upscaled.
    public var maxSide: Int = 2048
    /// Shortest side (after orientation) an input must have to be usable.
    public var minSide: Int = 512
    /// JPEG quality of the outputs.
    public var quality: Int = 92
    /// Lowest quality used to bring an output under `maxBytes` before its size is reduced.
    public var minQuality: Int = 80
    /// Largest output file, in bytes.
    public var maxBytes: Int = 3_000_000
    /// Largest total of all outputs, in bytes; nil for no limit.
    public var maxTotalBytes: Int? = nil
    /// Fewest usable photos a set needs; fewer raises `too-few-images`.
    public var minImages: Int = 4
    /// Most usable photos a set may have; more raises `too-many-images`.
    public var maxImages: Int = 20
    /// Inputs declaring more pixels than this are refused before decoding.
    public var maxPixels: Int = 100_000_000
    /// Chroma subsampling of the output JPEGs.
    public var chroma: ChromaSubsampling = .auto
    /// Huffman tables fitted to each image: about 8% smaller files, but the encode takes about
    /// 2.5 times as long (libjpeg-turbo gathers statistics in a second, unvectorised pass). Off by
    /// default, as in libvips, Pillow and cjpeg.
    public var optimizeHuffman: Bool = false
    /// Colour that transparent pixels are composited onto.
    public var background: RGBColor = .white
    /// Aspect ratio (long side over short side) beyond which an image gets a warning.
    public var extremeAspect: Double = 3.0
    /// Quality checks (warnings). Thresholds apply to `QualityScores`, measured on a 512 px
    /// downscale; the defaults were calibrated on real photos (see the README).
    public var thresholds = QualityThresholds()
    /// The person checks (one face, no other people, framing, same person) and their thresholds.
    public var personChecks = PersonCheckOptions()

    /// Every option at its default.
    public init() {}

    /// A key missing from a manifest (one written before the option existed) takes its default.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = PrepareOptions()
        maxSide = try c.decodeIfPresent(Int.self, forKey: .maxSide) ?? d.maxSide
        minSide = try c.decodeIfPresent(Int.self, forKey: .minSide) ?? d.minSide
        quality = try c.decodeIfPresent(Int.self, forKey: .quality) ?? d.quality
        minQuality = try c.decodeIfPresent(Int.self, forKey: .minQuality) ?? d.minQuality
        maxBytes = try c.decodeIfPresent(Int.self, forKey: .maxBytes) ?? d.maxBytes
        maxTotalBytes = try c.decodeIfPresent(Int.self, forKey: .maxTotalBytes)
        minImages = try c.decodeIfPresent(Int.self, forKey: .minImages) ?? d.minImages
        maxImages = try c.decodeIfPresent(Int.self, forKey: .maxImages) ?? d.maxImages
        maxPixels = try c.decodeIfPresent(Int.self, forKey: .maxPixels) ?? d.maxPixels
        chroma = try c.decodeIfPresent(ChromaSubsampling.self, forKey: .chroma) ?? d.chroma
        optimizeHuffman = try c.decodeIfPresent(Bool.self, forKey: .optimizeHuffman) ?? d.optimizeHuffman
        background = try c.decodeIfPresent(RGBColor.self, forKey: .background) ?? d.background
        extremeAspect = try c.decodeIfPresent(Double.self, forKey: .extremeAspect) ?? d.extremeAspect
        thresholds = try c.decodeIfPresent(QualityThresholds.self, forKey: .thresholds) ?? d.thresholds
        // A manifest from before the person checks existed: they did not run.
        personChecks = try c.decodeIfPresent(PersonCheckOptions.self, forKey: .personChecks) ?? .off
    }

    /// How the JPEG encoder samples colour relative to brightness.
    public enum ChromaSubsampling: String, Codable, Sendable, CaseIterable {
        /// 4:4:4 at quality 90 and above, 4:2:0 below (as libvips does).
        case auto
        /// Full colour resolution: larger files, sharper colour edges.
        case yuv444 = "444"
        /// Colour at half resolution each way: smaller files.
        case yuv420 = "420"
    }
}

/// Where the image-quality warnings start.
public struct QualityThresholds: Codable, Sendable, Equatable {
    /// `blurry` when the Laplacian variance is under this.
    public var minSharpness: Double = 90
    /// `near-duplicate` when two photos' perceptual hashes differ in at most this many bits.
    public var nearDuplicateBits: Int = 10
    /// `too-dark` when mean luma is under this, or when more than `maxDarkShare` of pixels are crushed.
    public var minMeanLuma: Double = 45
    /// `too-dark` when more than this share (0-1) of pixels is near black.
    public var maxDarkShare: Double = 0.6
    /// `overexposed` when more than this share of pixels is clipped to white.
    public var maxClippedShare: Double = 0.25
    /// `grayscale` when colourfulness is under this.
    public var minColorfulness: Double = 2.5

    /// The default thresholds.
    public init() {}

    /// No quality warnings at all.
    public static let off: QualityThresholds = {
        var thresholds = QualityThresholds()
        thresholds.minSharpness = 0
        thresholds.nearDuplicateBits = -1
        thresholds.minMeanLuma = 0
        thresholds.maxDarkShare = 1
        thresholds.maxClippedShare = 1
        thresholds.minColorfulness = 0
        return thresholds
    }()
}

/// An 8-bit RGB colour, written as `#rrggbb`.
public struct RGBColor: Codable, Sendable, Equatable, CustomStringConvertible {
    /// Red channel, 0-255.
    public var red: UInt8
    /// Green channel, 0-255.
    public var green: UInt8
    /// Blue channel, 0-255.
    public var blue: UInt8

    /// Makes a colour from its 8-bit channels.
    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// Pure white, the default background.
    public static let white = RGBColor(red: 255, green: 255, blue: 255)
    /// Pure black.
    public static let black = RGBColor(red: 0, green: 0, blue: 0)

    /// Parses `#rrggbb`, `rrggbb`, `white` or `black`.
    public init?(parsing text: String) {
        switch text.lowercased() {
        case "white": self = .white
        case "black": self = .black
        default:
            let hex = text.hasPrefix("#") ? String(text.dropFirst()) : text
            guard hex.count == 6, let value = UInt32(hex, radix: 16) else { return nil }
            self.init(red: UInt8(value >> 16 & 0xFF), green: UInt8(value >> 8 & 0xFF), blue: UInt8(value & 0xFF))
        }
    }

    public var description: String {
        "#" + [red, green, blue].map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }
}
