import Foundation

/// How a ``MockAstriaServer`` listens, authenticates, trains and misbehaves.
public struct MockServerOptions: Sendable {
    /// Address to bind; keep it a loopback address unless others must reach the server.
    public var host: String
    /// Port to bind; 0 picks a free port (read it back from ``MockAstriaServer/port``).
    public var port: Int
    /// Folder for uploaded images. `nil`: a new temporary folder, removed by ``MockAstriaServer/stop()``.
    public var dataDirectory: URL?
    /// The only Bearer key accepted; `nil` accepts any non-empty key.
    public var apiKey: String?
    /// A second `POST` with the title of an existing tune returns that tune (status 200) instead of creating one.
    public var idempotency: Bool
    /// Time from creation to `trained_at` for every branch but `fast`.
    public var trainingDuration: Duration
    /// Time from creation to `trained_at` for `branch=fast`.
    public var fastTrainingDuration: Duration
    /// POST callbacks when training ends; off, nothing leaves the machine.
    public var deliverCallbacks: Bool
    /// Request bodies above this many bytes answer 413, as a proxy's body limit would.
    public var maxBodyBytes: Int
    /// Injected failures and latency.
    public var faults: FaultPlan
    /// A new connection must have sent its request's headers within this time, or it is closed.
    public var headerTimeout: Duration
    /// A connection with no request for this long (between requests, or a body that stopped
    /// arriving) is closed.
    public var idleTimeout: Duration
    /// Open connections at most; at the limit the one waiting longest for a request is closed
    /// to make room, and new ones wait in the listen queue while every one is busy.
    public var maxConnections: Int
    /// Receives one line per request and per callback sent (never the API key); `nil` logs nothing.
    public var requestLog: (@Sendable (String) -> Void)?
    /// Time from a prompt's creation, or its tune's training if that ends later, to its images,
    /// for every branch but `fast`.
    public var promptDuration: Duration
    /// The same for prompts of `branch=fast` tunes.
    public var fastPromptDuration: Duration
    /// Where prompts' pictures come from: this folder's `.jpg`/`.jpeg` files in name order, in
    /// rotation. `nil`: the tune's uploaded photos that are well-formed JPEGs, else a small
    /// built-in JPEG.
    public var promptImagesDirectory: URL?
    /// What prompts' image URLs start with (`BASE/files/tunes/T/prompts/P/1.jpg`), e.g. a proxy in
    /// front of this server; `nil`: the server's own ``MockAstriaServer/baseURL``.
    public var imageBaseURL: URL?
    /// A `GET` of the same tune or prompt sooner than this after the previous one answers 429
    /// with `Retry-After`; `nil` lets any rate through. Refused polls do not reset the clock.
    public var minPollInterval: Duration?
    /// Every new tune goes overdue: `trained_at` stays null past its `eta` (FaceID tunes excepted:
    /// they train nothing).
    public var tunesOverdue: Bool
    /// Every new prompt fails: it finishes with this `user_error` and no images.
    public var promptFailure: String?

    /// Defaults: loopback on a free port, any key accepted, idempotency on, 60 s training
    /// (2 s for `fast`), callbacks on, no faults, headers within 10 s, 60 s idle, 512 connections;
    /// prompts done 5 s after training (1 s for `fast`), no poll limit, nothing overdue or failing.
    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        dataDirectory: URL? = nil,
        apiKey: String? = nil,
        idempotency: Bool = true,
        trainingDuration: Duration = .seconds(60),
        fastTrainingDuration: Duration = .seconds(2),
        deliverCallbacks: Bool = true,
        maxBodyBytes: Int = 256 * 1024 * 1024,
        faults: FaultPlan = FaultPlan(),
        requestLog: (@Sendable (String) -> Void)? = nil,
        headerTimeout: Duration = .seconds(10),
        idleTimeout: Duration = .seconds(60),
        maxConnections: Int = 512,
        promptDuration: Duration = .seconds(5),
        fastPromptDuration: Duration = .seconds(1),
        promptImagesDirectory: URL? = nil,
        imageBaseURL: URL? = nil,
        minPollInterval: Duration? = nil,
        tunesOverdue: Bool = false,
        promptFailure: String? = nil
    ) {
        self.promptDuration = promptDuration
        self.fastPromptDuration = fastPromptDuration
        self.promptImagesDirectory = promptImagesDirectory
        self.imageBaseURL = imageBaseURL
        self.minPollInterval = minPollInterval
        self.tunesOverdue = tunesOverdue
        self.promptFailure = promptFailure
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.maxConnections = max(1, maxConnections)
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.apiKey = apiKey
        self.idempotency = idempotency
        self.trainingDuration = trainingDuration
        self.fastTrainingDuration = fastTrainingDuration
        self.deliverCallbacks = deliverCallbacks
        self.maxBodyBytes = maxBodyBytes
        self.faults = faults
        self.requestLog = requestLog
    }
}

/// Failures to inject, the way a proxy or an overloaded backend would produce them.
///
/// A scripted fault is used up by one request, in order; after the script, each random rate is
/// tried in turn. Faults apply to tune-creating requests (`POST /tunes`, `POST /p/:id/tunes`)
/// unless ``scope`` says otherwise (prompt creation, both, or every request); latency applies to
/// every API request.
public struct FaultPlan: Sendable, Equatable {
    /// What one request suffers.
    public enum Fault: Sendable, Equatable, CustomStringConvertible {
        /// Handled normally.
        case ok
        /// Answered at once with this status (500, 429 with `Retry-After`, 503, ...), nothing processed.
        case status(Int)
        /// Processed completely (a tune or prompt is created), then answered 504, like the service's 30 s limit.
        case timeoutAfterProcessing
        /// The connection is closed while the request body is still arriving; nothing is processed.
        case drop

        /// Parses `ok`, `drop`, `504` or another status code from 400 to 599.
        public init(parsing text: String) throws(MockServerError) {
            let t = text.trimmingCharacters(in: .whitespaces).lowercased()
            switch t {
            case "ok": self = .ok
            case "drop": self = .drop
            case "504": self = .timeoutAfterProcessing
            default:
                guard let code = Int(t), (400...599).contains(code) else {
                    throw .invalidFault(text, reason: "expected ok, drop or a status code from 400 to 599")
                }
                self = .status(code)
            }
        }

        public var description: String {
            switch self {
            case .ok: return "ok"
            case .status(let code): return String(code)
            case .timeoutAfterProcessing: return "504"
            case .drop: return "drop"
            }
        }
    }

    /// Which requests faults apply to.
    public enum Scope: String, Sendable, Equatable, CaseIterable {
        /// Only tune-creating requests: `POST /tunes` and `POST /p/:id/tunes`.
        case createTune = "create"
        /// Only prompt-creating requests: `POST /tunes/:id/prompts`.
        case createPrompt = "prompts"
        /// Every creating request: tunes and prompts (every API `POST`).
        case createAny = "posts"
        /// Every API request.
        case allRequests = "all"

        /// Whether a request with this method and path is in scope.
        func covers(method: String, path: String) -> Bool {
            guard self != .allRequests else { return true }
            guard method == "POST" else { return false }
            let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
            let isTune = parts.elementsEqual(["tunes"]) || (parts.count == 3 && parts.first == "p" && parts.last == "tunes")
            let isPrompt = parts.count == 3 && parts.first == "tunes" && parts.last == "prompts"
            switch self {
            case .createTune: return isTune
            case .createPrompt: return isPrompt
            case .createAny: return isTune || isPrompt
            case .allRequests: return true
            }
        }
    }

    /// Faults used up one per request, in order.
    public var script: [Fault]
    /// After the script: each fault's probability per request (their sum must not exceed 1).
    public var rates: [Rate]
    /// Added before every API request is handled.
    public var latency: Duration
    /// The `Retry-After` seconds sent with a 429.
    public var retryAfterSeconds: Int
    /// Which requests faults apply to; latency applies to all regardless.
    public var scope: Scope
    /// Seed for the random rates, for repeatable runs; `nil` seeds from the clock.
    public var seed: UInt64?

    /// A fault and its probability per request.
    public struct Rate: Sendable, Equatable {
        /// The failure to inject.
        public var fault: Fault
        /// Chance per request, from 0 to 1.
        public var probability: Double
        /// A fault with its chance per request.
        public init(fault: Fault, probability: Double) {
            self.fault = fault
            self.probability = probability
        }
    }

    /// A plan with the given settings; the default injects nothing.
    public init(
        script: [Fault] = [],
        rates: [Rate] = [],
        latency: Duration = .zero,
        retryAfterSeconds: Int = 1,
        scope: Scope = .createTune,
        seed: UInt64? = nil
    ) {
        self.script = script
        self.rates = rates
        self.latency = latency
        self.retryAfterSeconds = retryAfterSeconds
        self.scope = scope
        self.seed = seed
    }

    /// Parses a script such as `500,429,ok,504,drop`.
    public static func parseScript(_ text: String) throws(MockServerError) -> [Fault] {
        var faults: [Fault] = []
        for item in text.split(separator: ",") where !item.trimmingCharacters(in: .whitespaces).isEmpty {
            faults.append(try Fault(parsing: String(item)))
        }
        return faults
    }

    /// Parses rates such as `500=0.1,429=0.05,drop=0.01`.
    public static func parseRates(_ text: String) throws(MockServerError) -> [Rate] {
        var rates: [Rate] = []
        for item in text.split(separator: ",") where !item.trimmingCharacters(in: .whitespaces).isEmpty {
            let parts = item.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let p = Double(parts[1].trimmingCharacters(in: .whitespaces)), (0...1).contains(p)
            else {
                throw .invalidFault(String(item), reason: "expected FAULT=PROBABILITY with a probability from 0 to 1")
            }
            rates.append(Rate(fault: try Fault(parsing: String(parts[0])), probability: p))
        }
        guard rates.reduce(0, { $0 + $1.probability }) <= 1 + 1e-9 else {
            throw .invalidFault(text, reason: "the probabilities add up to more than 1")
        }
        return rates
    }
}
