import AstriaClient
import ArgumentParser
import Foundation
import TunePrep

/// A failure already explained: printed to stderr as `tuneprep: message`, then exit with `status`.
struct CommandFailure: Error {
    let status: ExitStatus
    let message: String
    init(_ status: ExitStatus, _ message: String) {
        self.status = status
        self.message = message
    }
}

/// The one way every command runs its work and ends. Ctrl-C, SIGTERM or SIGHUP cancels the work
/// cleanly (a second one exits at once); any error becomes its lines on stderr and its documented
/// exit status through ``CommandEnding``, the one mapping (`TunePrepCommand.main` uses it too).
enum CommandRunner {
    /// Runs `body` with the stop signals watched and returns its value; on failure prints why and
    /// throws the `ExitCode`. `resume`, when given, is said after a stop: the command that takes
    /// up the work again.
    @discardableResult
    static func run<T: Sendable>(
        resume: (@Sendable () -> String?)? = nil,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let (task, watcher) = InterruptWatcher.watching { try await body() }
        defer { watcher.stop() }
        do {
            return try await task.value
        } catch {
            throw CommandEnding(error, stoppedBy: watcher.status).print(resume: resume?())
        }
    }

    static func printError(_ message: String) {
        FileHandle.standardError.write(Data("tuneprep: \(message)\n".utf8))
    }
}

/// What an error means for the person at the terminal: the lines to print and the exit status.
/// The libraries state facts; the hints that name a flag or a command are added here.
struct CommandEnding {
    var lines: [String]
    var status: ExitStatus
    /// A stop (a signal, a cancellation) rather than a failure: the resume hint applies.
    var stopped = false

    init(_ error: any Error, stoppedBy stop: ExitStatus = .interrupted) {
        switch error {
        case let failure as CommandFailure:
            self.init(lines: [failure.message], status: failure.status)
        case let error as AstriaError:
            var lines = [sanitizedForTerminal(error.description) + (Self.hint(for: error.underlying) ?? "")]
            switch error.underlying {
            case .validation(_, let body) where !body.isEmpty, .http(_, _, let body) where !body.isEmpty:
                lines.append("service answer: \(sanitizedForTerminal(String(body.prefix(2000))))")
            case .cancelled:
                self.init(lines: lines + [stop.helpWords], status: stop, stopped: true)
                return
            default: break
            }
            self.init(lines: lines, status: ExitStatus(error))
        case StagingError.cancelled:
            self.init(lines: ["\(stop.helpWords); nothing was written"], status: stop, stopped: true)
        case StagingError.outputExists(let path):
            self.init(lines: ["\(StagingError.outputExists(path)) (use --force to replace it)"], status: .usage)
        case let error as StagingError:
            // Inputs that name no photo, a folder that cannot be written: usage or I/O (exit 2).
            self.init(lines: [error.description], status: .usage)
        case is CancellationError:
            self.init(lines: [stop.helpWords], status: stop, stopped: true)
        default:
            self.init(lines: [TunePrepCommand.fullMessage(for: error)], status: .usage)
        }
    }

    private init(lines: [String], status: ExitStatus, stopped: Bool = false) {
        self.lines = lines
        self.status = status
        self.stopped = stopped
    }

    /// Prints the lines (and `resume` after a stop) and returns the code to exit with.
    func print(resume: String? = nil) -> ExitCode {
        for line in lines { CommandRunner.printError(line) }
        if stopped, let resume { CommandRunner.printError(resume) }
        return ExitCode(status.rawValue)
    }

    /// The command's hint for a library error: the flag or command that acts on it.
    static func hint(for error: AstriaError) -> String? {
        switch error {
        case .gatewayTimeout(let request, _, _) where request.hasPrefix("POST"):
            return request.contains("/prompts") ? " (check `tuneprep prompts list`)" : " (check `tuneprep tunes list`)"
        case .cancelled(bodySent: true):
            return " (check `tuneprep tunes list`)"
        case .unexpectedTune(let creation, _) where creation.outcome == .existing:
            return "; give another --title"
        case .alreadyRecorded, .setRefused(_, .alreadySubmitted):
            return "; use --force to submit again"
        case .setRefused(_, .unusable):
            return " (see `tuneprep check`)"
        default:
            return nil
        }
    }
}
