import Foundation
import Hummingbird

/// Answers 429 to a client that polls one tune or prompt faster than an interval, as the service
/// does to pollers ("429 might show when using polling. Use callbacks"; it publishes no rate).
actor PollLimiter {
    let interval: Duration
    /// When each object was last polled and let through. Refused polls leave it, so a client that
    /// waits the `Retry-After` it was given gets through.
    private var last: [String: ContinuousClock.Instant] = [:]

    init(interval: Duration) { self.interval = interval }

    nonisolated var intervalText: String {
        let s = interval.seconds
        return s == s.rounded() ? "\(Int(s)) s" : String(format: "%.3g s", s)
    }

    /// Nil when the poll may go ahead (its clock restarts), else the whole seconds to wait, at least 1.
    func admit(_ object: String) -> Int? {
        let now = ContinuousClock.now
        if let previous = last[object], now - previous < interval {
            return max(1, Int((interval - (now - previous)).seconds.rounded(.up)))
        }
        // Entries older than the interval can refuse nothing: dropped when the table grows.
        if last.count >= 4096 { last = last.filter { now - $0.value < interval } }
        last[object] = now
        return nil
    }

    /// `tune 12` for `GET /tunes/12` (or `12.json`), `prompt 34` for `GET /tunes/12/prompts/34`;
    /// nil for anything else (listings, writes), which is never limited.
    static func object(method: HTTPRequest.Method, path: String) -> String? {
        guard method == .get || method == .head else { return nil }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { part in
            part.hasSuffix(".json") ? part.dropLast(5) : part
        }
        guard parts.first == "tunes" else { return nil }
        if parts.count == 2, let tune = Int(parts[1]) { return "tune \(tune)" }
        if parts.count == 4, Int(parts[1]) != nil, parts[2] == "prompts", let prompt = Int(parts[3]) { return "prompt \(prompt)" }
        return nil
    }
}
