import ArgumentParser

// Placeholder: replaced by the issue that builds `tuneprep check`.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "(not built yet)")
    func run() async throws { throw ValidationError("`tuneprep check` is not built yet") }
}
