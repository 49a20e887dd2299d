import Foundation

/// When and how long to wait before resending a request, following the service's rules:
/// 401/422 never; 429 after `Retry-After`; 500 and connection failures with exponential backoff
/// and jitter from `firstWait`; 504 and failures after the body was sent only when the request is
/// idempotent, after `idempotentWait`. Waits and randomness are injectable for tests.
public struct RetryPolicy: Sendable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int = 5
    /// No retry starts once this much time has passed since the first attempt.
    public var maxTotalTime: Duration = .seconds(30 * 60)
    /// First backoff wait after a 500 or connection failure (the service asks for 30 s).
    public var firstWait: Duration = .seconds(30)
    /// Backoff waits never exceed this.
    public var maxWait: Duration = .seconds(10 * 60)
    /// Wait before resending after a 504 or a failure once the body had gone (the service: 60 s).
    public var idempotentWait: Duration = .seconds(60)
    /// Backoff waits are stretched by a random factor in 1...(1 + jitter), never shortened, so
    /// the first wait is at least what the service asks.
    public var jitter: Double = 0.25
    /// How a wait is done; tests record it instead of sleeping.
    public var sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    /// A number in 0..<1 for the jitter.
    public var random: @Sendable () -> Double = { Double.random(in: 0..<1) }

    /// A policy with the defaults: 5 attempts, 30 s first wait, at most 30 minutes in all.
    public init() {}

    /// The policy that follows the service's advice, as `init()` builds it.
    public static let `default` = RetryPolicy()

    /// A policy that never retries.
    public static var none: RetryPolicy {
        var policy = RetryPolicy()
        policy.maxAttempts = 1
        return policy
    }

    /// The backoff before retry number `retry` (1 for the first retry).
    public func backoff(retry: Int) -> Duration {
        let exponent = min(max(retry - 1, 0), 20)
        let base = min(seconds(firstWait) * pow(2, Double(exponent)), seconds(maxWait))
        let stretched = min(base * (1 + jitter * random()), seconds(maxWait))
        return .milliseconds(Int64((stretched * 1000).rounded()))
    }

    /// What one failed attempt means for the next.
    enum Decision: Equatable {
        case retry(after: Duration, reason: String)
        case stop
    }

    enum Failure {
        case status(Int, retryAfter: Duration?)
        /// A transport failure that may be transient; `bodySent` as in `TransferOutcome`.
        case connection(transient: Bool, bodySent: Bool)
    }

    /// `attempt` is the number of the attempt that just failed.
    func decide(_ failure: Failure, attempt: Int, idempotent: Bool) -> Decision {
        switch failure {
        case .status(let status, let retryAfter):
            switch status {
            case 429:
                if let retryAfter { return .retry(after: retryAfter, reason: "rate limited (429), Retry-After \(Int(seconds(retryAfter).rounded(.up))) s") }
                return .retry(after: backoff(retry: attempt), reason: "rate limited (429)")
            case 500, 502, 503:
                return .retry(after: backoff(retry: attempt), reason: "server error (\(status))")
            case 504:
                guard idempotent else { return .stop }
                return .retry(after: idempotentWait, reason: "gateway timeout (504); the request is idempotent, resending returns the tune if it was created")
            default:
                return .stop  // 401, 422 and every other 4xx: resending cannot help
            }
        case .connection(let transient, let bodySent):
            guard transient else { return .stop }
            if bodySent {
                guard idempotent else { return .stop }
                return .retry(after: idempotentWait, reason: "connection failed after the whole request was sent; the request is idempotent")
            }
            return .retry(after: backoff(retry: attempt), reason: "connection failed before the request was complete")
        }
    }

    /// Parses `Retry-After`: delay seconds or an HTTP date.
    static func parseRetryAfter(_ value: String?, now: Date = Date()) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let secondsValue = Double(value), secondsValue >= 0, secondsValue.isFinite {
            return .milliseconds(Int64(min(secondsValue, 86_400) * 1000))
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return .milliseconds(Int64(max(0, min(date.timeIntervalSince(now), 86_400)) * 1000))
    }
}
