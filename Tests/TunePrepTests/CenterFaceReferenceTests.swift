import Foundation
import Testing
@testable import TunePrep

/// The CNN detector through OpenCV's dnn against the same model run by an independent runtime:
/// the boxes below were computed once by onnxruntime 1.20.1 (`bash scripts/centerface-reference.sh`,
/// which places each photo at the top left of a black input exactly as the shim does and decodes
/// the outputs on its own). The astronaut at two input sizes, in one process, is OpenCV 4.6's trap:
/// a network reused with another input size gives outputs that differ by 0.5-0.99.
@Suite("CenterFace against onnxruntime", .enabled(if: CenterFaceModelFile.available, CenterFaceModelFile.skipReason))
struct CenterFaceReferenceTests {
    struct Reference {
        var photo: String
        var inputWidth: Int
        var inputHeight: Int
        var score: Double
        var box: [Double]
        var landmarks: [Double]
    }

    static let references: [Reference] = [
        .init(photo: "astronaut.png", inputWidth: 512, inputHeight: 512, score: 0.929, box: [181.5, 58.2, 88.4, 119.6], landmarks: [203.2, 101.7, 247.0, 104.5, 223.3, 125.1, 203.4, 142.3, 241.3, 144.4]),
        .init(photo: "astronaut.png", inputWidth: 640, inputHeight: 544, score: 0.929, box: [181.5, 58.2, 88.4, 119.6], landmarks: [203.2, 101.7, 247.0, 104.5, 223.3, 125.1, 203.4, 142.3, 241.3, 144.4]),
        .init(photo: "camera.png", inputWidth: 512, inputHeight: 512, score: 0.826, box: [202.3, 118.9, 55.4, 78.0], landmarks: [236.8, 149.0, 250.8, 151.7, 248.9, 166.4, 230.1, 178.0, 240.6, 180.5]),
    ]
    /// The script's threshold: every face it printed scored above it, and no other did.
    static let threshold = 0.3

    static var model: CenterFaceModel? { CenterFaceModelFile.model }

    @Test("boxes, scores and landmarks match onnxruntime's within 0.5 px and 0.005, at every input size, twice over")
    func matchesOnnxRuntime() throws {
        let model = try #require(Self.model)
        // Twice through the list: the second pass reuses each size's pooled network after the
        // other size ran, which is where a shared network would go wrong.
        for _ in 0..<2 {
            for (photo, group) in Dictionary(grouping: Self.references, by: { "\($0.photo) \($0.inputWidth)x\($0.inputHeight)" })
                .sorted(by: { $0.key < $1.key }) {
                let first = group[0]
                let image = try PackagePhotos.decode(PackagePhotos.skimage.appendingPathComponent(first.photo))
                let found = try model.detect(placed: image, inputWidth: first.inputWidth, inputHeight: first.inputHeight, threshold: Self.threshold)
                try #require(found.count == group.count, "\(photo): \(found.count) faces, onnxruntime \(group.count)")
                for (face, expected) in zip(found, group) {
                    #expect(abs(face.score - expected.score) < 0.005, "\(photo): score \(face.score), onnxruntime \(expected.score)")
                    let box = [face.left, face.top, face.width, face.height]
                    for (got, want) in zip(box, expected.box) {
                        #expect(abs(got - want) < 0.5, "\(photo): box \(box), onnxruntime \(expected.box)")
                    }
                    let marks = face.landmarks.flatMap { [$0.x, $0.y] }
                    for (got, want) in zip(marks, expected.landmarks) {
                        #expect(abs(got - want) < 0.5, "\(photo): landmarks \(marks), onnxruntime \(expected.landmarks)")
                    }
                }
            }
        }
    }

    @Test("a file that is not the model is refused when loaded, naming the file")
    func wrongModel() throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("not a network".utf8).write(to: folder.appendingPathComponent(CenterFaceModel.file))
        #expect {
            _ = try CenterFaceModel(directory: folder)
        } throws: { error in
            guard case .modelUnreadable(let reason) = error as? FaceAnalysisError else { return false }
            return reason.contains(CenterFaceModel.file)
        }
    }
}

/// Whether the CNN's model (scripts/install-models.sh) and skimage's photos are installed.
enum CenterFaceModelFile {
    static var model: CenterFaceModel? { try? CenterFaceModel.shared().get() }
    static var available: Bool {
        model != nil && FileManager.default.fileExists(atPath: PackagePhotos.skimage.appendingPathComponent("astronaut.png").path)
    }
    static let skipReason: Comment = "the CenterFace model or python3-skimage's photos are absent: run scripts/install-models.sh and scripts/install-test-photos.sh"
}
