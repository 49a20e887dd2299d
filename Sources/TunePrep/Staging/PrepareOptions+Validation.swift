import Foundation

extension PrepareOptions {
    /// The ranges the pipeline accepts, one place for the library's check (``problems``) and the
    /// command line's.
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

    /// Every option outside what the pipeline can honour, in words naming the option and its
    /// value. Empty when the options can be used. `Preparer` refuses options with problems
    /// (``StagingError/invalidOptions(_:)``) before reading any photo, so a library caller gets an
    /// error instead of a trap or a silently clamped value.
    public var problems: [String] {
        var problems: [String] = []
        func need(_ ok: Bool, _ text: @autoclosure () -> String) { if !ok { problems.append(text()) } }
        typealias L = Limits
        need(L.maxSide.contains(maxSide), "maxSide is \(maxSide); it must be \(L.maxSide.lowerBound) to \(L.maxSide.upperBound)")
        need(L.minSide.contains(minSide), "minSide is \(minSide); it must be \(L.minSide.lowerBound) to \(L.minSide.upperBound)")
        need(L.quality.contains(quality), "quality is \(quality); it must be 1 to 100")
        need(L.quality.contains(minQuality), "minQuality is \(minQuality); it must be 1 to 100")
        need(minQuality <= quality, "minQuality \(minQuality) is above quality \(quality)")
        need(L.maxBytes.contains(maxBytes), "maxBytes is \(maxBytes); it must be \(L.maxBytes.lowerBound) to \(L.maxBytes.upperBound)")
        if let maxTotalBytes {
            need(L.maxTotalBytes.contains(maxTotalBytes), "maxTotalBytes is \(maxTotalBytes); it must be 1 to \(L.maxTotalBytes.upperBound)")
        }
        need(minImages >= 0 && minImages <= maxImages && L.maxImages.contains(maxImages),
             "minImages \(minImages) and maxImages \(maxImages): need 0 <= minImages <= maxImages <= \(L.maxImages.upperBound)")
        need(L.maxPixels.contains(maxPixels), "maxPixels is \(maxPixels); it must be 1 to \(L.maxPixels.upperBound)")
        need(extremeAspect.isFinite && extremeAspect >= 1, "extremeAspect is \(extremeAspect); it must be 1 or more")
        let t = thresholds
        need(t.minSharpness.isFinite && t.minSharpness >= 0, "thresholds.minSharpness is \(t.minSharpness); it must be 0 or more")
        need(L.nearDuplicateBits.contains(t.nearDuplicateBits), "thresholds.nearDuplicateBits is \(t.nearDuplicateBits); it must be -1 (off) to 64")
        need((0...255).contains(t.minMeanLuma), "thresholds.minMeanLuma is \(t.minMeanLuma); it must be 0 to 255")
        need((0...1).contains(t.maxDarkShare), "thresholds.maxDarkShare is \(t.maxDarkShare); it must be 0 to 1")
        need((0...1).contains(t.maxClippedShare), "thresholds.maxClippedShare is \(t.maxClippedShare); it must be 0 to 1")
        need((0...255).contains(t.minColorfulness), "thresholds.minColorfulness is \(t.minColorfulness); it must be 0 to 255")
        let p = personChecks
        if p.enabled {
            need(L.detectionSide.contains(p.detectionSide), "personChecks.detectionSide is \(p.detectionSide); it must be 80 to 8192")
            need(p.minConfidence.isFinite && p.otherFaceMinConfidence.isFinite, "personChecks confidences must be finite numbers")
            need(L.cnnInputSide.contains(p.cnnInputSide), "personChecks.cnnInputSide is \(p.cnnInputSide); it must be 64 to 4096")
            need((0...1).contains(p.faceScore) && (0...1).contains(p.otherFaceScore),
                 "personChecks: faceScore (\(p.faceScore)) and otherFaceScore (\(p.otherFaceScore)) must be 0 to 1")
            need(p.maxTurn.isFinite && p.maxTurn >= 0, "personChecks.maxTurn is \(p.maxTurn); it must be 0 or more")
            need(p.fullBodyRoomBelow.isFinite && p.closeUpRoomBelow.isFinite && p.closeUpRoomBelow >= 0 && p.closeUpRoomBelow <= p.fullBodyRoomBelow,
                 "personChecks: need 0 <= closeUpRoomBelow (\(p.closeUpRoomBelow)) <= fullBodyRoomBelow (\(p.fullBodyRoomBelow))")
            need((0...1).contains(p.otherPersonFraction), "personChecks.otherPersonFraction is \(p.otherPersonFraction); it must be 0 to 1")
            need(L.minFaceHeight.contains(p.minFaceHeight), "personChecks.minFaceHeight is \(p.minFaceHeight); it must be 0 to 10000")
            need((0...1).contains(p.cutOffTolerance), "personChecks.cutOffTolerance is \(p.cutOffTolerance); it must be 0 to 1")
            need((0...1).contains(p.fullBodyFraction) && (0...1).contains(p.closeUpFraction) && p.fullBodyFraction <= p.closeUpFraction,
                 "personChecks: need 0 <= fullBodyFraction (\(p.fullBodyFraction)) <= closeUpFraction (\(p.closeUpFraction)) <= 1")
            need(L.maxIdentityDistance.contains(p.maxIdentityDistance), "personChecks.maxIdentityDistance is \(p.maxIdentityDistance); it must be 0 to 4")
        }
        return problems
    }
}
