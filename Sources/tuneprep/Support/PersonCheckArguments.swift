import ArgumentParser
import Foundation
import TunePrep

/// The person checks' switches and thresholds, shared by `prepare` and `check`; their ranges are
/// the library's, checked with the other options in `PhotoOptions.validate`.
struct PersonCheckArguments: ParsableArguments {
    @Flag(help: "No person checks (faces, other people, framing, same person).")
    var noPersonChecks = false
    @Option(parsing: .unconditional, help: ArgumentHelp("The CNN face detector reads a copy whose long side is this many pixels; larger finds smaller faces, more slowly.", valueName: HelpText.pixels))
    var faceInputSide = PersonCheckOptions().cnnInputSide
    @Flag(help: "When the CNN finds no face, do not look again at 1.8 times the scale (faster on photos without faces; misses faces under about 3% of the frame's height).")
    var noSecondFaceLook = false
    @Option(parsing: .unconditional, help: ArgumentHelp("Without the CNN's model: the HOG detector looks for faces on a copy whose long side is at most this many pixels.", valueName: HelpText.pixels))
    var faceDetectionSide = PersonCheckOptions().detectionSide
    @Option(parsing: .unconditional, help: ArgumentHelp("Error `several-people` when another face is at least this fraction of the main face's height (0-1).", valueName: HelpText.fraction))
    var otherPersonFraction = Real(PersonCheckOptions().otherPersonFraction)
    @Option(parsing: .unconditional, help: ArgumentHelp("Warn `face-too-small` when the main face is under this many pixels tall in the output.", valueName: HelpText.pixels))
    var minFaceHeight = PersonCheckOptions().minFaceHeight
    @Option(parsing: .unconditional, help: ArgumentHelp("Framing `close-up` when the face is at least this fraction of the photo's height (0-1).", valueName: HelpText.fraction))
    var closeUpFraction = Real(PersonCheckOptions().closeUpFraction)
    @Option(parsing: .unconditional, help: ArgumentHelp("Framing `full-body` when the face is under this fraction of the photo's height (0-1).", valueName: HelpText.fraction))
    var fullBodyFraction = Real(PersonCheckOptions().fullBodyFraction)
    @Option(parsing: .unconditional, help: ArgumentHelp("Warn `different-person` when a face is farther than this from the set's consensus face.", valueName: "distance"))
    var maxIdentityDistance = Real(PersonCheckOptions().maxIdentityDistance)
    @Option(help: ArgumentHelp("Folder of the identity models (default: $TUNEPREP_MODELS, else ~/.local/share/tuneprep/models).", valueName: HelpText.folder), completion: .directory)
    var models: String?

    // No validate() of its own: PhotoOptions.validate reports the library's problems with these
    // options (PrepareOptions.optionProblems) under the flags' names.

    var options: PersonCheckOptions {
        if noPersonChecks { return .off }
        var options = PersonCheckOptions()
        options.detectionSide = faceDetectionSide
        options.cnnInputSide = faceInputSide
        options.secondLook = !noSecondFaceLook
        options.otherPersonFraction = otherPersonFraction.value
        options.minFaceHeight = minFaceHeight
        options.closeUpFraction = closeUpFraction.value
        options.fullBodyFraction = fullBodyFraction.value
        options.maxIdentityDistance = maxIdentityDistance.value
        return options
    }

    var modelsDirectory: URL? { models.map { URL(fileURLWithPath: $0, isDirectory: true) } }
}
