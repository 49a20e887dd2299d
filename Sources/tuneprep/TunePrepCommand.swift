import ArgumentParser
import Foundation

@main
struct TunePrepCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tuneprep",
        abstract: "Turn a folder of photos into a clean training set and upload it to Astria.",
        usage: "tuneprep [<options>] <subcommand>",
        discussion: HelpText.exitStatus(
            [.failure, .usage, .refused, .unauthorized, .rejected, .unavailable, .uncertain, .mismatch, .overdue, .deleted, .timedOut, .generationFailed] + ExitStatus.stopped,
            failure: "checks failed or another failure"
        ),
        version: TunePrepVersion.string,
        subcommands: [
            PrepareCommand.self, CheckCommand.self, SubmitCommand.self, TunesCommand.self, PromptsCommand.self, ServeMockCommand.self, MakeSamplesCommand.self,
        ]
    )

    /// ArgumentParser exits 64 on usage errors; TunePrep documents 2 for usage and I/O errors
    /// and 1 for failed checks, which commands signal by throwing `ExitCode(1)`. A failure the
    /// command did not already explain ends through the same mapping as every command's run
    /// (`CommandEnding`); help and version end as ArgumentParser ends them.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            exit(withError: code)
        } catch {
            if exitCode(for: error) == .success { exit(withError: error) }
            exit(withError: CommandEnding(error).print())
        }
    }
}
