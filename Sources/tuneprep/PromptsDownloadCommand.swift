import AstriaClient
import ArgumentParser
import Foundation
import TunePrep

extension PromptsCommand {
    /// `tuneprep prompts download TUNE [PROMPT...] --out DIR`.
    struct Download: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Save the generated pictures of a tune's prompts.",
            usage: "tuneprep prompts download [<options>] <tune-id> [<prompt-id> ...] --out <folder>",
            discussion: """
            Without prompt ids, every prompt of the tune that has pictures. Each picture is saved as \
            prompt-<id>-<n>.<jpg|png|webp>, streamed to a hidden file and renamed once whole and \
            decoded; a picture already saved is not fetched again, so a second run fetches only what \
            is missing. The API key is never sent to the pictures' host. A picture that cannot be \
            saved is named on stderr and the command exits 1 after the others.

            \(HelpText.exitStatus(PromptsCommand.statuses))
            """)

        @Argument(help: ArgumentHelp("Tune id.", valueName: "tune-id"))
        var tuneID: Int

        @Argument(help: ArgumentHelp("Prompt ids (default: every prompt with pictures).", valueName: "prompt-id"))
        var ids: [Int] = []

        @Option(help: ArgumentHelp("The folder to save into (created if missing).", valueName: HelpText.folder), completion: .directory)
        var out: String

        @Option(parsing: .unconditional, help: ArgumentHelp("Pictures fetched at once.", valueName: HelpText.count))
        var concurrency: Int = 4

        @Flag(help: "NDJSON events on stdout (planned, saved, skipped, failed, done).")
        var json = false

        @OptionGroup var astria: AstriaCommandOptions

        func validate() throws {
            guard tuneID >= 1 else { throw ValidationError("a tune id is 1 or more") }
            guard ids.allSatisfy({ $0 >= 1 }) else { throw ValidationError("a prompt id is 1 or more") }
            guard (1...32).contains(concurrency) else { throw ValidationError("--concurrency must be from 1 to 32") }
            guard !out.isEmpty else { throw ValidationError("--out is empty") }
        }

        func run() async throws {
            let command = self
            try await CommandRunner.run { try await command.download() }
        }

        private func download() async throws {
            let client = try astria.client()
            var prompts: [Prompt] = []
            if ids.isEmpty {
                for prompt in try await client.listAllPrompts(tuneID: tuneID).reversed() {
                    switch prompt.state {
                    case .done: prompts.append(prompt)
                    case .pending: note("prompt \(prompt.id) has no pictures yet; not downloaded")
                    case .failed: note("prompt \(prompt.id) failed (\(sanitizedForTerminal(prompt.userError ?? ""))); no pictures")
                    }
                }
            } else {
                for id in ids {
                    let prompt = try await client.prompt(tuneID: tuneID, id: id)
                    switch prompt.state {
                    case .done: prompts.append(prompt)
                    case .pending:
                        throw CommandFailure(.failure, "prompt \(id) has no pictures yet (wait for it: tuneprep prompts wait \(tuneID) \(id))")
                    case .failed:
                        throw CommandFailure(.generationFailed, "prompt \(id) failed: \(sanitizedForTerminal(prompt.userError ?? ""))")
                    }
                }
            }
            var options = DownloadOptions()
            options.concurrency = concurrency
            options.verify = { DecodeCheck.problem(atPath: $0) }
            let display = DownloadDisplay(json: json)
            let report: DownloadReport
            do {
                report = try await client.downloadPictures(of: prompts, to: out, options: options) { display.handle($0) }
                display.close()
            } catch {
                display.close()
                throw error
            }
            let folder = URL(fileURLWithPath: out).standardizedFileURL.path
            if json {
                JSONLines.write(["event": "done", "folder": folder, "saved": report.saved.count,
                                 "already_there": report.alreadyThere.count, "failed": report.failed.count])
            } else {
                let bytes = report.saved.reduce(Int64(0)) { $0 + $1.bytes }
                print("saved \(report.saved.count) picture\(report.saved.count == 1 ? "" : "s") (\(megabytes(bytes))) to \(folder)"
                      + (report.alreadyThere.isEmpty ? "" : "; \(report.alreadyThere.count) already there"))
            }
            guard report.failed.isEmpty else {
                if !json { for failure in report.failed { CommandRunner.printError(failure.description) } }
                throw CommandFailure(.failure, "\(report.failed.count) picture\(report.failed.count == 1 ? "" : "s") not saved (listed above)")
            }
        }

        private func note(_ text: String) {
            if json { JSONLines.write(["event": "note", "message": text]) } else { CommandRunner.printError(text) }
        }
    }
}

func megabytes(_ bytes: Int64) -> String { String(format: "%.1f MB", Double(bytes) / 1_000_000) }

/// Shows a download run: one live line on a terminal (pictures done of all, bytes), a line per
/// picture otherwise, or NDJSON events with --json.
final class DownloadDisplay: @unchecked Sendable {
    private enum Mode { case live, lines, json }
    private let mode: Mode
    private let lock = NSLock()
    private var total = 0
    private var done = 0
    private var bytes: Int64 = 0
    private var drawn = false

    init(json: Bool) {
        mode = json ? .json : (isatty(STDERR_FILENO) == 1 ? .live : .lines)
    }

    func handle(_ event: DownloadEvent) {
        lock.withLock {
            switch event {
            case .planned(let toFetch, let alreadyThere):
                total = toFetch
                if mode == .json { JSONLines.write(["event": "planned", "to_fetch": toFetch, "already_there": alreadyThere]) }
            case .saved(let file):
                done += 1
                switch mode {
                case .json: JSONLines.write(["event": "saved", "prompt_id": file.promptID, "index": file.index, "path": file.path, "bytes": file.bytes])
                case .lines: stderr("[\(done)/\(total)] \(file.path) (\(megabytes(file.bytes)))\n")
                case .live: break
                }
            case .skipped(let file):
                if mode == .json { JSONLines.write(["event": "skipped", "prompt_id": file.promptID, "index": file.index, "path": file.path]) }
            case .failed(let failure):
                done += 1
                if mode == .json {
                    JSONLines.write(["event": "failed", "prompt_id": failure.promptID, "index": failure.index, "url": failure.url, "reason": failure.reason])
                }
            case .retrying(let failure, let wait):
                if mode == .json {
                    JSONLines.write(["event": "retrying", "prompt_id": failure.promptID, "index": failure.index, "reason": failure.reason,
                                     "wait_seconds": Double(wait.components.seconds)])
                } else {
                    clearLine()
                    stderr("tuneprep: \(failure.description); again in \(wait.components.seconds) s\n")
                }
            case .bytes(let count):
                bytes = count
            }
            if mode == .live {
                stderr("\r\u{1B}[2K" + PrepareProgressText.clip("\(done)/\(total) pictures  \(megabytes(bytes))", to: terminalColumns() - 1))
                drawn = true
            }
        }
    }

    func close() { lock.withLock { clearLine() } }

    private func clearLine() {
        if drawn { stderr("\r\u{1B}[2K") }
        drawn = false
    }

    private func stderr(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
}
