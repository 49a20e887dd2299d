import CTunePrepResample
import Foundation

/// Separable Lanczos-3 resampling. The kernel's support widens with the reduction factor, so a
/// large reduction averages every source pixel it covers instead of aliasing. Weights are fixed
/// point (14 bits, Int16) and the intermediate is 8-bit, as Pillow does; accumulation is in Int32.
/// The taps are built here; the loops that apply them are C kernels (`CTunePrepResample`).
enum Resampler {
    static let precisionBits = Int(CTunePrepResample_PRECISION)
    static let one = Int32(1 << precisionBits)

    /// Output pixel `i` reads `count` source pixels starting at `start`, weighted by
    /// `weights[i * stride ..< i * stride + count]`.
    struct Taps {
        var start: [Int32]
        var count: [Int32]
        var weights: [Int16]
        /// Even, and each output's weights are zero past its count: the kernels read them in pairs.
        var stride: Int
    }

    enum Filter: Sendable {
        /// The outputs: sharp, little ringing.
        case lanczos3
        /// An area average: what the quality scores measure on, at a fifth of Lanczos's taps.
        case box

        var radius: Double {
            switch self {
            case .lanczos3: 3
            case .box: 0.5
            }
        }

        func weight(_ x: Double) -> Double {
            switch self {
            case .lanczos3:
                let x = abs(x)
                if x < 1e-9 { return 1 }
                if x >= 3 { return 0 }
                let px = Double.pi * x
                return 3 * sin(px) * sin(px / 3) / (px * px)
            case .box:
                return x >= -0.5 && x < 0.5 ? 1 : 0
            }
        }
    }

    static func taps(from source: Int, to target: Int, filter: Filter = .lanczos3) -> Taps {
        let scale = Double(source) / Double(target)
        let filterScale = max(scale, 1)
        let support = filter.radius * filterScale
        let taps = Int(ceil(support)) * 2 + 1
        let stride = taps + 1
        var start = [Int32](repeating: 0, count: target)
        var count = [Int32](repeating: 0, count: target)
        var weights = [Int16](repeating: 0, count: target * stride)
        var fixed = [Int32](repeating: 0, count: stride)
        var real = [Double](repeating: 0, count: stride)
        for i in 0..<target {
            let center = (Double(i) + 0.5) * scale
            let first = max(0, Int(floor(center - support)))
            let last = min(source, Int(ceil(center + support)))
            let n = min(last - first, taps)
            var total = 0.0
            for k in 0..<n {
                let w = filter.weight((Double(first + k) + 0.5 - center) / filterScale)
                real[k] = w
                total += w
            }
            // Normalise, then round so the integer weights sum to exactly `one`: flat areas stay flat.
            var sum: Int32 = 0
            var largest = 0
            for k in 0..<n {
                let w = Int32((real[k] / (total == 0 ? 1 : total) * Double(one)).rounded())
                fixed[k] = w
                sum += w
                if abs(w) > abs(fixed[largest]) { largest = k }
            }
            fixed[largest] += one - sum
            // |w| <= one (1 << 14) after normalisation, so every weight fits in Int16.
            for k in 0..<n { weights[i * stride + k] = Int16(clamping: fixed[k]) }
            start[i] = Int32(first)
            count[i] = Int32(n)
        }
        return Taps(start: start, count: count, weights: weights, stride: stride)
    }

    /// The kernels' instruction set: the best the CPU has unless lowered (tests run every path).
    enum InstructionSet: Int, Comparable, CaseIterable, Sendable {
        case plain, sse2, avx2
        static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

        static var best: InstructionSet {
            InstructionSet(rawValue: Int(CTunePrepResample_best_isa().rawValue)) ?? .plain
        }

        /// Uses `wanted`, or the best below it the CPU has; returns what is now in use.
        @discardableResult
        static func use(_ wanted: InstructionSet) -> InstructionSet {
            let chosen = CTunePrepResample_use_isa(CTunePrepResample_isa(rawValue: UInt32(wanted.rawValue)))
            return InstructionSet(rawValue: Int(chosen.rawValue)) ?? .plain
        }
    }

    /// Resizes `source` to exactly `width` x `height`, then turns it upright for `orientation`;
    /// the turn is folded into the last pass's writes when there is one.
    static func resize(
        _ source: PixelBuffer, width: Int, height: Int, filter: Filter = .lanczos3, orientation: Orientation = .up
    ) -> PixelBuffer {
        if source.width == width && source.height == height { return source.oriented(orientation) }
        // Columns first: that pass works on whole rows, and it leaves fewer rows for the
        // per-pixel horizontal pass when the image shrinks.
        let vertical = source.height == height ? source : resizeColumns(source, to: height, filter: filter)
        if vertical.width == width { return vertical.oriented(orientation) }
        return resizeRows(vertical, to: width, filter: filter, orientation: orientation)
    }

    private static func resizeRows(_ source: PixelBuffer, to width: Int, filter: Filter, orientation: Orientation) -> PixelBuffer {
        let taps = taps(from: source.width, to: width, filter: filter)
        let size = orientation.orientedSize(width: width, height: source.height)
        let output = PixelBuffer(uninitializedWidth: size.width, height: size.height)
        let layout = orientation.layout(width: width, height: source.height)
        taps.withC { c in
            CTunePrepResample_horizontal_rgb(
                source.pixels, source.stride, Int32(source.width),
                output.pixels + layout.origin, layout.pixelStep, layout.rowStep,
                Int32(width), Int32(source.height), c)
        }
        return output
    }

    private static func resizeColumns(_ source: PixelBuffer, to height: Int, filter: Filter) -> PixelBuffer {
        let taps = taps(from: source.height, to: height, filter: filter)
        let output = PixelBuffer(uninitializedWidth: source.width, height: height)
        taps.withC { c in
            CTunePrepResample_vertical(
                source.pixels, source.stride, Int32(source.height),
                output.pixels, output.stride, Int32(height), source.stride, c)
        }
        return output
    }
}

extension Resampler.Taps {
    func withC<R>(_ body: (CTunePrepResample_taps) -> R) -> R {
        start.withUnsafeBufferPointer { starts in
            count.withUnsafeBufferPointer { counts in
                weights.withUnsafeBufferPointer { weights in
                    body(CTunePrepResample_taps(
                        starts: starts.baseAddress, counts: counts.baseAddress,
                        weights: weights.baseAddress, weight_stride: Int32(stride)))
                }
            }
        }
    }
}

extension Resampler {
    /// The same resize as `resize(_:width:height:filter:orientation:)`, fed a few rows at a time
    /// by a decoder, so the decoded raster is never held whole: only the rows the vertical filter
    /// still needs. Same bytes as the two passes over a whole raster.
    final class Stream {
        /// The upright output; complete once `finished`.
        let output: PixelBuffer
        let sourceWidth: Int
        let sourceHeight: Int
        fileprivate let handle: OpaquePointer

        /// Nil only when memory for the stream's row buffers cannot be had.
        init?(sourceWidth: Int, sourceHeight: Int, width: Int, height: Int,
              filter: Filter = .lanczos3, orientation: Orientation = .up) {
            precondition(sourceWidth > 0 && sourceHeight > 0 && width > 0 && height > 0, "empty resize")
            let size = orientation.orientedSize(width: width, height: height)
            let output = PixelBuffer(uninitializedWidth: size.width, height: size.height)
            let layout = orientation.layout(width: width, height: height)
            let vertical = Resampler.taps(from: sourceHeight, to: height, filter: filter)
            let horizontal = Resampler.taps(from: sourceWidth, to: width, filter: filter)
            // The C stream copies the taps, so they need not outlive this call.
            let handle = vertical.withC { v in
                horizontal.withC { h in
                    CTunePrepResample_stream_create(
                        Int32(sourceWidth), Int32(sourceHeight), Int32(width), Int32(height), v, h,
                        output.pixels + layout.origin, layout.pixelStep, layout.rowStep)
                }
            }
            guard let handle else { return nil }
            self.output = output
            self.sourceWidth = sourceWidth
            self.sourceHeight = sourceHeight
            self.handle = handle
        }

        deinit { CTunePrepResample_stream_free(handle) }

        /// Hands `count` packed RGB rows to the stream (the path a decoder's sink takes).
        @discardableResult
        func write(_ rows: UnsafePointer<UInt8>, stride: Int, count: Int) -> Bool {
            CTunePrepResample_stream_write(UnsafeMutableRawPointer(handle), rows, stride, UInt32(count)) == 0
        }

        /// Every source row arrived and every output row is written.
        var finished: Bool { CTunePrepResample_stream_finished(handle) != 0 }

        /// The stream as an opaque context for a C row sink.
        var context: UnsafeMutableRawPointer { UnsafeMutableRawPointer(handle) }
    }
}
