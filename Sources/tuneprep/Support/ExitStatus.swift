import AstriaClient
import ArgumentParser
import Foundation

/// Every command's documented exit codes: 0-2 for all, 3-12 for the commands that talk to the
/// service, 128 + a signal's number for a run that signal stopped.
enum ExitStatus: Int32 {
    case failure = 1
    /// The staged set was refused: not a set, checks failed, already submitted, no images.
    case refused = 3
    /// 401: the key was refused.
    case unauthorized = 4
    /// 422: the service rejected a field.
    case rejected = 5
    /// Network failures, 5xx, 429: gave up after the retries.
    case unavailable = 6
    /// 504 (or a failure after the whole body was sent) not resent: it was probably processed.
    case uncertain = 7
    /// The service handed back a tune that does not match the request (name, branch, title).
    case mismatch = 8
    /// A waited-on tune is past its eta by more than the margin, untrained.
    case overdue = 9
    /// A waited-on tune or prompt answered 404.
    case deleted = 10
    /// A wait's --timeout ran out.
    case timedOut = 11
    /// A prompt finished with the service's user_error and no pictures.
    case generationFailed = 12
    case usage = 2
    /// SIGHUP (the terminal went away): 128 + 1, as a shell reports it.
    case hangup = 129
    /// Ctrl-C (SIGINT).
    case interrupted = 130
    /// SIGTERM (a service manager, a job worker or a container stopping the run): 128 + 15.
    case terminated = 143

    /// The codes of a run stopped by a signal, listed by every command that installs the handlers.
    static let stopped: [ExitStatus] = [.hangup, .interrupted, .terminated]

    init(_ error: AstriaError) {
        switch error.underlying {
        case .invalidRequest: self = .usage
        case .file: self = .refused
        case .unauthorized: self = .unauthorized
        case .validation: self = .rejected
        case .transport(_, let bodySent): self = bodySent ? .uncertain : .unavailable
        case .rateLimited: self = .unavailable
        case .gatewayTimeout(let request, _, _): self = request.hasPrefix("POST") ? .uncertain : .unavailable
        case .http(let status, _, _): self = status >= 500 ? .unavailable : .failure
        case .decoding: self = .failure
        case .cancelled: self = .interrupted
        case .gaveUp: self = .failure
        case .unexpectedTune: self = .mismatch
        case .setRefused, .alreadyRecorded: self = .refused
        case .recordNotWritten: self = .failure
        case .overdue: self = .overdue
        case .deleted: self = .deleted
        case .waitTimedOut: self = .timedOut
        case .promptFailed: self = .generationFailed
        }
    }
}
