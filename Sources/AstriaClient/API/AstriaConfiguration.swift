import Foundation

/// An Astria API key. It prints as a redacted stub, so it cannot leak through interpolation,
/// `dump` or an error message.
public struct APIKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    let secret: String

    /// Surrounding whitespace (a trailing newline in a key file) is dropped; an empty key is nil.
    public init?(_ secret: String) {
        let trimmed = secret.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, !trimmed.contains(where: { $0.isNewline }) else { return nil }
        self.secret = trimmed
    }

    public var description: String { "[redacted API key]" }
    /// The same redacted stub, so `debugPrint` does not reveal the key either.
    public var debugDescription: String { description }
    /// An empty mirror, so `dump` and reflection do not reveal the key.
    public var customMirror: Mirror { Mirror(self, children: []) }

    /// Replaces every occurrence of the key in `text` (a server might echo it back).
    public func redact(_ text: String) -> String {
        text.replacingOccurrences(of: secret, with: description)
    }
}

/// Where and how the client talks to the service: base URL, key, retries and transfer limits.
public struct AstriaConfiguration: Sendable {
    /// The production service.
    public static let defaultBaseURL = "https://api.astria.ai"

    /// e.g. `https://api.astria.ai` or `http://127.0.0.1:8080`; a trailing `/` is ignored.
    public var baseURL: String
    /// The Bearer key sent with every request.
    public var apiKey: APIKey
    /// When and how long to wait before failed requests are retried.
    public var retry: RetryPolicy
    /// Timeouts and other settings of each HTTP transfer.
    public var transfer: TransferOptions
    /// A create whose body is larger than this first checks the key with a cheap `GET /tunes?limit=1`,
    /// so a wrong key is found out before the upload rather than after it (a Rack server reads the
    /// whole body before the application sees the key). `nil`: never.
    public var checkKeyAboveBytes: Int64? = 4_000_000

    /// A configuration with the defaults for retries and transfers.
    public init(baseURL: String = AstriaConfiguration.defaultBaseURL, apiKey: APIKey,
                retry: RetryPolicy = .default, transfer: TransferOptions = TransferOptions()) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.retry = retry
        self.transfer = transfer
    }
}
