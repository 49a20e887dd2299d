import Foundation
import Testing
@testable import TunePrep
import TunePrepSamples

/// `tuneprep check` with the person checks on (the default), on photos of real people read from
/// packages (scripts/install-test-photos.sh), never from the repository.
@Suite("person checks from the command line")
struct PersonCheckCommandTests {
    static let people: URL = {
        let env = ProcessInfo.processInfo.environment
        let base = env["TUNEPREP_TEST_PHOTOS"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory() + "/.cache/tuneprep/test-photos"
        return URL(fileURLWithPath: base).appendingPathComponent("face_recognition")
    }()
    static let skimage = URL(fileURLWithPath: "/usr/lib/python3/dist-packages/skimage/data")
    static let matplotlib = URL(fileURLWithPath: "/usr/share/matplotlib/mpl-data/sample_data")
    static var available: Bool {
        [people.appendingPathComponent("obama.jpg"), skimage.appendingPathComponent("coffee.png"),
         matplotlib.appendingPathComponent("grace_hopper.jpg")].allSatisfy { FileManager.default.fileExists(atPath: $0.path) }
            && (try? IdentityModel.shared().get()) != nil
    }

    private static func decode(_ url: URL) throws -> PixelBuffer {
        let data = try Data(contentsOf: url)
        return try ImageDecoder.decode(
            data, format: ImageFormat.sniff(data), scaleEighths: 8, limits: DecodeLimits(maxPixels: 100_000_000),
            background: .white).pixels
    }

    /// Two portraits side by side at one height: a photo of two people.
    private static func pair(_ a: URL, _ b: URL) throws -> Data {
        let left = try decode(a), right = try decode(b)
        let height = 900
        let l = Resampler.resize(left, width: left.width * height / left.height, height: height)
        let r = Resampler.resize(right, width: right.width * height / right.height, height: height)
        var rgb = [UInt8](repeating: 128, count: (l.width + r.width) * height * 3)
        for y in 0..<height {
            for (image, x0) in [(l, 0), (r, l.width)] {
                image.withUnsafeBytes { bytes in
                    for i in 0..<image.stride { rgb[(y * (l.width + r.width) + x0) * 3 + i] = bytes[y * image.stride + i] }
                }
            }
        }
        return try FixtureEncoder.jpeg(samples: rgb, width: l.width + r.width, height: height, quality: 92,
                                       progressive: false, fullChroma: true, app1: nil)
    }

    @Test("a group photo, a photo without a face and a stranger among one person's photos are each named",
          .enabled(if: available, "photos of people or the identity models are absent: run scripts/install-test-photos.sh and scripts/install-models.sh"))
    func namesEachProblem() throws {
        let folder = try TuneprepBinary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let photos = folder.appendingPathComponent("photos")
        try FileManager.default.createDirectory(at: photos, withIntermediateDirectories: true)
        for name in ["obama.jpg", "obama2.jpg", "obama3.jpg", "obama_partial_face2.jpg"] {
            try FileManager.default.copyItem(at: Self.people.appendingPathComponent(name), to: photos.appendingPathComponent(name))
        }
        try FileManager.default.copyItem(at: Self.people.appendingPathComponent("biden.jpg"), to: photos.appendingPathComponent("stranger.jpg"))
        try FileManager.default.copyItem(at: Self.skimage.appendingPathComponent("coffee.png"), to: photos.appendingPathComponent("coffee.png"))
        try Self.pair(Self.people.appendingPathComponent("obama.jpg"), Self.matplotlib.appendingPathComponent("grace_hopper.jpg"))
            .write(to: photos.appendingPathComponent("group.jpg"))

        let result = try TuneprepBinary.run(["check", "photos", "--min-side", "256", "--no-quality-checks"], in: folder)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        func line(_ name: String) -> String { lines.first { $0.hasPrefix("photos/\(name)") } ?? "" }
        #expect(lines.first?.contains("FACES") == true, "\(result.stdout)")
        #expect(line("group.jpg").contains("several-people"), "\(result.stdout)")
        #expect(line("coffee.png").contains("no-face"), "\(result.stdout)")
        #expect(line("stranger.jpg").contains("different person"), "\(result.stdout)")
        for name in ["obama.jpg", "obama2.jpg", "obama3.jpg"] {
            #expect(!line(name).contains("different person") && line(name).contains(" 1 "), "\(line(name))")
        }
        #expect(lines.contains { $0.contains("framing: ") && $0.contains("same person checked") }, "\(result.stdout)")

        let json = try TuneprepBinary.run(["check", "photos", "--min-side", "256", "--no-quality-checks", "--json", "--quiet"], in: folder)
        let manifest = try Manifest.makeDecoder().decode(Manifest.self, from: Data(json.stdout.utf8))
        #expect(manifest.personChecks?.identityChecked == true)
        let group = manifest.images.first { $0.source.hasSuffix("group.jpg") }
        #expect((group?.person?.faces.count ?? 0) >= 2)
    }
}
