import AstriaClient

/// What the command adds to a library's error: the flag or command that acts on it. The
/// libraries state facts only; the hints live here, beside the exit statuses.
enum CommandHints {
    /// The error's one line, escaped for a terminal, with the command's hint when it has one.
    static func message(for error: AstriaError) -> String {
        sanitizedForTerminal(error.description) + (hint(for: error.underlying) ?? "")
    }

    static func hint(for error: AstriaError) -> String? {
        switch error {
        case .gatewayTimeout(let request, _, _) where request.hasPrefix("POST"):
            return request.contains("/prompts") ? " (check `tuneprep prompts list`)" : " (check `tuneprep tunes list`)"
        case .cancelled(bodySent: true):
            return " (check `tuneprep tunes list`)"
        case .unexpectedTune(let creation, _) where creation.outcome == .existing:
            return "; give another --title"
        case .alreadyRecorded, .setRefused(_, .alreadySubmitted):
            return "; use --force to submit again"
        case .setRefused(_, .unusable):
            return " (see `tuneprep check`)"
        default:
            return nil
        }
    }
}
