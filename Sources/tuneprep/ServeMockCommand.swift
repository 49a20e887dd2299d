import ArgumentParser

// Placeholder: replaced by the issue that builds `tuneprep serve-mock`.
struct ServeMockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve-mock", abstract: "(not built yet)")
    func run() async throws { throw ValidationError("`tuneprep serve-mock` is not built yet") }
}
