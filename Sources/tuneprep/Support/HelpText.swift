import ArgumentParser

/// Pieces of help text every command words the same way.
enum HelpText {
    /// The "Exit status" paragraph: codes in ascending order, each with its one wording, so a code
    /// means the same in every command's help and in the top-level summary. A command may give
    /// its own words for 0 and 1 (what success and failed checks mean for it).
    static func exitStatus(_ codes: [ExitStatus], success: String = "success", failure: String? = nil) -> String {
        var parts = ["0 \(success)"]
        for code in codes.sorted(by: { $0.rawValue < $1.rawValue }) {
            let words = code == .failure ? failure ?? code.helpWords : code.helpWords
            parts.append("\(code.rawValue) \(words)")
        }
        return "Exit status: " + parts.joined(separator: ", ") + "."
    }

    /// The value names shown in usage lines, saying what a value is.
    static let path = "path", folder = "folder", seconds = "seconds", count = "count", pixels = "pixels", id = "id"
    static let fraction = "fraction", url = "url"
}

extension ExitStatus {
    /// The words for this code in every help text (see `HelpText.exitStatus`).
    var helpWords: String {
        switch self {
        case .failure: "another failure"
        case .usage: "usage or I/O error"
        case .refused: "set refused"
        case .unauthorized: "key refused (401)"
        case .rejected: "request rejected (422)"
        case .unavailable: "service unavailable after retries"
        case .uncertain: "outcome uncertain (504, or a failure after the whole body was sent; not resent)"
        case .mismatch: "the service returned a tune that does not match the request"
        case .overdue: "the tune is overdue (past its eta by more than --overdue-after)"
        case .deleted: "the tune or prompt no longer exists (404)"
        case .timedOut: "the wait's --timeout ran out"
        case .generationFailed: "a prompt failed (the service's user_error)"
        case .hangup: "stopped by SIGHUP"
        case .interrupted: "interrupted"
        case .terminated: "stopped by SIGTERM"
        }
    }
}

/// A decimal option value whose default shows as typed (`30`, `0.25`), not as Swift prints a
/// Double (`30.0`), so that every default in the help reads alike.
struct Real: ExpressibleByArgument, Comparable, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral, Sendable {
    var value: Double

    init(_ value: Double) { self.value = value }
    init(floatLiteral value: Double) { self.value = value }
    init(integerLiteral value: Int) { self.value = Double(value) }

    init?(argument: String) {
        guard let value = Double(argument) else { return nil }
        self.value = value
    }

    var defaultValueDescription: String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    static func < (lhs: Real, rhs: Real) -> Bool { lhs.value < rhs.value }
}
