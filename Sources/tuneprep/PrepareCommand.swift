import ArgumentParser

// Placeholder: replaced by the issue that builds `tuneprep prepare`.
struct PrepareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prepare", abstract: "(not built yet)")
    func run() async throws { throw ValidationError("`tuneprep prepare` is not built yet") }
}
