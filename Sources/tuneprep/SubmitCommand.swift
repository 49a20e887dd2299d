import ArgumentParser

// Placeholder: replaced by the issue that builds `tuneprep submit`.
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "submit", abstract: "(not built yet)")
    func run() async throws { throw ValidationError("`tuneprep submit` is not built yet") }
}
