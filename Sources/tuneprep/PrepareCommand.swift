import ArgumentParser
import Foundation
import TunePrep

struct PrepareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare",
        abstract: "Check, orient, resize and re-encode photos into a staged set with a manifest.",
        discussion: """
            DIR is written atomically: built beside it and renamed into place. Photos with errors \
            are left out and listed in DIR/manifest.json with their reasons. Prints DIR on stdout, \
            so `tuneprep submit "$(tuneprep prepare photos --out set)"` composes.
            Exit status: 0 when the set is usable, 1 when checks failed (the set is still written, \
            marked unusable), 2 for usage or I/O errors.
            """
    )

    @OptionGroup var photoOptions: PhotoOptions
    @Option(name: .shortAndLong, help: "The staged set's folder.")
    var out: String
    @Flag(help: "Replace an existing staged set at --out.")
    var force = false
    @Flag(help: "Print the manifest as JSON instead of the table.")
    var json = false

    func run() async throws {
        let preparer = photoOptions.preparer
        let photos = photoOptions.photos
        let destination = URL(fileURLWithPath: out)
        let force = force
        let progress = ProgressLine(quiet: photoOptions.quiet)
        let set = try await Interrupt.cancelling {
            try await preparer.prepare(photos, into: destination, force: force, progress: { progress.update($0) })
        }
        progress.finish()
        let report = json ? try SetReportRenderer.json(set.manifest) : SetReportRenderer.table(set.manifest)
        // The table goes to stderr so stdout carries only the set's path, for composing commands.
        if json {
            print(report, terminator: "")
        } else {
            if !photoOptions.quiet { FileHandle.standardError.write(Data(report.utf8)) }
            print(out)
        }
        if !set.isUsable { throw ExitCode(1) }
    }
}
