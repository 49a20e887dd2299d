import Foundation

extension PrepareOptions {
    /// The widest values the pipeline accepts; the command line checks the same ranges.
    public static let maxPixelsOnASide = 1 << 20
    /// Largest `maxBytes` or `maxTotalBytes` accepted, in bytes (1 TiB).
    public static let maxByteCount = 1 << 40

    /// Every option outside what the pipeline can honour, in words naming the option and its
    /// value. Empty when the options can be used. `Preparer` refuses options with problems
    /// (``StagingError/invalidOptions(_:)``) before reading any photo, so a library caller gets an
    /// error instead of a trap or a silently clamped value.
    public var problems: [String] {
        var problems: [String] = []
        func need(_ ok: Bool, _ text: @autoclosure () -> String) { if !ok { problems.append(text()) } }
        let sides = 16...Self.maxPixelsOnASide
        need(sides.contains(maxSide), "maxSide is \(maxSide); it must be \(sides.lowerBound) to \(sides.upperBound)")
        need((1...Self.maxPixelsOnASide).contains(minSide), "minSide is \(minSide); it must be 1 to \(Self.maxPixelsOnASide)")
        need((1...100).contains(quality), "quality is \(quality); it must be 1 to 100")
        need((1...100).contains(minQuality), "minQuality is \(minQuality); it must be 1 to 100")
        need(minQuality <= quality, "minQuality \(minQuality) is above quality \(quality)")
        need((10_000...Self.maxByteCount).contains(maxBytes), "maxBytes is \(maxBytes); it must be 10000 to \(Self.maxByteCount)")
        if let maxTotalBytes {
            need((1...Self.maxByteCount).contains(maxTotalBytes), "maxTotalBytes is \(maxTotalBytes); it must be 1 to \(Self.maxByteCount)")
        }
        need(minImages >= 0 && minImages <= maxImages, "minImages \(minImages) and maxImages \(maxImages): need 0 <= minImages <= maxImages")
        need(maxPixels > 0 && maxPixels <= 100_000_000_000, "maxPixels is \(maxPixels); it must be 1 to 100000000000")
        need(extremeAspect.isFinite && extremeAspect >= 1, "extremeAspect is \(extremeAspect); it must be 1 or more")
        let t = thresholds
        need(t.minSharpness.isFinite && t.minSharpness >= 0, "thresholds.minSharpness is \(t.minSharpness); it must be 0 or more")
        need((-1...64).contains(t.nearDuplicateBits), "thresholds.nearDuplicateBits is \(t.nearDuplicateBits); it must be -1 (off) to 64")
        need((0...255).contains(t.minMeanLuma), "thresholds.minMeanLuma is \(t.minMeanLuma); it must be 0 to 255")
        need((0...1).contains(t.maxDarkShare), "thresholds.maxDarkShare is \(t.maxDarkShare); it must be 0 to 1")
        need((0...1).contains(t.maxClippedShare), "thresholds.maxClippedShare is \(t.maxClippedShare); it must be 0 to 1")
        need((0...255).contains(t.minColorfulness), "thresholds.minColorfulness is \(t.minColorfulness); it must be 0 to 255")
        let p = personChecks
        if p.enabled {
            need((80...8192).contains(p.detectionSide), "personChecks.detectionSide is \(p.detectionSide); it must be 80 to 8192")
            need(p.minConfidence.isFinite && p.otherFaceMinConfidence.isFinite, "personChecks confidences must be finite numbers")
            need((0...1).contains(p.otherPersonFraction), "personChecks.otherPersonFraction is \(p.otherPersonFraction); it must be 0 to 1")
            need((0...10_000).contains(p.minFaceHeight), "personChecks.minFaceHeight is \(p.minFaceHeight); it must be 0 to 10000")
            need((0...1).contains(p.cutOffTolerance), "personChecks.cutOffTolerance is \(p.cutOffTolerance); it must be 0 to 1")
            need((0...1).contains(p.fullBodyFraction) && (0...1).contains(p.closeUpFraction) && p.fullBodyFraction <= p.closeUpFraction,
                 "personChecks: need 0 <= fullBodyFraction (\(p.fullBodyFraction)) <= closeUpFraction (\(p.closeUpFraction)) <= 1")
            need((0...4).contains(p.maxIdentityDistance), "personChecks.maxIdentityDistance is \(p.maxIdentityDistance); it must be 0 to 4")
        }
        return problems
    }
}
