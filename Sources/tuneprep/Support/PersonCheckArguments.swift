import ArgumentParser
import Foundation
import TunePrep

/// The person checks' switches and thresholds, shared by `prepare` and `check`.
struct PersonCheckArguments: ParsableArguments {
    @Flag(help: "No person checks (faces, other people, framing, same person).")
    var noPersonChecks = false
    @Option(parsing: .unconditional, help: "Look for faces on a copy whose long side is at most this many pixels; larger finds smaller faces, more slowly.")
    var faceDetectionSide = PersonCheckOptions().detectionSide
    @Option(parsing: .unconditional, help: "Error `several-people` when another face is at least this fraction of the main face's height (0-1).")
    var otherPersonFraction = PersonCheckOptions().otherPersonFraction
    @Option(parsing: .unconditional, help: "Warn `face-too-small` when the main face is under this many pixels tall in the output.")
    var minFaceHeight = PersonCheckOptions().minFaceHeight
    @Option(parsing: .unconditional, help: "Framing `close-up` when the face is at least this fraction of the photo's height (0-1).")
    var closeUpFraction = PersonCheckOptions().closeUpFraction
    @Option(parsing: .unconditional, help: "Framing `full-body` when the face is under this fraction of the photo's height (0-1).")
    var fullBodyFraction = PersonCheckOptions().fullBodyFraction
    @Option(parsing: .unconditional, help: "Warn `different-person` when a face is farther than this from the set's consensus face.")
    var maxIdentityDistance = PersonCheckOptions().maxIdentityDistance
    @Option(help: "Folder of the identity models (default: $TUNEPREP_MODELS, else ~/.local/share/tuneprep/models).")
    var models: String?

    func validate() throws {
        guard (80...8192).contains(faceDetectionSide) else { throw ValidationError("--face-detection-side must be 80-8192") }
        guard (0...1).contains(otherPersonFraction) else { throw ValidationError("--other-person-fraction is a fraction, 0-1") }
        guard (0...10_000).contains(minFaceHeight) else { throw ValidationError("--min-face-height must be 0-10000") }
        guard (0...1).contains(closeUpFraction), (0...1).contains(fullBodyFraction), fullBodyFraction <= closeUpFraction else {
            throw ValidationError("need 0 <= --full-body-fraction <= --close-up-fraction <= 1")
        }
        guard (0...4).contains(maxIdentityDistance) else { throw ValidationError("--max-identity-distance must be 0-4") }
    }

    var options: PersonCheckOptions {
        if noPersonChecks { return .off }
        var options = PersonCheckOptions()
        options.detectionSide = faceDetectionSide
        options.otherPersonFraction = otherPersonFraction
        options.minFaceHeight = minFaceHeight
        options.closeUpFraction = closeUpFraction
        options.fullBodyFraction = fullBodyFraction
        options.maxIdentityDistance = maxIdentityDistance
        return options
    }

    var modelsDirectory: URL? { models.map { URL(fileURLWithPath: $0, isDirectory: true) } }
}
