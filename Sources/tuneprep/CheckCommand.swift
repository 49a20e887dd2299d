import ArgumentParser
import Foundation
import TunePrep

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check photos as `prepare` would, writing nothing.",
        usage: "tuneprep check [<options>] <path> ...",
        discussion: HelpText.exitStatus([.failure, .usage] + ExitStatus.stopped, success: "the set is usable", failure: "checks failed")
    )

    @OptionGroup var photoOptions: PhotoOptions
    @Flag(help: "Print the report as JSON (the manifest prepare would write).")
    var json = false

    func run() async throws {
        let preparer = photoOptions.preparer
        let photos = photoOptions.photos
        let progress = ProgressLine(quiet: photoOptions.quiet)
        let manifest = try await CommandRunner.run {
            defer { progress.finish() }
            return try await preparer.check(photos, progress: { progress.update($0) })
        }
        print(json ? try SetReportRenderer.json(manifest) : SetReportRenderer.table(manifest), terminator: "")
        if !manifest.summary.usable { throw ExitCode(1) }
    }
}
