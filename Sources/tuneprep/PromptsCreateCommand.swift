import AstriaClient
import ArgumentParser
import Foundation

extension PromptsCommand {
    /// `tuneprep prompts create TUNE --text ... --num-images N [--wait]`.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate pictures from a tune (a paid request).",
            usage: "tuneprep prompts create [<options>] <tune-id> --text <text>",
            discussion: """
            The text should hold the tune's token and class, e.g. "ohwx man, corporate headshot". \
            A tune still training keeps the prompt queued until it is trained. After a 504 or a \
            connection lost once the request had gone, the tune's prompt list is read before sending \
            again (see `tuneprep prompts --help`); a prompt found there is reported, not created twice.

            \(HelpText.exitStatus(PromptsCommand.statuses))
            """)

        @Argument(help: ArgumentHelp("Tune id.", valueName: "tune-id"))
        var tuneID: Int

        @Option(help: ArgumentHelp("The prompt text.", valueName: "text"))
        var text: String

        @Option(name: .customLong("num-images"), parsing: .unconditional, help: ArgumentHelp("Pictures to generate, 1 to 8.", valueName: HelpText.count))
        var numImages: Int = 4

        @Option(name: .customLong("negative-prompt"), help: ArgumentHelp("What the pictures should not show.", valueName: "text"))
        var negativePrompt: String?

        @Option(parsing: .unconditional, help: ArgumentHelp("Random seed, for pictures that can be made again.", valueName: "seed"))
        var seed: Int?

        @Option(help: ArgumentHelp("URL the service POSTs the prompt to when it finishes.", valueName: HelpText.url))
        var callback: String?

        @Flag(help: "Wait until the pictures are there, then list them.")
        var wait = false

        @Flag(help: "NDJSON events on stdout (created, then the wait's events).")
        var json = false

        @OptionGroup var waitOptions: WaitOptions
        @OptionGroup var astria: AstriaCommandOptions

        func validate() throws {
            guard tuneID >= 1 else { throw ValidationError("a tune id is 1 or more") }
            guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw ValidationError("--text is empty") }
            guard (1...8).contains(numImages) else { throw ValidationError("--num-images must be from 1 to 8") }
        }

        func run() async throws {
            let command = self
            let created = CreatedID()
            try await CommandRunner.run(resume: {
                created.id.map { "prompt \($0) was created; to wait for it: tuneprep prompts wait \(command.tuneID) \($0)" }
            }) {
                let client = try command.astria.client()
                var request = PromptRequest(text: command.text, callback: command.callback)
                request.numImages = command.numImages
                request.negativePrompt = command.negativePrompt
                request.seed = command.seed
                let display = UploadProgressDisplay(mode: UploadProgressDisplay.mode(json: command.json))
                let creation: PromptCreation
                do {
                    // A prompt is a few hundred bytes: only its retries are worth showing, not a progress bar.
                    creation = try await client.createPrompt(tuneID: command.tuneID, request) { event in
                        if case .retrying = event { display.handle(event) }
                    }
                    display.close()
                } catch {
                    display.close()
                    throw error
                }
                created.id = creation.prompt.id
                if command.json {
                    JSONLines.write(["event": "created", "tune_id": command.tuneID, "prompt_id": creation.prompt.id,
                                     "attempts": creation.attempts, "found_after_uncertain_attempt": creation.foundAfterUncertainAttempt,
                                     "prompt": JSONLines.object(creation.prompt)])
                } else {
                    print("created prompt \(creation.prompt.id) of tune \(command.tuneID)")
                    if creation.foundAfterUncertainAttempt {
                        CommandRunner.printError("an earlier attempt's answer was lost; the prompt list showed it had created this prompt, so it was not sent again")
                    }
                }
                guard command.wait else { return }
                let prompt = try await waitForPrompt(client, tuneID: command.tuneID, id: creation.prompt.id, options: command.waitOptions, json: command.json)
                if !command.json { printPrompt(prompt) }
            }
        }
    }
}

/// The id of a tune or prompt once created, for the line said after a stop.
final class CreatedID: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int?
    var id: Int? {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}
