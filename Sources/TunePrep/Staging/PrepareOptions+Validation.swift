import Foundation

extension PrepareOptions {
    /// The ranges the pipeline accepts: the library's check (``problems``), which a command turns
    /// into its own words (``optionProblems``).
    public enum Limits {
        /// libpng's limit on either side (and far beyond JPEG's 65535).
        public static let maxPixelsOnASide = 1 << 20
        /// 1 TiB: a byte limit beyond any photo set, and far from Int's end.
        public static let maxByteCount = 1 << 40
        /// `maxSide`, in pixels.
        public static let maxSide = 16...maxPixelsOnASide
        /// `minSide`, in pixels.
        public static let minSide = 1...maxPixelsOnASide
        /// `quality` and `minQuality`.
        public static let quality = 1...100
        /// `maxBytes`.
        public static let maxBytes = 10_000...maxByteCount
        /// `maxTotalBytes`.
        public static let maxTotalBytes = 1...maxByteCount
        /// `maxImages` (and `minImages`, which is at most `maxImages`).
        public static let maxImages = 0...1_000_000
        /// `maxPixels` (100,000 megapixels).
        public static let maxPixels = 1...100_000_000_000
        /// `thresholds.nearDuplicateBits` (-1 turns the check off).
        public static let nearDuplicateBits = -1...64
        /// `personChecks.detectionSide`, in pixels.
        public static let detectionSide = 80...8192
        /// `personChecks.cnnInputSide`, in pixels.
        public static let cnnInputSide = 64...4096
        /// `personChecks.minFaceHeight`, in pixels.
        public static let minFaceHeight = 0...10_000
        /// `personChecks.maxIdentityDistance`.
        public static let maxIdentityDistance = 0.0...4.0
    }

    /// One way the options are outside what the pipeline can honour, in words that name the
    /// options concerned (by their paths in `PrepareOptions`, e.g. `thresholds.minSharpness`) and
    /// their values. A caller with names of its own for the options (a command's flags) gets the
    /// same words with its names: ``description(naming:)``.
    public struct Problem: Sendable, Equatable, CustomStringConvertible, ExpressibleByStringInterpolation {
        /// A piece of the text: words, or an option by its path (and how the text shows it).
        public enum Piece: Sendable, Equatable {
            case text(String)
            case option(path: String, shown: String)
        }

        /// The text, in pieces.
        public var pieces: [Piece]

        /// The paths of the options concerned, e.g. `["minQuality", "quality"]`.
        public var options: [String] {
            pieces.compactMap { if case .option(let path, _) = $0 { path } else { nil } }
        }

        /// The text with each option named by `name(path)`; nil keeps the library's name.
        public func description(naming name: (String) -> String?) -> String {
            pieces.map { piece in
                switch piece {
                case .text(let text): text
                case .option(let path, let shown): name(path) ?? shown
                }
            }.joined()
        }

        public var description: String { description(naming: { _ in nil }) }

        /// A problem in words alone.
        public init(stringLiteral value: String) { pieces = [.text(value)] }
        /// A problem built with ``StringInterpolation``.
        public init(stringInterpolation: StringInterpolation) { pieces = stringInterpolation.pieces }

        /// Builds a problem's text: `"\(option: "maxSide") is \(maxSide)"`.
        public struct StringInterpolation: StringInterpolationProtocol {
            var pieces: [Piece] = []
            /// An empty text.
            public init(literalCapacity: Int, interpolationCount: Int) {}
            /// Words.
            public mutating func appendLiteral(_ literal: String) { if !literal.isEmpty { pieces.append(.text(literal)) } }
            /// A value, as text.
            public mutating func appendInterpolation<Value>(_ value: Value) { pieces.append(.text("\(value)")) }
            /// An option by its path, shown as `shown` (its path when nil).
            public mutating func appendInterpolation(option path: String, shown: String? = nil) {
                pieces.append(.option(path: path, shown: shown ?? path))
            }
        }
    }

    /// Every option outside what the pipeline can honour, in words naming the option and its
    /// value. Empty when the options can be used. `Preparer` refuses options with problems
    /// (``StagingError/invalidOptions(_:)``) before reading any photo, so a library caller gets an
    /// error instead of a trap or a silently clamped value.
    public var problems: [String] { optionProblems.map(\.description) }

    /// ``problems``, each naming its options (``Problem/options``).
    public var optionProblems: [Problem] {
        var problems: [Problem] = []
        func need(_ ok: Bool, _ problem: @autoclosure () -> Problem) { if !ok { problems.append(problem()) } }
        typealias L = Limits
        need(L.maxSide.contains(maxSide), "\(option: "maxSide") is \(maxSide); it must be \(L.maxSide.lowerBound) to \(L.maxSide.upperBound)")
        need(L.minSide.contains(minSide), "\(option: "minSide") is \(minSide); it must be \(L.minSide.lowerBound) to \(L.minSide.upperBound)")
        need(L.quality.contains(quality), "\(option: "quality") is \(quality); it must be 1 to 100")
        need(L.quality.contains(minQuality), "\(option: "minQuality") is \(minQuality); it must be 1 to 100")
        need(minQuality <= quality, "\(option: "minQuality") \(minQuality) is above \(option: "quality") \(quality)")
        need(L.maxBytes.contains(maxBytes), "\(option: "maxBytes") is \(maxBytes); it must be \(L.maxBytes.lowerBound) to \(L.maxBytes.upperBound)")
        if let maxTotalBytes {
            need(L.maxTotalBytes.contains(maxTotalBytes), "\(option: "maxTotalBytes") is \(maxTotalBytes); it must be 1 to \(L.maxTotalBytes.upperBound)")
        }
        need(minImages >= 0 && minImages <= maxImages && L.maxImages.contains(maxImages),
             "\(option: "minImages") \(minImages) and \(option: "maxImages") \(maxImages): need 0 <= \(option: "minImages") <= \(option: "maxImages") <= \(L.maxImages.upperBound)")
        need(L.maxPixels.contains(maxPixels), "\(option: "maxPixels") is \(maxPixels); it must be 1 to \(L.maxPixels.upperBound)")
        need(extremeAspect.isFinite && extremeAspect >= 1, "\(option: "extremeAspect") is \(extremeAspect); it must be 1 or more")
        let t = thresholds
        need(t.minSharpness.isFinite && t.minSharpness >= 0, "\(option: "thresholds.minSharpness") is \(t.minSharpness); it must be 0 or more")
        need(L.nearDuplicateBits.contains(t.nearDuplicateBits), "\(option: "thresholds.nearDuplicateBits") is \(t.nearDuplicateBits); it must be -1 (off) to 64")
        need((0...255).contains(t.minMeanLuma), "\(option: "thresholds.minMeanLuma") is \(t.minMeanLuma); it must be 0 to 255")
        need((0...1).contains(t.maxDarkShare), "\(option: "thresholds.maxDarkShare") is \(t.maxDarkShare); it must be 0 to 1")
        need((0...1).contains(t.maxClippedShare), "\(option: "thresholds.maxClippedShare") is \(t.maxClippedShare); it must be 0 to 1")
        need((0...255).contains(t.minColorfulness), "\(option: "thresholds.minColorfulness") is \(t.minColorfulness); it must be 0 to 255")
        let p = personChecks
        if p.enabled {
            func person(_ name: String) -> String { "personChecks." + name }
            need(L.detectionSide.contains(p.detectionSide), "\(option: person("detectionSide")) is \(p.detectionSide); it must be 80 to 8192")
            need(p.minConfidence.isFinite && p.otherFaceMinConfidence.isFinite,
                 "personChecks confidences must be finite numbers")
            need(L.cnnInputSide.contains(p.cnnInputSide), "\(option: person("cnnInputSide")) is \(p.cnnInputSide); it must be 64 to 4096")
            need((0...1).contains(p.faceScore) && (0...1).contains(p.otherFaceScore),
                 "personChecks: \(option: person("faceScore"), shown: "faceScore") (\(p.faceScore)) and \(option: person("otherFaceScore"), shown: "otherFaceScore") (\(p.otherFaceScore)) must be 0 to 1")
            need(p.maxTurn.isFinite && p.maxTurn >= 0, "\(option: person("maxTurn")) is \(p.maxTurn); it must be 0 or more")
            need(p.fullBodyRoomBelow.isFinite && p.closeUpRoomBelow.isFinite && p.closeUpRoomBelow >= 0 && p.closeUpRoomBelow <= p.fullBodyRoomBelow,
                 "personChecks: need 0 <= \(option: person("closeUpRoomBelow"), shown: "closeUpRoomBelow") (\(p.closeUpRoomBelow)) <= \(option: person("fullBodyRoomBelow"), shown: "fullBodyRoomBelow") (\(p.fullBodyRoomBelow))")
            need((0...1).contains(p.otherPersonFraction), "\(option: person("otherPersonFraction")) is \(p.otherPersonFraction); it must be 0 to 1")
            need(L.minFaceHeight.contains(p.minFaceHeight), "\(option: person("minFaceHeight")) is \(p.minFaceHeight); it must be 0 to 10000")
            need((0...1).contains(p.cutOffTolerance), "\(option: person("cutOffTolerance")) is \(p.cutOffTolerance); it must be 0 to 1")
            need((0...1).contains(p.fullBodyFraction) && (0...1).contains(p.closeUpFraction) && p.fullBodyFraction <= p.closeUpFraction,
                 "personChecks: need 0 <= \(option: person("fullBodyFraction"), shown: "fullBodyFraction") (\(p.fullBodyFraction)) <= \(option: person("closeUpFraction"), shown: "closeUpFraction") (\(p.closeUpFraction)) <= 1")
            need(L.maxIdentityDistance.contains(p.maxIdentityDistance), "\(option: person("maxIdentityDistance")) is \(p.maxIdentityDistance); it must be 0 to 4")
        }
        return problems
    }
}

extension PrepareOptions.ChromaSubsampling {
    /// Whether the encoder keeps full chroma (4:4:4) at `quality`.
    func keepsFullChroma(atQuality quality: Int) -> Bool {
        switch self {
        case .auto: quality >= 90
        case .yuv444: true
        case .yuv420: false
        }
    }
}
