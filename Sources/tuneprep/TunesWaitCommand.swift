import AstriaClient
import ArgumentParser
import Foundation

extension TunesCommand {
    /// `tuneprep tunes wait ID...`: polls each tune from its eta until it is trained.
    struct Wait: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Wait until tunes are trained.",
            usage: "tuneprep tunes wait [<options>] <id> ...",
            discussion: """
            The first request learns each tune's eta; none follows before it. After the eta the tune \
            is polled every 5 s, the interval growing to 60 s; a 429 slows the polling (Retry-After \
            is honoured), a 5xx or a lost connection waits as the retry rules say. The service has \
            no failure state, so a tune still untrained --overdue-after minutes past its eta is \
            reported overdue. Ctrl-C stops the wait (nothing is lost: run the same command again). \
            With several ids, each is waited for in turn; the exit status is the first failure's.

            \(HelpText.exitStatus(Wait.statuses))
            """
        )

        static let statuses: [ExitStatus] = [.failure, .usage, .unauthorized, .unavailable, .overdue, .deleted, .timedOut] + ExitStatus.stopped

        @Argument(help: ArgumentHelp("Tune ids.", valueName: HelpText.id))
        var ids: [Int]

        @Flag(help: "NDJSON events on stdout (polled, waiting, trained).")
        var json = false

        @OptionGroup var wait: WaitOptions
        @OptionGroup var astria: AstriaCommandOptions

        func validate() throws {
            guard !ids.isEmpty else { throw ValidationError("give at least one tune id") }
            guard ids.allSatisfy({ $0 >= 1 }) else { throw ValidationError("a tune id is 1 or more") }
        }

        func run() async throws {
            let command = self
            let remaining = RemainingIDs(ids)
            try await CommandRunner.run(resume: { remaining.resumeHint("tuneprep tunes wait") }) {
                let client = try command.astria.client()
                var firstFailure: AstriaError?
                for id in command.ids {
                    let display = WaitDisplay(json: command.json)
                    do throws(AstriaError) {
                        let tune = try await client.waitUntilTrained(id: id, policy: command.wait.policy(prompts: false)) { display.tune($0) }
                        display.close()
                        remaining.done(id)
                        if !command.json {
                            print("tune \(tune.id) trained" + (tune.trainedAt.map { " at \(AstriaDate.format($0))" } ?? ""))
                        }
                    } catch {
                        display.close()
                        if case .cancelled = error.underlying { throw error }
                        remaining.done(id)
                        if command.ids.count == 1 { throw error }
                        for line in CommandEnding(error).lines { CommandRunner.printError(line) }
                        firstFailure = firstFailure ?? error
                    }
                }
                if let firstFailure { throw CommandFailure(ExitStatus(firstFailure), "not every tune was trained (see above)") }
            }
        }
    }
}

/// The ids a stopped wait had not finished, for the line that says how to resume.
final class RemainingIDs: @unchecked Sendable {
    private let lock = NSLock()
    private var ids: [Int]

    init(_ ids: [Int]) { self.ids = ids }

    func done(_ id: Int) { lock.withLock { ids.removeAll { $0 == id } } }

    func resumeHint(_ command: String) -> String? {
        lock.withLock { ids.isEmpty ? nil : "to go on waiting: \(command) " + ids.map(String.init).joined(separator: " ") }
    }
}
