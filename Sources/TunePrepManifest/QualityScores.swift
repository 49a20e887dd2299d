/// Measurements behind the image-quality checks, taken on a normalised downscale (long side
/// 512 px, an area average) of the upright image, so they compare across resolutions. Recorded
/// in the manifest; TunePrep measures them (`QualityScores.measure`).
public struct QualityScores: Codable, Sendable, Equatable {
    /// Variance of the Laplacian of luma (0-255 scale): low means few sharp edges, i.e. blur.
    public var sharpness: Double
    /// Mean luma (BT.601), 0-255.
    public var meanLuma: Double
    /// Share of pixels with luma at or under 20 (crushed shadows).
    public var darkShare: Double
    /// Share of pixels with luma at or over 250 (clipped highlights).
    public var clippedShare: Double
    /// Mean of max(R,G,B) - min(R,G,B): near 0 for a grey image.
    public var colorfulness: Double
    /// 64-bit perceptual hash (DCT of a 32x32 luma thumbnail), as 16 hex digits.
    public var perceptualHash: String

    /// Makes scores from their measured values.
    package init(
        sharpness: Double, meanLuma: Double, darkShare: Double, clippedShare: Double, colorfulness: Double,
        perceptualHash: String
    ) {
        (self.sharpness, self.meanLuma, self.darkShare, self.clippedShare, self.colorfulness, self.perceptualHash) =
            (sharpness, meanLuma, darkShare, clippedShare, colorfulness, perceptualHash)
    }

    /// How many bits two perceptual hashes differ in; nil when either is not 16 hex digits.
    package static func hammingDistance(_ a: String, _ b: String) -> Int? {
        guard let x = UInt64(a, radix: 16), let y = UInt64(b, radix: 16) else { return nil }
        return (x ^ y).nonzeroBitCount
    }
}
