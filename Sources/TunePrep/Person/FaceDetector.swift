import CTunePrepFaces
import Foundation

/// The face search the person checks use: the CenterFace CNN when its model is installed, else
/// dlib's HOG detector, with the reason recorded (in the set's report and manifest), never silently.
/// Both run on a downscale of the upright output (pixels the pipeline already has: no second
/// decode), and boxes come back in the output's pixels.
struct FaceDetector: Sendable {
    /// More faces than this in one photo are counted but not listed.
    static let capacity = 32

    /// The CNN; nil means HOG.
    let cnn: CenterFaceModel?
    /// Why the CNN is not used; nil when it is.
    let fallbackReason: String?
    /// The body pose network that helps tell full-body framing; nil: framing from the face alone.
    var pose: PoseModel? = nil
    /// Why the pose network is not used; nil when it is (or when it was not asked for).
    var poseMissingReason: String? = nil

    /// The CNN when its model is in `directory` and loads, else HOG with the reason; and the pose
    /// network when it is there, else the reason it is not.
    static func resolve(directory: URL) -> FaceDetector {
        var detector = switch CenterFaceModel.shared(directory: directory) {
        case .success(let model): FaceDetector(cnn: model, fallbackReason: nil)
        case .failure(let error): FaceDetector(cnn: nil, fallbackReason: error.description)
        }
        switch PoseModel.shared(directory: directory) {
        case .success(let model): detector.pose = model
        case .failure(let error): detector.poseMissingReason = error.description
        }
        return detector
    }

    /// dlib's HOG detector, chosen (not a fallback), without the pose network.
    static let hog = FaceDetector(cnn: nil, fallbackReason: nil)

    /// The detector's name as the manifest records it.
    var name: String { cnn != nil ? "centerface" : "hog" }

    /// Every face scoring at least the lower of the options' two thresholds for this detector.
    func detect(_ image: PixelBuffer, options: PersonCheckOptions) throws(FaceAnalysisError) -> [DetectedFace] {
        if let cnn {
            let threshold = min(options.faceScore, options.otherFaceScore)
            let first = try cnn.detect(image, inputLongSide: options.cnnInputSide, threshold: threshold)
            guard options.secondLook, !first.contains(where: { $0.face.confidence >= options.faceScore }) else { return first }
            return try cnn.detectCloser(image, inputLongSide: options.cnnInputSide, threshold: threshold, first: first)
        }
        return try Self.detectHOG(
            image, detectionSide: options.detectionSide, threshold: min(options.minConfidence, options.otherFaceMinConfidence)
        ).faces.map { DetectedFace(face: $0, landmarks: nil) }
    }

    /// The smallest face this detector sees in an output of `width` x `height`, in its pixels.
    func smallestDetectable(width: Int, height: Int, options: PersonCheckOptions) -> Int {
        if cnn != nil {
            // CenterFace finds faces from about 14 px tall in its input; the second look sees the
            // photo at 1.8 times the scale (at most its own size).
            let input = CenterFaceModel.inputSize(width: width, height: height, longSide: options.cnnInputSide)
            let first = min(2, Double(input.width) / Double(width), Double(input.height) / Double(height))
            let scale = options.secondLook ? max(first, min(1, CenterFaceModel.secondLookScale * first)) : first
            return Int((14 / scale).rounded())
        }
        let scale = Self.scale(width: width, height: height, detectionSide: options.detectionSide)
        return Int((80 / scale).rounded())
    }

    static func detectHOG(_ image: PixelBuffer, detectionSide: Int, threshold: Double) throws(FaceAnalysisError) -> (faces: [Face], total: Int) {
        let scale = Self.scale(width: image.width, height: image.height, detectionSide: detectionSide)
        // Down: an area average (the detector works on gradients, which a box filter keeps without
        // ringing). Up, for a small photo: Lanczos, so a face under the detector's 80 px window
        // (a half-body shot 512 px tall) is still seen.
        let small = scale != 1
            ? Resampler.resize(
                image, width: max(1, Int((Double(image.width) * scale).rounded())),
                height: max(1, Int((Double(image.height) * scale).rounded())), filter: scale < 1 ? .box : .lanczos3)
            : image
        var found = [CTunePrepFaces_face](repeating: CTunePrepFaces_face(), count: capacity)
        var count: Int32 = 0
        var report = CTunePrepFaces_report()
        let status = found.withUnsafeMutableBufferPointer { buffer in
            CTunePrepFaces_detect(
                small.pixels, Int32(small.width), Int32(small.height), Int32(small.stride), threshold,
                buffer.baseAddress, Int32(capacity), &count, &report)
        }
        guard status == Int32(CTunePrepFaces_OK.rawValue) else {
            throw .detectionFailed(reason: FaceReport.message(report))
        }
        // Back to output pixels: the scale of each axis, as the downscale rounded it.
        let sx = Double(image.width) / Double(small.width), sy = Double(image.height) / Double(small.height)
        let faces = found.prefix(min(Int(count), capacity)).map { f in
            Face(
                x: Int((Double(f.left) * sx).rounded()), y: Int((Double(f.top) * sy).rounded()),
                width: Int((Double(f.width) * sx).rounded()), height: Int((Double(f.height) * sy).rounded()),
                confidence: (f.confidence * 1000).rounded() / 1000)
        }
        return (faces, Int(count))
    }
}

extension FaceDetector {
    /// The detection copy's scale: down to `detectionSide`, or up to it by at most 2x.
    static func scale(width: Int, height: Int, detectionSide: Int) -> Double {
        min(2, Double(detectionSide) / Double(max(width, height)))
    }
}

enum FaceReport {
    /// The handle a C loader gives for the model file at `path`; `missing` when there is no file,
    /// `modelUnreadable` with the C side's message when it cannot be loaded.
    static func load(
        _ path: String, missing: FaceAnalysisError,
        with loader: (UnsafePointer<CChar>?, UnsafeMutablePointer<OpaquePointer?>?, UnsafeMutablePointer<CTunePrepFaces_report>?) -> Int32
    ) throws(FaceAnalysisError) -> OpaquePointer {
        guard FileManager.default.fileExists(atPath: path) else { throw missing }
        var report = CTunePrepFaces_report()
        var loaded: OpaquePointer?
        let status = path.withCString { loader($0, &loaded, &report) }
        guard status == Int32(CTunePrepFaces_OK.rawValue), let loaded else {
            throw .modelUnreadable(reason: message(report))
        }
        return loaded
    }

    static func message(_ report: CTunePrepFaces_report) -> String {
        withUnsafeBytes(of: report.message) { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            let end = bytes.firstIndex(of: 0) ?? bytes.count
            return String(decoding: bytes[..<end], as: UTF8.self)
        }
    }
}
