import AstriaClient
import ArgumentParser
import Foundation

/// `tuneprep prompts`: generate pictures from a trained tune, follow them, fetch them.
struct PromptsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prompts",
        abstract: "Create, list, show, wait for, download and delete a tune's prompts.",
        usage: "tuneprep prompts [<options>] <subcommand>",
        discussion: """
        A prompt generates pictures from a trained tune. Creating one costs money and is not \
        idempotent on the service: after a 504 or a connection lost once the request had gone, \
        `prompts create` reads the tune's prompt list before sending again, and takes a prompt \
        created since it began, with the same text and count, as its own instead of paying twice.

        \(HelpText.exitStatus(PromptsCommand.statuses))
        """,
        subcommands: [Create.self, List.self, Show.self, Wait.self, Download.self, Delete.self]
    )

    static let statuses: [ExitStatus] = [.failure, .usage, .unauthorized, .rejected, .unavailable, .uncertain, .deleted, .timedOut, .generationFailed] + ExitStatus.stopped

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a tune's prompts, newest first (every page).",
            usage: "tuneprep prompts list [<options>] <tune-id>", discussion: HelpText.exitStatus(PromptsCommand.statuses))

        @Argument(help: ArgumentHelp("Tune id.", valueName: "tune-id"))
        var tuneID: Int

        @Flag(help: "JSON array on stdout.")
        var json = false

        @OptionGroup var astria: AstriaCommandOptions

        func validate() throws {
            guard tuneID >= 1 else { throw ValidationError("a tune id is 1 or more") }
        }

        func run() async throws {
            let command = self
            try await CommandRunner.run {
                let listing = try await command.astria.client().allPromptsListing(tuneID: command.tuneID)
                if command.json {
                    printJSON(listing.items)
                } else {
                    printTable(
                        ["ID", "STATUS", "PICTURES", "TEXT", "CREATED"],
                        listing.items.map { [String($0.id), $0.state.rawValue, String($0.images.count), $0.text ?? "", $0.createdAt.map(shortDate) ?? ""] },
                        unreadable: listing.unreadable.count
                    )
                }
                try reportUnreadable(listing.unreadable, what: "prompt")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one prompt and its pictures' URLs.",
            usage: "tuneprep prompts show [<options>] <tune-id> <prompt-id>", discussion: HelpText.exitStatus(PromptsCommand.statuses))

        @OptionGroup var which: PromptID

        @Flag(help: "JSON on stdout.")
        var json = false

        @OptionGroup var astria: AstriaCommandOptions

        func run() async throws {
            let command = self
            try await CommandRunner.run {
                let prompt = try await command.astria.client().prompt(tuneID: command.which.tuneID, id: command.which.id)
                if command.json { return printJSON(prompt) }
                printPrompt(prompt)
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a prompt and its pictures.",
            usage: "tuneprep prompts delete [<options>] <tune-id> <prompt-id>", discussion: HelpText.exitStatus(PromptsCommand.statuses))

        @OptionGroup var which: PromptID

        @Flag(help: "JSON on stdout.")
        var json = false

        @OptionGroup var astria: AstriaCommandOptions

        func run() async throws {
            let command = self
            let (tuneID, id) = (which.tuneID, which.id)
            try await CommandRunner.run {
                try await command.astria.client().deletePrompt(tuneID: tuneID, id: id)
                if command.json {
                    JSONLines.write(["event": "deleted", "tune_id": tuneID, "prompt_id": id])
                } else {
                    print("deleted prompt \(id) of tune \(tuneID)")
                }
            }
        }
    }

    struct Wait: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Wait until prompts have their pictures.",
            usage: "tuneprep prompts wait [<options>] <tune-id> <prompt-id> ...",
            discussion: """
            Each prompt is polled every 5 s, the interval growing to 30 s, as the service's own client \
            does; a 429 slows the polling. A prompt on a tune still training waits for it. Ctrl-C \
            stops the wait; nothing is lost.

            \(HelpText.exitStatus(PromptsCommand.statuses))
            """)

        @Argument(help: ArgumentHelp("Tune id.", valueName: "tune-id"))
        var tuneID: Int

        @Argument(help: ArgumentHelp("Prompt ids.", valueName: "prompt-id"))
        var ids: [Int]

        @Flag(help: "NDJSON events on stdout (polled, waiting, prompt_done).")
        var json = false

        @OptionGroup var wait: WaitOptions
        @OptionGroup var astria: AstriaCommandOptions

        func validate() throws {
            guard tuneID >= 1 else { throw ValidationError("a tune id is 1 or more") }
            guard !ids.isEmpty else { throw ValidationError("give at least one prompt id") }
            guard ids.allSatisfy({ $0 >= 1 }) else { throw ValidationError("a prompt id is 1 or more") }
        }

        func run() async throws {
            let command = self
            let remaining = RemainingIDs(ids)
            try await CommandRunner.run(resume: { remaining.resumeHint("tuneprep prompts wait \(command.tuneID)") }) {
                let client = try command.astria.client()
                for id in command.ids {
                    let prompt = try await waitForPrompt(client, tuneID: command.tuneID, id: id, options: command.wait, json: command.json)
                    remaining.done(id)
                    if !command.json { printPrompt(prompt) }
                }
            }
        }
    }
}

/// The two arguments that name one prompt: its tune's id and its own.
struct PromptID: ParsableArguments {
    @Argument(help: ArgumentHelp("Tune id.", valueName: "tune-id"))
    var tuneID: Int

    @Argument(help: ArgumentHelp("Prompt id.", valueName: "prompt-id"))
    var id: Int

    func validate() throws {
        guard tuneID >= 1, id >= 1 else { throw ValidationError("tune and prompt ids are 1 or more") }
    }
}

/// Waits for one prompt with the command's display.
func waitForPrompt(_ client: AstriaAPI, tuneID: Int, id: Int, options: WaitOptions, json: Bool) async throws(AstriaError) -> Prompt {
    let display = WaitDisplay(json: json)
    defer { display.close() }
    return try await client.waitForPrompt(tuneID: tuneID, id: id, policy: options.policy(prompts: true)) { display.prompt($0) }
}

/// A prompt's fields, a line each, then its pictures' URLs.
func printPrompt(_ prompt: Prompt) {
    let rows: [(String, String?)] = [
        ("id", String(prompt.id)), ("tune", prompt.tuneId.map(String.init)), ("status", prompt.state.rawValue),
        ("text", prompt.text), ("negative", prompt.negativePrompt), ("pictures", prompt.numImages.map(String.init)),
        ("error", prompt.userError), ("created", prompt.createdAt.map(AstriaDate.format)),
        ("finished", prompt.trainedAt.map(AstriaDate.format)),
    ]
    for (label, value) in rows {
        if let value { print("\(label.padding(toLength: 9, withPad: " ", startingAt: 0)) \(sanitizedForTerminal(value))") }
    }
    for url in prompt.images { print("  \(sanitizedForTerminal(url))") }
}
