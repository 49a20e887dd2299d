import Foundation

/// Separable Lanczos-3 resampling. The kernel's support widens with the reduction factor, so a
/// large reduction averages every source pixel it covers instead of aliasing. Weights are fixed
/// point (14 bits) and the intermediate is 8-bit, as Pillow does; accumulation is in Int32.
enum Resampler {
    static let precisionBits = 14
    static let one = Int32(1 << precisionBits)

    /// Output pixel `i` reads `count` source pixels starting at `start`, weighted by
    /// `weights[i * stride ..< i * stride + count]`.
    struct Taps {
        var start: [Int32]
        var count: [Int32]
        var weights: [Int32]
        var stride: Int
    }

    static func lanczos3(_ x: Double) -> Double {
        let x = abs(x)
        if x < 1e-9 { return 1 }
        if x >= 3 { return 0 }
        let px = Double.pi * x
        return 3 * sin(px) * sin(px / 3) / (px * px)
    }

    static func taps(from source: Int, to target: Int) -> Taps {
        let scale = Double(source) / Double(target)
        let filterScale = max(scale, 1)
        let support = 3 * filterScale
        let stride = Int(ceil(support)) * 2 + 1
        var start = [Int32](repeating: 0, count: target)
        var count = [Int32](repeating: 0, count: target)
        var weights = [Int32](repeating: 0, count: target * stride)
        var real = [Double](repeating: 0, count: stride)
        for i in 0..<target {
            let center = (Double(i) + 0.5) * scale
            let first = max(0, Int(floor(center - support)))
            let last = min(source, Int(ceil(center + support)))
            let n = min(last - first, stride)
            var total = 0.0
            for k in 0..<n {
                let w = lanczos3((Double(first + k) + 0.5 - center) / filterScale)
                real[k] = w
                total += w
            }
            // Normalise, then round so the integer weights sum to exactly `one`: flat areas stay flat.
            var sum: Int32 = 0
            var largest = 0
            for k in 0..<n {
                let w = Int32((real[k] / (total == 0 ? 1 : total) * Double(one)).rounded())
                weights[i * stride + k] = w
                sum += w
                if abs(w) > abs(weights[i * stride + largest]) { largest = k }
            }
            weights[i * stride + largest] += one - sum
            start[i] = Int32(first)
            count[i] = Int32(n)
        }
        return Taps(start: start, count: count, weights: weights, stride: stride)
    }

    @inline(__always)
    static func clamp(_ value: Int32) -> UInt8 {
        let rounded = (value + (one >> 1)) >> Int32(precisionBits)
        return UInt8(truncatingIfNeeded: min(max(rounded, 0), 255))
    }

    /// Resizes `source` to exactly `width` x `height`.
    static func resize(_ source: PixelBuffer, width: Int, height: Int) -> PixelBuffer {
        if source.width == width && source.height == height { return source }
        // Columns first: that pass works on whole rows and vectorises, and it leaves fewer rows
        // for the per-pixel horizontal pass when the image shrinks.
        let vertical = source.height == height ? source : resizeColumns(source, to: height)
        return vertical.width == width ? vertical : resizeRows(vertical, to: width)
    }

    private static func resizeRows(_ source: PixelBuffer, to width: Int) -> PixelBuffer {
        let taps = taps(from: source.width, to: width)
        let output = PixelBuffer(width: width, height: source.height)
        let inStride = source.stride, outStride = output.stride
        taps.start.withUnsafeBufferPointer { starts in
            taps.count.withUnsafeBufferPointer { counts in
                taps.weights.withUnsafeBufferPointer { weights in
                    for y in 0..<source.height {
                        let row = source.pixels + y * inStride
                        var out = output.pixels + y * outStride
                        for x in 0..<width {
                            var r: Int32 = 0, g: Int32 = 0, b: Int32 = 0
                            var p = row + Int(starts[x]) * 3
                            let w = weights.baseAddress! + x * taps.stride
                            for k in 0..<Int(counts[x]) {
                                let weight = w[k]
                                r &+= weight &* Int32(p[0])
                                g &+= weight &* Int32(p[1])
                                b &+= weight &* Int32(p[2])
                                p += 3
                            }
                            out[0] = clamp(r)
                            out[1] = clamp(g)
                            out[2] = clamp(b)
                            out += 3
                        }
                    }
                }
            }
        }
        return output
    }

    private static func resizeColumns(_ source: PixelBuffer, to height: Int) -> PixelBuffer {
        let taps = taps(from: source.height, to: height)
        let output = PixelBuffer(width: source.width, height: height)
        let rowBytes = source.stride
        let accumulator = UnsafeMutablePointer<Int32>.allocate(capacity: rowBytes)
        defer { accumulator.deallocate() }
        for y in 0..<height {
            accumulator.initialize(repeating: 0, count: rowBytes)
            let w = y * taps.stride
            let first = Int(taps.start[y])
            for k in 0..<Int(taps.count[y]) {
                let weight = taps.weights[w + k]
                let row = source.pixels + (first + k) * rowBytes
                // Whole rows at a time: this loop vectorises.
                for i in 0..<rowBytes { accumulator[i] &+= weight &* Int32(row[i]) }
            }
            let out = output.pixels + y * rowBytes
            for i in 0..<rowBytes { out[i] = clamp(accumulator[i]) }
        }
        return output
    }
}
