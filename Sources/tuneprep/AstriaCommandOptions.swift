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
