import Foundation

/// When to poll a tune or a prompt and when to stop. A tune is first polled at its `eta` (no
/// request while it cannot be ready), then at `minInterval`, growing by `growth` up to
/// `maxInterval`. A 429 at least doubles the interval and honours `Retry-After`; a 5xx or a lost
/// connection waits as the retry rules say. Clock and sleep are injectable for tests.
public struct WaitPolicy: Sendable {
    /// The first poll after the `eta` comes this long after it (clocks differ a little).
    public var etaSlack: Duration = .seconds(2)
    /// The interval between polls once the `eta` has passed (or when there is none).
    public var minInterval: Duration = .seconds(5)
    /// Intervals never grow beyond this (`Retry-After` may still ask for longer).
    public var maxInterval: Duration = .seconds(60)
    /// Each poll that finds the tune or prompt not ready stretches the interval by this factor.
    public var growth: Double = 1.5
    /// A tune still untrained this long after its `eta` is reported overdue, not waited on.
    public var overdueAfter: Duration = .seconds(60 * 60)
    /// The whole wait's limit; nil waits until done, overdue, deleted or cancelled.
    public var timeout: Duration? = nil
    /// Failed polls in a row (5xx, lost connections; 429s not counted) before giving up.
    public var maxFailures: Int = 8
    /// How a wait is done; tests record it instead of sleeping.
    public var sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    /// The current time; tests move it themselves.
    public var now: @Sendable () -> Date = { Date() }

    /// The defaults: the first poll 2 s after the `eta`, then every 5 s growing to 60 s; overdue
    /// an hour past the `eta`; no time limit.
    public init() {}

    /// For prompts, as the service's own client polls them: every 5 s, growing to 30 s.
    public static var prompts: WaitPolicy {
        var policy = WaitPolicy()
        policy.maxInterval = .seconds(30)
        return policy
    }
}

/// What a wait reports as it goes: each poll's answer, and each pause with its reason.
public enum WaitEvent<Subject: Sendable>: Sendable {
    /// A poll answered; the tune or prompt as it is now.
    case polled(Subject)
    /// The wait pauses until `until`; `reason` says why (the eta, the interval, a 429, a failure).
    case sleeping(until: Date, reason: String)
    /// Done: the trained tune or the finished prompt.
    case finished(Subject)
}
