import Foundation
import Testing
@testable import TunePrep
import TunePrepSamples

@Suite("Quality checks")
struct QualityChecksTests {
    /// A separable box blur, three passes (close to a Gaussian of sigma ~ radius).
    static func blurred(_ image: PixelBuffer, radius: Int) -> PixelBuffer {
        var current = image.bytes
        let w = image.width, h = image.height
        for _ in 0..<3 {
            for horizontal in [true, false] {
                var next = current
                let (outer, inner) = horizontal ? (h, w) : (w, h)
                for o in 0..<outer {
                    for c in 0..<3 {
                        var sum = 0, count = 0
                        func at(_ i: Int) -> Int { horizontal ? (o * w + i) * 3 + c : (i * w + o) * 3 + c }
                        for i in 0..<min(radius, inner) { sum += Int(current[at(i)]); count += 1 }
                        for i in 0..<inner {
                            if i + radius < inner { sum += Int(current[at(i + radius)]); count += 1 }
                            if i - radius - 1 >= 0 { sum -= Int(current[at(i - radius - 1)]); count -= 1 }
                            next[at(i)] = UInt8(sum / count)
                        }
                    }
                }
                current = next
            }
        }
        return PixelBuffer(width: w, height: h, rgb: current)
    }

    static func scaled(_ image: PixelBuffer, by factor: Double, offset: Double = 0) -> PixelBuffer {
        let bytes: [UInt8] = image.bytes.map { value in
            let scaled: Double = Double(value) * factor + offset
            return UInt8(max(0.0, min(255.0, scaled)))
        }
        return PixelBuffer(width: image.width, height: image.height, rgb: bytes)
    }

    static func gray(_ image: PixelBuffer) -> PixelBuffer {
        var bytes = image.bytes
        for i in stride(from: 0, to: bytes.count, by: 3) {
            let r = 299 * Int(bytes[i]), g = 587 * Int(bytes[i + 1]), b = 114 * Int(bytes[i + 2])
            let y = UInt8((r + g + b) / 1000)
            bytes[i] = y
            bytes[i + 1] = y
            bytes[i + 2] = y
        }
        return PixelBuffer(width: image.width, height: image.height, rgb: bytes)
    }

    private func codes(_ image: PixelBuffer) -> Set<FindingCode> {
        Set(PhotoProcessor(options: Fixtures.filesOnly()).qualityFindings(QualityScores.measure(image)).map(\.code))
    }

    @Test("synthetic scenes: sharp passes; blurred, dark, overexposed and grey copies are flagged")
    func synthetic() {
        for seed in 1...4 {
            let scene = SampleSet.render(width: 1024, height: 768, seed: UInt64(seed))
            #expect(codes(scene).isEmpty, "seed \(seed): \(QualityScores.measure(scene))")
            #expect(codes(Self.blurred(scene, radius: 6)).contains(.blurry))
            #expect(codes(Self.scaled(scene, by: 0.15)).contains(.tooDark))
            #expect(codes(Self.scaled(scene, by: 2.2, offset: 40)).contains(.overexposed))
            #expect(codes(Self.gray(scene)) == [.grayscale])
        }
    }

    @Test("perceptual hash: the same scene turned, recompressed or resized is near; different scenes are far")
    func nearDuplicateHash() throws {
        let scene = SampleSet.render(width: 800, height: 600, seed: 11)
        let hash = QualityScores.measure(scene).perceptualHash
        let recompressed = try Fixtures.decode(FixtureEncoder.jpeg(samples: scene.bytes, width: 800, height: 600, quality: 60))
        let smaller = Resampler.resize(scene, width: 533, height: 400)
        for variant in [recompressed, smaller, Self.scaled(scene, by: 0.9, offset: 10)] {
            let distance = try #require(QualityScores.hammingDistance(hash, QualityScores.measure(variant).perceptualHash))
            #expect(distance <= Fixtures.filesOnly().thresholds.nearDuplicateBits, "distance \(distance)")
        }
        // Our synthetic scenes share one composition (sky, sun, figure), so "different" here means
        // another composition; unrelated real photos are checked in the corpus test.
        let others = [scene.oriented(.down), scene.oriented(.upMirrored), Fixtures.pattern(width: 800, height: 600), Fixtures.noise(width: 800, height: 600)]
        for (index, other) in others.enumerated() {
            let distance = try #require(QualityScores.hammingDistance(hash, QualityScores.measure(other).perceptualHash))
            #expect(distance > Fixtures.filesOnly().thresholds.nearDuplicateBits, "other \(index) distance \(distance)")
        }
    }

    /// Real photos: none flagged blurry, dark, overexposed or grey; a blurred copy of each is
    /// flagged blurry. Prints the score distributions the thresholds were set from.
    @Test("corpus photos: sharp ones pass, blurred copies are flagged", .enabled(if: Corpus.isAvailable, Corpus.skipReason))
    func corpusCalibration() async throws {
        var options = Fixtures.filesOnly()
        options.maxImages = 100
        let report = try await Preparer(options: options).check([Corpus.root.appendingPathComponent("photos").path])
        var sharp: [Double] = [], luma: [Double] = [], clipped: [Double] = [], colorful: [Double] = []
        for image in report.images where image.verdict == .staged {
            let scores = try #require(image.scores)
            sharp.append(scores.sharpness); luma.append(scores.meanLuma); clipped.append(scores.clippedShare); colorful.append(scores.colorfulness)
            let quality = image.findings.filter { [.blurry, .tooDark, .overexposed, .grayscale].contains($0.code) }
            #expect(quality.isEmpty, "\(image.source): \(quality)")
        }
        var blurredSharpness: [Double] = []
        var darkLuma: [Double] = []
        for name in ["phone/iphone6-a.jpg", "phone/jolla.jpg", "phone/nokia-8.3.jpg", "camera/canon-ixus40.jpg", "camera/olympus-e-p3.jpg", "orientation/Landscape_1.jpg", "orientation/Portrait_1.jpg"] {
            let data = try Data(contentsOf: Corpus.root.appendingPathComponent("photos/" + name))
            let decoded = try Fixtures.decode(data)
            // Blurred at 1024 px with a radius of 1/400 of the long side (5 px at 2048): a slightly
            // missed focus, not a smear. Working at 1024 keeps this debug-built test quick.
            let target = PhotoProcessor.targetSize(width: decoded.width, height: decoded.height, maxSide: 1024)
            let upright = Resampler.resize(decoded, width: target.width, height: target.height)
            let blurred = Self.blurred(upright, radius: max(2, max(upright.width, upright.height) / 400))
            let scores = QualityScores.measure(blurred)
            blurredSharpness.append(scores.sharpness)
            #expect(codes(blurred).contains(.blurry), "\(name) blurred: sharpness \(scores.sharpness)")
            let dark = Self.scaled(upright, by: 0.25)
            darkLuma.append(QualityScores.measure(dark).meanLuma)
            #expect(codes(dark).contains(.tooDark), "\(name) darkened")
        }
        func summary(_ values: [Double]) -> String {
            let s = values.sorted()
            return s.isEmpty ? "-" : "min \(s.first!) median \(s[s.count / 2]) max \(s.last!)"
        }
        print("calibration: sharpness of real photos \(summary(sharp)); of blurred copies \(summary(blurredSharpness)); threshold \(options.thresholds.minSharpness)")
        print("calibration: mean luma of real photos \(summary(luma)); of darkened copies \(summary(darkLuma)); threshold \(options.thresholds.minMeanLuma)")
        print("calibration: clipped share \(summary(clipped)) (threshold \(options.thresholds.maxClippedShare)); colourfulness \(summary(colorful)) (threshold \(options.thresholds.minColorfulness))")
    }

    @Test("near-duplicates in the corpus: iPhone HDR pair and every orientation sibling", .enabled(if: Corpus.isAvailable, Corpus.skipReason))
    func corpusNearDuplicates() async throws {
        var options = Fixtures.filesOnly()
        options.maxImages = 100
        let report = try await Preparer(options: options).check([Corpus.root.appendingPathComponent("photos").path])
        func image(_ suffix: String) -> Manifest.Image? { report.images.first { $0.source.hasSuffix(suffix) } }
        let b = try #require(image("phone/iphone6-b.jpg"))
        #expect(b.findings.contains { $0.code == .nearDuplicate && $0.related?.hasSuffix("iphone6-a.jpg") == true })
        for kind in ["Landscape", "Portrait"] {
            let hashes = try (0...8).map { n in try #require(image("orientation/\(kind)_\(n).jpg")?.scores?.perceptualHash) }
            for i in 0..<hashes.count { for j in (i + 1)..<hashes.count {
                let distance = try #require(QualityScores.hammingDistance(hashes[i], hashes[j]))
                #expect(distance <= options.thresholds.nearDuplicateBits, "\(kind)_\(i) vs \(kind)_\(j): \(distance)")
            } }
            for n in 1...8 {
                #expect(image("orientation/\(kind)_\(n).jpg")?.findings.contains { $0.code == .nearDuplicate } == true)
            }
        }
        // Unrelated real photos are not near each other.
        let unrelated = ["phone/jolla.jpg", "phone/nokia-8.3.jpg", "camera/canon-ixus40.jpg", "camera/olympus-e-p3.jpg", "camera/gps-tagged.jpg", "orientation/Landscape_1.jpg", "orientation/Portrait_1.jpg", "phone/iphone6-a.jpg"]
        let hashes = try unrelated.map { try #require(image($0)?.scores?.perceptualHash) }
        var minimum = 64
        for i in 0..<hashes.count { for j in (i + 1)..<hashes.count { minimum = min(minimum, QualityScores.hammingDistance(hashes[i], hashes[j]) ?? 0) } }
        print("calibration: smallest hash distance between unrelated corpus photos \(minimum); threshold \(options.thresholds.nearDuplicateBits)")
        #expect(minimum > options.thresholds.nearDuplicateBits)
    }
}
