import Foundation

/// The measuring behind ``QualityScores`` (whose record lives in TunePrepManifest).
extension QualityScores {
    static let side = 512

    static func measure(_ image: PixelBuffer) -> QualityScores {
        let scale = Double(side) / Double(max(image.width, image.height))
        let small = scale < 1
            ? Resampler.resize(
                image, width: max(1, Int((Double(image.width) * scale).rounded())),
                height: max(1, Int((Double(image.height) * scale).rounded())), filter: .box)
            : image
        let w = small.width, h = small.height, count = w * h
        var luma = [Float](repeating: 0, count: count)
        var sum = 0.0, dark = 0, clipped = 0, chroma = 0
        for i in 0..<count {
            let r = Int(small.pixels[i * 3]), g = Int(small.pixels[i * 3 + 1]), b = Int(small.pixels[i * 3 + 2])
            let y = (299 * r + 587 * g + 114 * b) / 1000
            luma[i] = Float(y)
            sum += Double(y)
            if y <= 20 { dark += 1 }
            if y >= 250 { clipped += 1 }
            chroma += max(r, g, b) - min(r, g, b)
        }
        var laplacianSum = 0.0, laplacianSquares = 0.0, laplacianCount = 0
        if w >= 3 && h >= 3 {
            for y in 1..<(h - 1) {
                for x in 1..<(w - 1) {
                    let i = y * w + x
                    let l = Double(luma[i - 1] + luma[i + 1] + luma[i - w] + luma[i + w] - 4 * luma[i])
                    laplacianSum += l
                    laplacianSquares += l * l
                    laplacianCount += 1
                }
            }
        }
        let mean = laplacianCount > 0 ? laplacianSum / Double(laplacianCount) : 0
        let variance = laplacianCount > 0 ? laplacianSquares / Double(laplacianCount) - mean * mean : 0
        return QualityScores(
            sharpness: (variance * 10).rounded() / 10, meanLuma: (sum / Double(count) * 10).rounded() / 10,
            darkShare: (Double(dark) / Double(count) * 1000).rounded() / 1000,
            clippedShare: (Double(clipped) / Double(count) * 1000).rounded() / 1000,
            colorfulness: (Double(chroma) / Double(count) * 10).rounded() / 10,
            perceptualHash: perceptualHash(luma: luma, width: w, height: h))
    }

    /// pHash: area-average to 32x32, 2-D DCT-II, the 8x8 lowest frequencies but DC, each bit set
    /// when its coefficient is above their median.
    static func perceptualHash(luma: [Float], width: Int, height: Int) -> String {
        let n = 32
        var thumb = [Double](repeating: 0, count: n * n)
        for ty in 0..<n {
            let y0 = ty * height / n, y1 = max(y0 + 1, (ty + 1) * height / n)
            for tx in 0..<n {
                let x0 = tx * width / n, x1 = max(x0 + 1, (tx + 1) * width / n)
                var total = 0.0
                for y in y0..<min(y1, height) { for x in x0..<min(x1, width) { total += Double(luma[y * width + x]) } }
                thumb[ty * n + tx] = total / Double((min(y1, height) - y0) * (min(x1, width) - x0))
            }
        }
        var cosines = [Double](repeating: 0, count: 8 * n)
        for u in 0..<8 { for x in 0..<n { cosines[u * n + x] = cos(Double((2 * x + 1) * u) * Double.pi / Double(2 * n)) } }
        var rows = [Double](repeating: 0, count: n * 8)  // DCT along x for each row
        for y in 0..<n { for u in 0..<8 {
            var s = 0.0
            for x in 0..<n { s += thumb[y * n + x] * cosines[u * n + x] }
            rows[y * 8 + u] = s
        } }
        var coefficients: [Double] = []
        for v in 0..<8 { for u in 0..<8 {
            var s = 0.0
            for y in 0..<n { s += rows[y * 8 + u] * cosines[v * n + y] }
            coefficients.append(s)
        } }
        let ac = Array(coefficients.dropFirst())
        let median = ac.sorted()[ac.count / 2]
        var hash: UInt64 = 0
        for (i, c) in coefficients.enumerated() where i > 0 && c > median { hash |= 1 << UInt64(i) }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
