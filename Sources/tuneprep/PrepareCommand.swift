import ArgumentParser
import Foundation
import TunePrep

struct PrepareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare",
        abstract: "Check, orient, resize and re-encode photos into a staged set with a manifest.",
        usage: "tuneprep prepare [<options>] <path> ... --out <folder>",
        discussion: """
            The set's folder (--out) is written atomically: built beside it and renamed into place. \
            Photos with errors are left out and listed in its manifest.json with their reasons. \
            Prints the folder on stdout, so `tuneprep submit "$(tuneprep prepare photos --out set)"` \
            composes.

            \(HelpText.exitStatus([.failure, .usage] + ExitStatus.stopped, success: "the set is usable",
                failure: "checks failed (the set is still written, marked unusable)"))
            """
    )

    @OptionGroup var photoOptions: PhotoOptions
    @Option(name: .shortAndLong, help: ArgumentHelp("The staged set's folder.", valueName: HelpText.folder), completion: .directory)
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
        let set = try await CommandRunner.run {
            // The live line ends before any message is printed.
            defer { progress.finish() }
            return try await preparer.prepare(photos, into: destination, force: force, progress: { progress.update($0) })
        }
        // The manifest as written: it also names the leftovers of killed runs removed on the way.
        let manifest = set.manifest
        let report = json ? try SetReportRenderer.json(manifest) : SetReportRenderer.table(manifest) + Self.leftoversLine(manifest)
        // The table goes to stderr so stdout carries only the set's path, for composing commands.
        if json {
            print(report, terminator: "")
        } else {
            if !photoOptions.quiet { FileHandle.standardError.write(Data(report.utf8)) }
            print(out)
        }
        if !set.isUsable { throw ExitCode(1) }
    }

    /// The report's line on what earlier, killed runs had left beside the set; empty when nothing.
    static func leftoversLine(_ manifest: Manifest) -> String {
        guard let removed = manifest.removedLeftovers, !removed.isEmpty else { return "" }
        let folders = removed.count == 1 ? "1 folder" : "\(removed.count) folders"
        return "removed \(folders) left by an earlier run that was killed: \(removed.joined(separator: ", "))\n"
    }
}
