import Foundation

/// The service's time format: ISO 8601, UTC, milliseconds, e.g. `2023-10-02T14:32:40.363Z`.
enum Timestamps {
    static func format(_ date: Date) -> String {
        // Rounded to whole milliseconds first; Foundation's formatter truncates (…40.363 → …40.362).
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var seconds = time_t(millis.floorDiv(1000))
        let ms = Int(millis - Int64(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
            Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), ms
        )
    }

    static func json(_ date: Date?) -> JSONValue {
        date.map { .string(format($0)) } ?? .null
    }
}

extension Int64 {
    fileprivate func floorDiv(_ d: Int64) -> Int64 {
        let q = self / d
        return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q
    }
}
