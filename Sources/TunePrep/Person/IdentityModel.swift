import CTunePrepFaces
import Foundation

/// dlib's face identity models (the 5-point shape predictor and the ResNet descriptor network,
/// both CC0, as the PyPI package `face_recognition_models` ships them), loaded once per process
/// and shared by every worker.
///
/// They are looked for in `$TUNEPREP_MODELS`, else `$XDG_DATA_HOME/tuneprep/models`, else
/// `~/.local/share/tuneprep/models`; `scripts/install-models.sh` puts them there. Nothing is
/// ever downloaded at run time.
public final class IdentityModel: @unchecked Sendable {
    /// Environment variable naming the models folder; it wins over the default location.
    public static let environmentVariable = "TUNEPREP_MODELS"
    /// File name of dlib's 5-point shape predictor, which aligns a face before its descriptor is taken.
    public static let shapePredictorFile = "shape_predictor_5_face_landmarks.dat"
    /// File name of dlib's ResNet face descriptor network.
    public static let descriptorModelFile = "dlib_face_recognition_resnet_model_v1.dat"
    /// Numbers in a descriptor.
    public static let descriptorLength = Int(CTunePrepFaces_DESCRIPTOR_LENGTH)

    /// Where the models are looked for when no folder is given.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let folder = environment[environmentVariable], !folder.isEmpty {
            return URL(fileURLWithPath: folder, isDirectory: true)
        }
        let dataHome = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.local/share"
        return URL(fileURLWithPath: dataHome, isDirectory: true).appendingPathComponent("tuneprep/models", isDirectory: true)
    }

    private let handle: OpaquePointer
    /// The folder the models were loaded from.
    public let directory: URL

    /// Loads both models from `directory` (about 0.3 s and 30 MB).
    public init(directory: URL) throws(FaceAnalysisError) {
        let shape = directory.appendingPathComponent(Self.shapePredictorFile).path
        let network = directory.appendingPathComponent(Self.descriptorModelFile).path
        let missing = [shape, network].filter { !FileManager.default.fileExists(atPath: $0) }
        guard missing.isEmpty else {
            throw .modelsNotFound(directory: directory.path, missing: missing.map { ($0 as NSString).lastPathComponent })
        }
        var pointer: OpaquePointer?
        var report = CTunePrepFaces_report()
        let status = CTunePrepFaces_identity_load(shape, network, &pointer, &report)
        guard status == Int32(CTunePrepFaces_OK.rawValue), let pointer else {
            throw .modelUnreadable(reason: FaceReport.message(report))
        }
        handle = pointer
        self.directory = directory
    }

    deinit { CTunePrepFaces_identity_free(handle) }

    private static let cacheLock = NSLock()
    nonisolated(unsafe) private static var cache: [String: Result<IdentityModel, FaceAnalysisError>] = [:]

    /// The models of `directory`, loaded at the first call and kept for the life of the process
    /// (a failure is remembered too, so a run reports it once and does not retry per photo).
    public static func shared(directory: URL = defaultDirectory()) -> Result<IdentityModel, FaceAnalysisError> {
        cacheLock.lock()
        defer { cacheLock.unlock() }
        if let known = cache[directory.path] { return known }
        let loaded = Result { () throws(FaceAnalysisError) in try IdentityModel(directory: directory) }
        cache[directory.path] = loaded
        return loaded
    }

    /// The identity descriptor of `face` in `image` (both as the detector returned them).
    func descriptor(of face: Face, in image: PixelBuffer) throws(FaceAnalysisError) -> [Float] {
        var values = [Float](repeating: 0, count: Self.descriptorLength)
        var report = CTunePrepFaces_report()
        let box = CTunePrepFaces_face(
            left: Int32(face.x), top: Int32(face.y), width: Int32(face.width), height: Int32(face.height),
            confidence: face.confidence, pose: 0)
        let status = values.withUnsafeMutableBufferPointer { buffer in
            CTunePrepFaces_identity_describe(
                handle, image.pixels, Int32(image.width), Int32(image.height), Int32(image.stride), box,
                buffer.baseAddress, &report)
        }
        guard status == Int32(CTunePrepFaces_OK.rawValue) else {
            throw .descriptorFailed(reason: FaceReport.message(report))
        }
        return values
    }

    /// Euclidean distance between two descriptors.
    static func distance(_ a: [Float], _ b: [Float]) -> Double {
        var sum: Float = 0
        for i in 0..<min(a.count, b.count) {
            let d = a[i] - b[i]
            sum += d * d
        }
        return Double(sum.squareRoot())
    }
}

/// The main face of one photo, cut out and shrunk for the identity descriptor. The workers keep
/// this (about 300 KB) instead of running the descriptor network themselves, so the models are
/// loaded only after every photo has been read: they never sit in memory beside the decoders'
/// buffers, and the run's peak grows by the models alone.
struct FaceCrop: Sendable {
    /// The network sees a 150 px chip of about one and a half face heights, so a face this tall
    /// loses nothing it would use.
    static let faceSide = 150.0
    /// Room around the face for the landmarks and for a chip turned with a tilted head.
    static let margin = 0.6

    var image: PixelBuffer
    /// The face in `image`'s pixels.
    var face: Face

    init(of face: Face, in source: PixelBuffer) {
        let pad = Int((Double(max(face.width, face.height)) * Self.margin).rounded())
        let left = max(0, face.x - pad), top = max(0, face.y - pad)
        let right = min(source.width, face.x + face.width + pad), bottom = min(source.height, face.y + face.height + pad)
        let cut = PixelBuffer(width: max(1, right - left), height: max(1, bottom - top))
        if right > left && bottom > top {
            for row in 0..<(bottom - top) {
                (cut.pixels + row * cut.stride).update(from: source.pixels + (top + row) * source.stride + left * 3, count: cut.stride)
            }
        }
        let scale = min(1, Self.faceSide / Double(max(1, face.height)))
        let width = max(1, Int((Double(cut.width) * scale).rounded())), height = max(1, Int((Double(cut.height) * scale).rounded()))
        image = scale < 1 ? Resampler.resize(cut, width: width, height: height, filter: .box) : cut
        let sx = Double(image.width) / Double(cut.width), sy = Double(image.height) / Double(cut.height)
        self.face = Face(
            x: Int((Double(face.x - left) * sx).rounded()), y: Int((Double(face.y - top) * sy).rounded()),
            width: max(1, Int((Double(face.width) * sx).rounded())), height: max(1, Int((Double(face.height) * sy).rounded())),
            confidence: face.confidence)
    }
}
