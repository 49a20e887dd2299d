import ArgumentParser

@main
struct TunePrepCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tuneprep",
        abstract: "Turn a folder of photos into a clean training set and upload it to Astria.",
        version: TunePrepVersion.string,
        subcommands: [
            PrepareCommand.self, CheckCommand.self, SubmitCommand.self, TunesCommand.self, ServeMockCommand.self,
        ]
    )
}
