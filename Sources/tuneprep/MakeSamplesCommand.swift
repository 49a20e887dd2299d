import ArgumentParser
import Foundation
import TunePrep
import TunePrepSamples

/// Writes the sample photos that `samples/` holds, so they are reproducible from source.
struct MakeSamplesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "make-samples",
        abstract: "Write TunePrep's synthetic sample photos (good, rotated, too small, duplicate, truncated).",
        usage: "tuneprep make-samples [<options>] [<folder>]",
        discussion: HelpText.exitStatus([.usage]),
        shouldDisplay: false
    )

    @Argument(help: ArgumentHelp("Folder to write them to.", valueName: HelpText.folder), completion: .directory)
    var directory = "samples"

    func run() throws {
        try SampleSet.write(to: URL(fileURLWithPath: directory))
        for file in SampleSet.files { print("\(directory)/\(file.name)  (\(file.expectation))") }
    }
}
