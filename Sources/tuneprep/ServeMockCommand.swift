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
        usage: "tuneprep serve-mock [<options>]",
        discussion: """
            Point a client at the printed URL instead of https://api.astria.ai (e.g. with \
            ASTRIA_BASE_URL). The accepted API key comes from ASTRIA_API_KEY or --api-key-file; with \
            neither, any non-empty Bearer key is accepted.

            Fault syntax: --faults 500,429,ok,504,drop and --fault-rate 500=0.1,drop=0.05 (504 \
            answers after the tune or prompt was created). --fault-scope picks the requests they hit: \
            create (POST /tunes and /p/ID/tunes), prompts (POST /tunes/ID/prompts), posts (both), or all.

            After the upload: a tune trains in --training-seconds (FaceID tunes are trained at \
            creation); a prompt (POST /tunes/ID/prompts, or given with its tune) finishes \
            --prompt-seconds after it was created or its tune trained, whichever is later, with \
            num_images (default 4) real JPEGs served without the API key at \
            IMAGE-BASE/files/tunes/ID/prompts/PROMPT-ID/N.jpg. Pictures come from --prompt-images, \
            else the tune's uploaded JPEGs, else a built-in one. Callbacks (tune, prompt, a pack's \
            prompts_callback) are POSTed once each and logged as CALLBACK lines. --tunes-overdue and \
            --prompts-fail make every new tune never train and every new prompt fail.

            \(HelpText.exitStatus([.usage], success: "stopped by SIGINT, SIGTERM or SIGHUP"))
            """
    )

    @Option(help: ArgumentHelp("Address to listen on.", valueName: "address"))
    var host = "127.0.0.1"

    @Option(parsing: .unconditional, help: ArgumentHelp("Port to listen on (0 picks a free one).", valueName: "port"))
    var port = 8080

    @Option(help: ArgumentHelp("Folder for uploaded images (default: a temporary folder removed on exit).", valueName: HelpText.folder), completion: .directory)
    var data: String?

    @Option(help: ArgumentHelp("File holding the only API key to accept (default: $ASTRIA_API_KEY).", valueName: HelpText.path), completion: .file())
    var apiKeyFile: String?

    @Flag(help: "Create a new tune on every POST, even when the title exists.")
    var noIdempotency = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds from creation to trained_at.", valueName: HelpText.seconds))
    var trainingSeconds: Real = 60

    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds from creation to trained_at for branch=fast.", valueName: HelpText.seconds))
    var fastTrainingSeconds: Real = 2

    @Flag(help: "Do not POST callbacks when training ends or prompts finish.")
    var noCallbacks = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds from a prompt's creation, or its tune's training if later, to its images.", valueName: HelpText.seconds))
    var promptSeconds: Real = 5

    @Option(parsing: .unconditional, help: ArgumentHelp("The same for prompts of branch=fast tunes.", valueName: HelpText.seconds))
    var fastPromptSeconds: Real = 1

    @Option(help: ArgumentHelp("Folder whose .jpg/.jpeg files (name order, in rotation) are the prompts' pictures.", valueName: HelpText.folder), completion: .directory)
    var promptImages: String?

    @Option(help: ArgumentHelp("What prompts' image URLs start with (default: this server's URL), e.g. a proxy in front of it.", valueName: "url"))
    var imageBaseUrl: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("A GET of one tune or prompt sooner than this after the last answers 429 with Retry-After (0: off).", valueName: HelpText.seconds))
    var minPollInterval: Real = 0

    @Flag(help: "Every new tune goes overdue: trained_at stays null past its eta (FaceID tunes excepted).")
    var tunesOverdue = false

    @Option(help: ArgumentHelp("Every new prompt fails with this user_error and no images.", valueName: "message"))
    var promptsFail: String?

    @Option(help: ArgumentHelp("Scripted faults, one per request: ok, drop, 504 (after creating), or a status 400-599.", valueName: "list"))
    var faults: String?

    @Option(help: ArgumentHelp("Random faults after the script, e.g. 500=0.1,429=0.05,drop=0.02.", valueName: "rates"))
    var faultRate: String?

    @Option(help: ArgumentHelp("Requests faults apply to: create (POST of tunes), prompts (POST of prompts), posts (both) or all.", valueName: "scope"), completion: .list(FaultPlan.Scope.allCases.map(\.rawValue)))
    var faultScope: String = "create"

    @Option(parsing: .unconditional, help: ArgumentHelp("Seed for --fault-rate, for repeatable runs.", valueName: "seed"))
    var faultSeed: UInt64?

    @Option(parsing: .unconditional, help: ArgumentHelp("Retry-After seconds sent with 429.", valueName: HelpText.seconds))
    var retryAfter = 1

    @Option(parsing: .unconditional, help: ArgumentHelp("Milliseconds added before each API request is handled.", valueName: "milliseconds"))
    var latencyMs = 0

    @Option(parsing: .unconditional, help: ArgumentHelp("Bodies larger than this many bytes answer 413.", valueName: "bytes"))
    var maxBodyBytes = 256 * 1024 * 1024

    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds a new connection has to send its request's headers.", valueName: HelpText.seconds))
    var headerTimeout: Real = 10

    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds a connection may wait with no request before it is closed.", valueName: HelpText.seconds))
    var idleTimeout: Real = 60

    @Option(parsing: .unconditional, help: ArgumentHelp("Open connections at most; at the limit the longest-waiting idle one is closed.", valueName: HelpText.count))
    var maxConnections = 512

    func validate() throws {
        // Fractions allowed (tests use them); at most a day, so no conversion traps.
        guard headerTimeout.value > 0, headerTimeout.value <= 86_400 else { throw ValidationError("--header-timeout must be over 0, up to 86400") }
        guard idleTimeout.value > 0, idleTimeout.value <= 86_400 else { throw ValidationError("--idle-timeout must be over 0, up to 86400") }
        guard (1...65_536).contains(maxConnections) else { throw ValidationError("--max-connections must be 1 to 65536") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
        // Range-checked so that no value reaches a conversion that traps (Int(1e300 * 1000)).
        let month: Double = 30 * 86_400
        guard (0...month).contains(trainingSeconds.value), (0...month).contains(fastTrainingSeconds.value) else {
            throw ValidationError("training seconds must be 0 to \(Int(month))")
        }
        guard (0...600_000).contains(latencyMs) else { throw ValidationError("--latency-ms must be 0 to 600000") }
        guard (0...86_400).contains(retryAfter) else { throw ValidationError("--retry-after must be 0 to 86400") }
        guard (1...(1 << 40)).contains(maxBodyBytes) else { throw ValidationError("--max-body-bytes must be 1 to \(1 << 40)") }
        guard (0...month).contains(promptSeconds.value), (0...month).contains(fastPromptSeconds.value) else {
            throw ValidationError("prompt seconds must be 0 to \(Int(month))")
        }
        guard (0...86_400).contains(minPollInterval.value) else { throw ValidationError("--min-poll-interval must be 0 to 86400") }
        if let imageBaseUrl {
            guard let url = URL(string: imageBaseUrl), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil,
                url.query == nil, url.fragment == nil
            else { throw ValidationError("--image-base-url must be http(s)://HOST[:PORT][/PATH]") }
        }
        if let promptsFail, promptsFail.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw ValidationError("--prompts-fail needs a message (the prompt's user_error)")
        }
        guard FaultPlan.Scope(rawValue: faultScope) != nil else { throw ValidationError("--fault-scope is create, prompts, posts or all") }
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
            idempotency: !noIdempotency, trainingDuration: .milliseconds(Int(trainingSeconds.value * 1000)),
            fastTrainingDuration: .milliseconds(Int(fastTrainingSeconds.value * 1000)), deliverCallbacks: !noCallbacks,
            maxBodyBytes: maxBodyBytes, faults: plan, requestLog: { Self.emit($0) },
            headerTimeout: .milliseconds(Int(headerTimeout.value * 1000)),
            idleTimeout: .milliseconds(Int(idleTimeout.value * 1000)), maxConnections: maxConnections,
            promptDuration: .milliseconds(Int(promptSeconds.value * 1000)),
            fastPromptDuration: .milliseconds(Int(fastPromptSeconds.value * 1000)),
            promptImagesDirectory: promptImages.map { URL(fileURLWithPath: $0) },
            imageBaseURL: imageBaseUrl.flatMap { URL(string: $0) },
            // Off unless asked: the service publishes no rate, and a 429 nobody asked for would look like a client bug.
            minPollInterval: minPollInterval.value > 0 ? .milliseconds(Int((minPollInterval.value * 1000).rounded(.up))) : nil,
            tunesOverdue: tunesOverdue, promptFailure: promptsFail
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

    /// Returns on the first SIGINT, SIGTERM or SIGHUP.
    private static func waitForTerminationSignal() async {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM, SIGHUP] {
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
