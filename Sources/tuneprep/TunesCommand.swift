import AstriaClient
import ArgumentParser
import Foundation

struct TunesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tunes",
        abstract: "List, show, wait for and delete tunes; list packs.",
        usage: "tuneprep tunes [<options>] <subcommand>",
        discussion: TunesCommand.exitStatus,
        subcommands: [List.self, Show.self, Wait.self, Delete.self, Packs.self]
    )

    static let exitStatus = HelpText.exitStatus([.failure, .usage, .unauthorized, .unavailable] + ExitStatus.stopped)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List tunes, newest first.",
            usage: "tuneprep tunes list [<options>]", discussion: TunesCommand.exitStatus)

        @Option(parsing: .unconditional, help: ArgumentHelp("Tunes per page (at most 120).", valueName: HelpText.count))
        var limit: Int = 20

        @Option(name: .customLong("before-id"), parsing: .unconditional, help: ArgumentHelp("Only tunes older than this id (paging).", valueName: HelpText.id))
        var beforeID: Int?

        @Flag(help: "Every page.")
        var all = false

        @Flag(help: "JSON array on stdout.")
        var json = false

        @OptionGroup var astria: AstriaCommandOptions

        func validate() throws {
            guard (1...120).contains(limit) else { throw ValidationError("--limit must be from 1 to 120") }
            if let beforeID, beforeID < 1 { throw ValidationError("--before-id must be a tune id (1 or more)") }
        }

        func run() async throws {
            let command = self
            try await CommandRunner.run {
                let client = try command.astria.client()
                let listing = command.all
                    ? try await client.allTunesListing(pageSize: command.limit)
                    : try await client.tuneListing(limit: command.limit, beforeID: command.beforeID)
                let tunes = listing.items
                if command.json {
                    printJSON(tunes)
                } else {
                    printTable(
                        ["ID", "TITLE", "NAME", "BRANCH", "STATUS", "CREATED"],
                        tunes.map { [String($0.id), $0.title ?? "", $0.name ?? "", $0.branch ?? "", status($0), $0.createdAt.map(shortDate) ?? ""] },
                        unreadable: listing.unreadable.count
                    )
                }
                try reportUnreadable(listing.unreadable, what: "tune")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one tune.",
            usage: "tuneprep tunes show [<options>] <id>", discussion: TunesCommand.exitStatus)

        @Argument(help: "Tune id.")
        var id: Int

        @Flag(help: "JSON on stdout.")
        var json = false

        @OptionGroup var astria: AstriaCommandOptions

        func validate() throws {
            guard id >= 1 else { throw ValidationError("a tune id is 1 or more") }
        }

        func run() async throws {
            let command = self
            try await CommandRunner.run {
                let tune = try await command.astria.client().tune(id: command.id)
                if command.json { return printJSON(tune) }
                let rows: [(String, String?)] = [
                    ("id", String(tune.id)), ("title", tune.title), ("name", tune.name), ("status", status(tune)),
                    ("branch", tune.branch), ("model type", tune.modelType), ("token", tune.token),
                    ("created", tune.createdAt.map(AstriaDate.format)), ("eta", tune.eta.map(AstriaDate.format)),
                    ("trained", tune.trainedAt.map(AstriaDate.format)), ("expires", tune.expiresAt.map(AstriaDate.format)),
                    ("url", tune.url), ("images", tune.origImages.map { String($0.count) }),
                ]
                for (label, value) in rows {
                    if let value { print("\(label.padding(toLength: 11, withPad: " ", startingAt: 0)) \(sanitizedForTerminal(value))") }
                }
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a tune and its images.",
            usage: "tuneprep tunes delete [<options>] <id>", discussion: TunesCommand.exitStatus)

        @Argument(help: "Tune id.")
        var id: Int

        @Flag(help: "JSON on stdout.")
        var json = false

        @OptionGroup var astria: AstriaCommandOptions

        func validate() throws {
            guard id >= 1 else { throw ValidationError("a tune id is 1 or more") }
        }

        func run() async throws {
            let command = self
            try await CommandRunner.run {
                try await command.astria.client().deleteTune(id: command.id)
                if command.json { JSONLines.write(["event": "deleted", "tune_id": command.id]) } else { print("deleted tune \(command.id)") }
            }
        }
    }

    struct Packs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List your packs (or the gallery's).",
            usage: "tuneprep tunes packs [<options>]", discussion: TunesCommand.exitStatus)

        @Flag(help: "The public gallery packs.")
        var gallery = false

        @Flag(help: "JSON array on stdout.")
        var json = false

        @OptionGroup var astria: AstriaCommandOptions

        func run() async throws {
            let command = self
            try await CommandRunner.run {
                let listing = try await command.astria.client().packListing(gallery: command.gallery)
                if command.json {
                    printJSON(listing.items)
                } else {
                    printTable(["ID", "SLUG", "TITLE"], listing.items.map { [String($0.id), $0.slug ?? "", $0.title ?? ""] },
                               unreadable: listing.unreadable.count)
                }
                try reportUnreadable(listing.unreadable, what: "pack")
            }
        }
    }
}

private func status(_ tune: Tune) -> String {
    if tune.trainedAt != nil { return "trained" }
    if tune.startedTrainingAt != nil { return "training" }
    return "queued"
}
