import AstriaClient
import ArgumentParser
import Foundation

/// Options shared by `submit` and `tunes`: where the service is, the key, and the retry caps.
/// The key is read from ASTRIA_API_KEY or a file, never from an option value (which `ps` shows).
struct AstriaCommandOptions: ParsableArguments {
    @Option(name: .customLong("base-url"), help: ArgumentHelp("API base URL (default: $ASTRIA_BASE_URL, else https://api.astria.ai).", valueName: HelpText.url))
    var baseURL: String?

    @Option(name: .customLong("api-key-file"), help: ArgumentHelp("File holding the API key (default: $ASTRIA_API_KEY).", valueName: HelpText.path), completion: .file())
    var apiKeyFile: String?

    @Option(name: .customLong("retry-wait"), parsing: .unconditional, help: ArgumentHelp("First wait before retrying a 500 or a connection failure, in seconds; later waits double.", valueName: HelpText.seconds))
    var retryWait: Real = 30

    @Option(name: .customLong("idempotent-wait"), parsing: .unconditional, help: ArgumentHelp("Wait before resending after a 504, in seconds.", valueName: HelpText.seconds))
    var idempotentWait: Real = 60

    @Option(name: .customLong("max-attempts"), parsing: .unconditional, help: ArgumentHelp("Attempts in all, the first included.", valueName: HelpText.count))
    var maxAttempts: Int = 5

    @Option(name: .customLong("max-time"), parsing: .unconditional, help: ArgumentHelp("No retry starts after this many seconds.", valueName: HelpText.seconds))
    var maxTime: Real = 1800

    @Option(name: .customLong("stall-time"), parsing: .unconditional, help: ArgumentHelp("Fail a transfer that moves under 1 KB/s for this many seconds.", valueName: HelpText.seconds))
    var stallTime: Int = 75

    /// Every number is range-checked (a usage error, exit 2) before it reaches a Double to Int
    /// conversion: `--max-time 1e19` would otherwise trap.
    func validate() throws {
        guard (0...Self.maxWait).contains(retryWait.value), (0...Self.maxWait).contains(idempotentWait.value) else {
            throw ValidationError("--retry-wait and --idempotent-wait must be 0 to \(Int(Self.maxWait)) seconds")
        }
        guard (1...100).contains(maxAttempts) else { throw ValidationError("--max-attempts must be from 1 to 100") }
        guard maxTime > 0, maxTime.value <= Self.maxTotalTime else {
            throw ValidationError("--max-time must be more than 0 and at most \(Int(Self.maxTotalTime)) seconds")
        }
        guard (1...Int(Self.maxWait)).contains(stallTime) else { throw ValidationError("--stall-time must be 1 to \(Int(Self.maxWait)) seconds") }
    }

    /// One day: no sensible wait is longer. A week for the whole run.
    static let maxWait: Double = 86_400
    static let maxTotalTime: Double = 7 * 86_400

    /// Seconds as a Duration, clamped to a week so no value can trap the conversion.
    static func duration(seconds: Double) -> Duration {
        let clamped = seconds.isNaN ? 0 : min(max(seconds, 0), maxTotalTime)
        return .milliseconds(Int64((clamped * 1000).rounded()))
    }

    var resolvedBaseURL: String {
        if let baseURL, !baseURL.isEmpty { return baseURL }
        if let env = ProcessInfo.processInfo.environment["ASTRIA_BASE_URL"], !env.isEmpty { return env }
        return AstriaConfiguration.defaultBaseURL
    }

    /// The key, from --api-key-file or ASTRIA_API_KEY; exits 2 with a plain message when absent.
    func apiKey() throws -> APIKey {
        if let apiKeyFile {
            let text: String
            do {
                text = try String(contentsOfFile: apiKeyFile, encoding: .utf8)
            } catch {
                throw CommandFailure(.usage, "cannot read the API key file \(apiKeyFile): \(plainFileError(error))")
            }
            guard let key = APIKey(text) else { throw CommandFailure(.usage, "the API key file \(apiKeyFile) is empty or not one line") }
            return key
        }
        if let env = ProcessInfo.processInfo.environment["ASTRIA_API_KEY"], let key = APIKey(env) {
            return key
        }
        throw CommandFailure(.usage, "no API key: set ASTRIA_API_KEY or pass --api-key-file PATH")
    }

    func retryPolicy() -> RetryPolicy {
        var policy = RetryPolicy()
        policy.firstWait = Self.duration(seconds: retryWait.value)
        policy.idempotentWait = Self.duration(seconds: idempotentWait.value)
        policy.maxAttempts = maxAttempts
        policy.maxTotalTime = Self.duration(seconds: maxTime.value)
        return policy
    }

    func client() throws -> AstriaAPI {
        var transfer = TransferOptions()
        transfer.lowSpeedTime = .seconds(stallTime)
        transfer.userAgent = "tuneprep/\(TunePrepVersion.string)"
        let configuration = AstriaConfiguration(baseURL: resolvedBaseURL, apiKey: try apiKey(), retry: retryPolicy(), transfer: transfer)
        do {
            return try AstriaAPI(configuration: configuration)
        } catch {
            throw CommandFailure(.usage, error.description)
        }
    }
}

/// The documented exit codes of `submit` and `tunes`; 0-2 mean what they mean for every command.
enum ExitStatus: Int32 {
    case failure = 1
    /// The staged set was refused: not a set, checks failed, already submitted, no images.
    case refused = 3
    /// 401: the key was refused.
    case unauthorized = 4
    /// 422: the service rejected a field.
    case rejected = 5
    /// Network failures, 5xx, 429: gave up after the retries.
    case unavailable = 6
    /// 504 not resent: the tune was probably created; check `tuneprep tunes list`.
    case uncertain = 7
    /// The service handed back a tune that does not match the request (name, branch, title).
    case mismatch = 8
    /// A waited-on tune is past its eta by more than the margin, untrained.
    case overdue = 9
    /// A waited-on tune or prompt answered 404.
    case deleted = 10
    /// A wait's --timeout ran out.
    case timedOut = 11
    /// A prompt finished with the service's user_error and no pictures.
    case generationFailed = 12
    case usage = 2
    /// SIGHUP (the terminal went away): 128 + 1, as a shell reports it.
    case hangup = 129
    /// Ctrl-C (SIGINT).
    case interrupted = 130
    /// SIGTERM (a service manager, a job worker or a container stopping the run): 128 + 15.
    case terminated = 143

    /// The codes of a run stopped by a signal, listed by every command that installs the handlers.
    static let stopped: [ExitStatus] = [.hangup, .interrupted, .terminated]

    init(_ error: AstriaError) {
        switch error.underlying {
        case .invalidRequest: self = .usage
        case .file: self = .refused
        case .unauthorized: self = .unauthorized
        case .validation: self = .rejected
        case .transport(_, let bodySent): self = bodySent ? .uncertain : .unavailable
        case .rateLimited: self = .unavailable
        case .gatewayTimeout(let request, _, _): self = request.hasPrefix("POST") ? .uncertain : .unavailable
        case .http(let status, _, _): self = status >= 500 ? .unavailable : .failure
        case .decoding: self = .failure
        case .cancelled: self = .interrupted
        case .gaveUp: self = .failure
        case .unexpectedTune: self = .mismatch
        case .setRefused, .alreadyRecorded: self = .refused
        case .recordNotWritten: self = .failure
        case .overdue: self = .overdue
        case .deleted: self = .deleted
        case .waitTimedOut: self = .timedOut
        case .promptFailed: self = .generationFailed
        }
    }
}

/// A failure already explained: printed to stderr as `tuneprep: message`, then exit with `status`.
struct CommandFailure: Error {
    let status: ExitStatus
    let message: String
    init(_ status: ExitStatus, _ message: String) {
        self.status = status
        self.message = message
    }
}

enum CommandRunner {
    /// Runs `body` so that Ctrl-C, SIGTERM or SIGHUP cancels it cleanly (a second one exits at
    /// once), prints a failure as one plain line (with the service's body when it helps) and exits
    /// with its code; a stop exits with the signal's code (130, 143, 129).
    /// `resume`, when given, is said after a stop: the command that takes up the work again.
    static func run(json: Bool, resume: (@Sendable () -> String?)? = nil, _ body: @escaping @Sendable () async throws -> Void) async throws {
        let (task, interrupts) = InterruptWatcher.watching { try await body() }
        defer { interrupts.stop() }
        do {
            try await task.value
        } catch let failure as CommandFailure {
            printError(failure.message)
            throw ExitCode(failure.status.rawValue)
        } catch let error as AstriaError {
            printError(CommandHints.message(for: error))
            switch error.underlying {
            case .validation(_, let body) where !body.isEmpty:
                printError("service answer: \(sanitizedForTerminal(String(body.prefix(2000))))")
            case .http(_, _, let body) where !body.isEmpty:
                printError("service answer: \(sanitizedForTerminal(String(body.prefix(2000))))")
            default: break
            }
            if case .cancelled = error.underlying {
                printError(interrupts.status.helpWords)
                if let hint = resume?() { printError(hint) }
                throw ExitCode(interrupts.status.rawValue)
            }
            throw ExitCode(ExitStatus(error).rawValue)
        } catch is CancellationError {
            printError(interrupts.status.helpWords)
            if let hint = resume?() { printError(hint) }
            throw ExitCode(interrupts.status.rawValue)
        }
    }

    static func printError(_ message: String) {
        FileHandle.standardError.write(Data("tuneprep: \(message)\n".utf8))
    }
}

/// Writes one JSON object per line to stdout (NDJSON).
enum JSONLines {
    static func write(_ object: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    static func object<T: Encodable>(_ value: T) -> Any {
        guard let data = try? JSONEncoder().encode(value), let object = try? JSONSerialization.jsonObject(with: data) else { return NSNull() }
        return object
    }
}
