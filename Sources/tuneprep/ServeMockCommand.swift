import ArgumentParser
import AstriaClient
import AstriaMockServer
import Dispatch
import Foundation

/// `tuneprep serve-mock`: runs the local Astria-compatible API until SIGINT or SIGTERM.
struct ServeMockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve-mock",
        abstract: "Run a local Astria-compatible API server for tests and offline integration work.",
        discussion: """
            Point a client at the printed URL instead of https://api.astria.ai (e.g. ASTRIA_BASE_URL).
            The accepted API key comes from ASTRIA_API_KEY or --api-key-file; with neither, any
            non-empty Bearer key is accepted. Fault syntax: --faults 500,429,ok,504,drop and
            --fault-rate 500=0.1,drop=0.05 (504 answers after the tune was created).
            """
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(parsing: .unconditional, help: "Port to listen on (0 picks a free one).")
    var port = 8080

    @Option(help: "Folder for uploaded images (default: a temporary folder removed on exit).")
    var data: String?

    @Option(help: "File holding the only API key to accept (instead of ASTRIA_API_KEY).")
    var apiKeyFile: String?

    @Flag(help: "Create a new tune on every POST, even when the title exists.")
    var noIdempotency = false

    @Option(parsing: .unconditional, help: "Seconds from creation to trained_at.")
    var trainingSeconds: Double = 60

    @Option(parsing: .unconditional, help: "Seconds from creation to trained_at for branch=fast.")
    var fastTrainingSeconds: Double = 2

    @Flag(help: "Do not POST callbacks when training ends.")
    var noCallbacks = false

    @Option(help: "Scripted faults, one per request: ok, drop, 504 (after creating), or a status 400-599.")
    var faults: String?

    @Option(help: "Random faults after the script, e.g. 500=0.1,429=0.05,drop=0.02.")
    var faultRate: String?

    @Option(help: "Requests faults apply to: create (POST of tunes) or all.")
    var faultScope: String = "create"

    @Option(parsing: .unconditional, help: "Seed for --fault-rate, for repeatable runs.")
    var faultSeed: UInt64?

    @Option(parsing: .unconditional, help: "Retry-After seconds sent with 429.")
    var retryAfter = 1

    @Option(parsing: .unconditional, help: "Milliseconds added before each API request is handled.")
    var latencyMs = 0

    @Option(parsing: .unconditional, help: "Bodies larger than this many bytes answer 413.")
    var maxBodyBytes = 256 * 1024 * 1024

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
        // Range-checked so that no value reaches a conversion that traps (Int(1e300 * 1000)).
        let month: Double = 30 * 86_400
        guard (0...month).contains(trainingSeconds), (0...month).contains(fastTrainingSeconds) else {
            throw ValidationError("training seconds must be 0 to \(Int(month))")
        }
        guard (0...600_000).contains(latencyMs) else { throw ValidationError("--latency-ms must be 0 to 600000") }
        guard (0...86_400).contains(retryAfter) else { throw ValidationError("--retry-after must be 0 to 86400") }
        guard (1...(1 << 40)).contains(maxBodyBytes) else { throw ValidationError("--max-body-bytes must be 1 to \(1 << 40)") }
        guard FaultPlan.Scope(rawValue: faultScope) != nil else { throw ValidationError("--fault-scope is create or all") }
        // Fault lists are checked here, with the options, so a bad one is a usage error.
        do throws(MockServerError) {
            if let faults { _ = try FaultPlan.parseScript(faults) }
            if let faultRate { _ = try FaultPlan.parseRates(faultRate) }
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// Failures from here on are the environment's (port taken, address, data folder, key file),
    /// not the command line's: one plain line and exit 2, no usage text.
    func run() async throws {
        let options: MockServerOptions
        do {
            options = try makeOptions()
        } catch let error as MockServerError {
            throw CommandFailure(.usage, error.description)
        }
        let server: MockAstriaServer
        do {
            server = try await MockAstriaServer.start(options)
        } catch {
            throw CommandFailure(.usage, error.description)
        }
        let keyNote = options.apiKey == nil ? "any non-empty Bearer key accepted" : "API key required"
        Self.emit("Astria mock server listening on \(server.baseURL.absoluteString) (data: \(server.dataDirectory.path); \(keyNote))")
        await Self.waitForTerminationSignal()
        Self.emit("Stopping")
        await server.stop()
    }

    func makeOptions() throws -> MockServerOptions {
        var plan = FaultPlan(
            retryAfterSeconds: retryAfter, scope: FaultPlan.Scope(rawValue: faultScope) ?? .createTune, seed: faultSeed
        )
        if let faults { plan.script = try FaultPlan.parseScript(faults) }
        if let faultRate { plan.rates = try FaultPlan.parseRates(faultRate) }
        plan.latency = .milliseconds(latencyMs)
        return MockServerOptions(
            host: host, port: port, dataDirectory: data.map { URL(fileURLWithPath: $0) }, apiKey: try apiKey(),
            idempotency: !noIdempotency, trainingDuration: .milliseconds(Int(trainingSeconds * 1000)),
            fastTrainingDuration: .milliseconds(Int(fastTrainingSeconds * 1000)), deliverCallbacks: !noCallbacks,
            maxBodyBytes: maxBodyBytes, faults: plan, requestLog: { Self.emit($0) }
        )
    }

    /// The key from --api-key-file or ASTRIA_API_KEY; never from a flag value, which `ps` would show.
    private func apiKey() throws -> String? {
        if let apiKeyFile {
            let text: String
            do {
                text = try String(contentsOfFile: apiKeyFile, encoding: .utf8)
            } catch {
                throw CommandFailure(.usage, "cannot read --api-key-file \(apiKeyFile): \(plainFileError(error))")
            }
            let key = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !key.isEmpty else { throw CommandFailure(.usage, "--api-key-file \(apiKeyFile) is empty") }
            return key
        }
        let env = ProcessInfo.processInfo.environment["ASTRIA_API_KEY"]?.trimmingCharacters(in: .whitespacesAndNewlines)
        return env?.isEmpty == false ? env : nil
    }

    /// One line to stdout, unbuffered, so that a parent process sees it while we run.
    private static func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// Returns on the first SIGINT or SIGTERM.
    private static func waitForTerminationSignal() async {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { continuation.yield(sig) }
            source.resume()
            sources.append(source)
        }
        var iterator = stream.makeAsyncIterator()
        _ = await iterator.next()
        sources.forEach { $0.cancel() }
    }
}
