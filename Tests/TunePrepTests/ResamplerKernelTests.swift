import Foundation
import Testing

@testable import TunePrep
import TunePrepSamples

/// The resampler's C kernels (SSE2 on x86-64) against the plain definition of the same filter,
/// and the filter against a floating-point Lanczos-3 computed here from scratch.
@Suite("Resampler kernels", .serialized)
struct ResamplerKernelTests {
    /// The separable filter as written in its definition: vertical pass with an 8-bit
    /// intermediate, then horizontal, each sum rounded (add half, shift) and clamped.
    static func reference(_ source: PixelBuffer, width: Int, height: Int, filter: Resampler.Filter = .lanczos3) -> [UInt8] {
        func clamp(_ sum: Int32) -> UInt8 { UInt8(min(max(sum >> 14, 0), 255)) }
        var rows = source.bytes
        var rowsHeight = source.height
        if height != source.height {
            let taps = Resampler.taps(from: source.height, to: height, filter: filter)
            var out = [UInt8](repeating: 0, count: source.width * 3 * height)
            for y in 0..<height {
                for i in 0..<(source.width * 3) {
                    var sum: Int32 = 1 << 13
                    for k in 0..<Int(taps.count[y]) {
                        sum += Int32(taps.weights[y * taps.stride + k]) * Int32(rows[(Int(taps.start[y]) + k) * source.width * 3 + i])
                    }
                    out[y * source.width * 3 + i] = clamp(sum)
                }
            }
            rows = out
            rowsHeight = height
        }
        guard width != source.width else { return rows }
        let taps = Resampler.taps(from: source.width, to: width, filter: filter)
        var out = [UInt8](repeating: 0, count: width * 3 * rowsHeight)
        for y in 0..<rowsHeight {
            for x in 0..<width {
                for c in 0..<3 {
                    var sum: Int32 = 1 << 13
                    for k in 0..<Int(taps.count[x]) {
                        sum += Int32(taps.weights[x * taps.stride + k]) * Int32(rows[(y * source.width + Int(taps.start[x]) + k) * 3 + c])
                    }
                    out[(y * width + x) * 3 + c] = clamp(sum)
                }
            }
        }
        return out
    }

    @Test("the kernels give exactly the bytes of the plain definition", arguments: [
        (97, 61, 40, 23),      // row bytes not a multiple of 16, odd tap counts
        (640, 480, 201, 150),  // reductions of about 3.2x: wide support
        (33, 17, 50, 31),      // enlargement: 7 taps, odd
        (1, 40, 1, 9),         // one column
        (40, 1, 9, 1),         // one row
        (2115, 12, 2048, 11),  // the common case: a slight reduction of a DCT-scaled decode
        (512, 300, 128, 75),   // the quality scores' 4x reduction
        (4000, 3, 1000, 2),    // 25 taps: several groups of four
        (301, 5, 300, 4),      // the smallest reduction: 7-8 taps, last pixels reading past the row
    ])
    func exact(_ size: (Int, Int, Int, Int)) {
        let (sw, sh, dw, dh) = size
        let source = Fixtures.noise(width: sw, height: sh, seed: UInt64(sw * 31 + sh))
        let expected = Self.reference(source, width: dw, height: dh)
        for filter in [Resampler.Filter.lanczos3, .box] where filter == .lanczos3 || (dw < sw && dh < sh) {
            let expected = filter == .lanczos3 ? expected : Self.reference(source, width: dw, height: dh, filter: .box)
            // Every instruction set this CPU has, the best last (it stays in use for other tests).
            for isa in Resampler.InstructionSet.allCases where isa <= Resampler.InstructionSet.best {
                #expect(Resampler.InstructionSet.use(isa) == isa)
                let out = Resampler.resize(source, width: dw, height: dh, filter: filter)
                #expect(out.width == dw && out.height == dh)
                let mismatches = zip(out.bytes, expected).filter { $0 != $1 }.count
                #expect(mismatches == 0, "\(sw)x\(sh) -> \(dw)x\(dh), \(filter), \(isa): \(mismatches) bytes differ")
            }
        }
    }

    @Test("a turn folded into the horizontal pass equals resizing, then turning", arguments: Orientation.allCases)
    func foldedOrientation(_ orientation: Orientation) {
        let source = Fixtures.noise(width: 123, height: 77, seed: 5)
        for isa in Resampler.InstructionSet.allCases where isa <= Resampler.InstructionSet.best {
            Resampler.InstructionSet.use(isa)
            for (w, h) in [(61, 40), (61, 77), (123, 50)] {
                let folded = Resampler.resize(source, width: w, height: h, orientation: orientation)
                let separate = Resampler.resize(source, width: w, height: h).oriented(orientation)
                #expect(folded.width == separate.width && folded.height == separate.height)
                #expect(folded.bytes == separate.bytes, "\(orientation) \(isa) \(w)x\(h)")
            }
        }
        Resampler.InstructionSet.use(.best)
    }

    @Test("a stream fed rows in uneven batches gives exactly the bytes of resizing the whole raster",
          arguments: Orientation.allCases)
    func streamEqualsWhole(_ orientation: Orientation) {
        let source = Fixtures.noise(width: 131, height: 97, seed: 11)
        var batches = SplitMix(seed: UInt64(orientation.rawValue))
        for isa in Resampler.InstructionSet.allCases where isa <= Resampler.InstructionSet.best {
            Resampler.InstructionSet.use(isa)
            // Reductions (wide windows), a slight one, one dimension unchanged, an enlargement.
            for (w, h) in [(40, 23), (127, 94), (131, 50), (60, 97), (200, 150), (1, 1)] {
                for filter in [Resampler.Filter.lanczos3, .box] {
                    guard let stream = Resampler.Stream(
                        sourceWidth: 131, sourceHeight: 97, width: w, height: h, filter: filter, orientation: orientation)
                    else { Issue.record("no stream"); continue }
                    var row = 0
                    while row < 97 {
                        let count = min(97 - row, Int(batches.next() % 17) + 1)
                        #expect(stream.write(source.pixels + row * source.stride, stride: source.stride, count: count))
                        row += count
                    }
                    #expect(stream.finished)
                    let whole = Resampler.resize(source, width: w, height: h, filter: filter, orientation: orientation)
                    #expect(stream.output.width == whole.width && stream.output.height == whole.height)
                    #expect(stream.output.bytes == whole.bytes, "\(orientation) \(isa) \(filter) \(w)x\(h)")
                    #expect(!stream.write(source.pixels, stride: source.stride, count: 1), "a row past the last is refused")
                }
            }
        }
        Resampler.InstructionSet.use(.best)
    }

    @Test("a stream short of rows is not finished")
    func streamShort() throws {
        let source = Fixtures.noise(width: 64, height: 48)
        let stream = try #require(Resampler.Stream(sourceWidth: 64, sourceHeight: 48, width: 20, height: 15))
        #expect(stream.write(source.pixels, stride: source.stride, count: 47))
        #expect(!stream.finished)
    }

    @Test("this x86-64 machine runs a vector path")
    func vectorPath() {
        #if arch(x86_64)
        #expect(Resampler.InstructionSet.best >= .sse2)
        #endif
        print("resampler kernels: \(Resampler.InstructionSet.best)")
    }

    @Test("box filter: a 4x reduction is the mean of each 4x4 block, within rounding")
    func boxMeans() {
        let source = Fixtures.noise(width: 64, height: 48, seed: 3)
        let out = Resampler.resize(source, width: 16, height: 12, filter: .box)
        var worst = 0
        for y in 0..<12 {
            for x in 0..<16 {
                for c in 0..<3 {
                    var sum = 0
                    for dy in 0..<4 { for dx in 0..<4 { sum += Int(source.pixels[((y * 4 + dy) * 64 + x * 4 + dx) * 3 + c]) } }
                    worst = max(worst, abs(Int(out.pixels[(y * 16 + x) * 3 + c]) - (sum + 8) / 16))
                }
            }
        }
        #expect(worst <= 1, "largest difference \(worst)")
        let taps = Resampler.taps(from: 64, to: 16, filter: .box)
        #expect(taps.count.allSatisfy { $0 == 4 } || taps.weights.filter { $0 != 0 }.count == 64)
    }

    @Test("extreme values saturate instead of wrapping")
    func saturation() {
        // Black and white stripes: Lanczos overshoots past 0 and 255 next to the edges.
        let (w, h) = (64, 64)
        let stripes = PixelBuffer(width: w, height: h, rgb: (0..<(w * h)).flatMap { i -> [UInt8] in
            let v: UInt8 = (i % w) / 8 % 2 == 0 ? 255 : 0
            let u: UInt8 = (i / w) / 8 % 2 == 0 ? 0 : 255
            return [v, u, v ^ u]
        })
        let out = Resampler.resize(stripes, width: 80, height: 90)
        let expected = Self.reference(stripes, width: 80, height: 90)
        #expect(expected.contains(0) && expected.contains(255), "the reference clamps somewhere")
        #expect(zip(out.bytes, expected).filter { $0 != $1 }.count == 0)
    }

    @Test("close to a floating-point Lanczos-3 computed from scratch")
    func againstFloat() {
        let source = Fixtures.pattern(width: 300, height: 200)
        let (dw, dh) = (137, 91)
        let out = Resampler.resize(source, width: dw, height: dh)
        // The textbook filter: support 3 * scale, weights normalised per output, in Double.
        func weights(_ n: Int, _ m: Int) -> [[(Int, Double)]] {
            let scale = Double(n) / Double(m), support = 3 * max(scale, 1)
            return (0..<m).map { i in
                let center = (Double(i) + 0.5) * scale
                let range = max(0, Int(floor(center - support)))..<min(n, Int(ceil(center + support)))
                let raw = range.map { j -> (Int, Double) in
                    let x = abs((Double(j) + 0.5 - center) / max(scale, 1))
                    let w = x < 1e-9 ? 1 : x >= 3 ? 0 : 3 * sin(.pi * x) * sin(.pi * x / 3) / (.pi * x * .pi * x)
                    return (j, w)
                }
                let total = raw.reduce(0) { $0 + $1.1 }
                return raw.map { ($0.0, $0.1 / total) }
            }
        }
        let wx = weights(300, dw), wy = weights(200, dh)
        var error = 0.0
        for y in 0..<dh {
            for x in 0..<dw {
                for c in 0..<3 {
                    var value = 0.0
                    for (sy, a) in wy[y] { for (sx, b) in wx[x] { value += a * b * Double(source.pixels[(sy * 300 + sx) * 3 + c]) } }
                    error += abs(min(max(value, 0), 255) - Double(out.pixels[(y * dw + x) * 3 + c]))
                }
            }
        }
        let mean = error / Double(dw * dh * 3)
        #expect(mean < 0.6, "mean absolute error \(mean)")
    }
}
