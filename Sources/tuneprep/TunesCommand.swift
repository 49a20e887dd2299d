import ArgumentParser

// Placeholder: replaced by the issue that builds `tuneprep tunes`.
struct TunesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tunes", abstract: "(not built yet)")
    func run() async throws { throw ValidationError("`tuneprep tunes` is not built yet") }
}
