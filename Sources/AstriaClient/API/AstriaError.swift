import Foundation

/// Every way a call to the Astria API can fail, by layer: building the request (`invalidRequest`,
/// `file`), moving bytes (`transport`, `cancelled`), the service's answer (`unauthorized`,
/// `validation`, `rateLimited`, `gatewayTimeout`, `http`, `decoding`), the retry loop (`gaveUp`,
/// wrapping the last failure) and the waits (`overdue`, `deleted`, `waitTimedOut`,
/// `promptFailed`). Messages never contain the API key.
public enum AstriaError: Error, Sendable, CustomStringConvertible {
    /// The request could not be built (missing title, bad base URL, no images...).
    case invalidRequest(String)
    /// A file of the body could not be read, or changed while it was being sent.
    case file(path: String, reason: String)
    /// libcurl could not complete the exchange (connect, send, receive, stalled transfer).
    /// `bodySent`: every byte of the request body had left, so the service may have acted on it.
    case transport(CurlFailure, bodySent: Bool)
    /// 401: the key is missing, wrong or revoked.
    case unauthorized(message: String)
    /// 422: the service rejected a field; `message` summarises the Rails-style `body`.
    case validation(message: String, body: String)
    /// 429 with no attempts or time left to wait out `Retry-After`.
    case rateLimited(retryAfter: Duration?)
    /// 504: the service ran past its time limit on `request` (e.g. `POST /tunes`) and may have
    /// processed it anyway. `idempotent`: the request was one that may be resent (a `GET`, or a
    /// create on an account with idempotency on); a 504 that ends the call was then resent until
    /// the retry caps ran out (see ``gaveUp(attempts:elapsed:last:)``).
    case gatewayTimeout(request: String, idempotent: Bool, body: String)
    /// Any other unsuccessful status.
    case http(status: Int, message: String, body: String)
    /// A successful answer that is not the JSON expected.
    case decoding(what: String, detail: String, body: String)
    /// The task was cancelled (Ctrl-C). `bodySent`: the service may have the request anyway.
    case cancelled(bodySent: Bool)
    /// The service handed back a tune that is not the one asked for (idempotency matches on the
    /// title alone, so a reused title returns the older tune): `mismatches` says where it differs.
    case unexpectedTune(TuneCreation, mismatches: [TuneMismatch])
    /// A staged set that may not be submitted (see ``SetRefusal``).
    case setRefused(directory: String, SetRefusal)
    /// The file a submission of hosted photos would record to already records one (`force` submits anyway).
    case alreadyRecorded(path: String, tuneID: Int?)
    /// The tune was created (or returned) but the record of it could not be written.
    case recordNotWritten(path: String, reason: String, TuneCreation)
    /// The retry loop stopped (attempt or time cap) after `attempts` tries; `last` says why.
    indirect case gaveUp(attempts: Int, elapsed: Duration, last: AstriaError)
    /// The tune is still untrained `by` past its `eta`, beyond the wait's margin: the service
    /// documents no failure state, so this is how a stuck training shows.
    case overdue(Tune, by: Duration)
    /// The tune or prompt waited on answered 404: it was deleted (or never was).
    case deleted(what: String)
    /// The wait's time limit ran out before the tune was trained or the prompt done.
    case waitTimedOut(what: String, after: Duration)
    /// The prompt finished without pictures; `reason` is its `user_error`.
    case promptFailed(Prompt, reason: String)

    /// The failure behind any `gaveUp` wrapping.
    public var underlying: AstriaError {
        if case .gaveUp(_, _, let last) = self { return last.underlying }
        return self
    }

    public var description: String {
        switch self {
        case .invalidRequest(let why):
            return "invalid request: \(why)"
        case .file(let path, let reason):
            return "\(path): \(reason)"
        case .transport(let failure, let bodySent):
            return "network failure: \(failure.message)" + (bodySent ? " (after the whole request was sent: the service may have received it)" : "")
        case .unauthorized(let message):
            return "the API key was refused (401): \(message)"
        case .validation(let message, _):
            return "the service rejected the request (422): \(message)"
        case .rateLimited(let after):
            return "rate limited (429)" + (after.map { ", asked to wait \(Int(seconds($0))) s" } ?? "")
        case .gatewayTimeout(let request, let idempotent, _):
            guard request.hasPrefix("POST") else { return "the service timed out (504) answering \(request)" }
            let what = request.contains("/prompts") ? "prompt" : "tune"
            if idempotent {
                return "the service timed out (504) on \(request) and may have created the \(what); the request was resent, as it is idempotent"
            }
            return "the service timed out (504) on \(request) and probably created the \(what) anyway; not resent because the request is not idempotent"
        case .unexpectedTune(let creation, let mismatches):
            let which = creation.outcome == .existing ? "an existing tune" : "a tune"
            return "the service returned \(which), \(creation.tune.id), that does not match the request: "
                + mismatches.map(\.description).joined(separator: "; ")
                + (creation.outcome == .existing ? " (a tune with the same title already exists)" : "")
        case .setRefused(let directory, let refusal):
            return "\(directory): \(refusal)"
        case .alreadyRecorded(let path, let tuneID):
            return "\(path) already records a submission\(tuneID.map { " (tune \($0))" } ?? "")"
        case .recordNotWritten(let path, let reason, let creation):
            return "tune \(creation.tune.id) was \(creation.outcome == .created ? "created" : "returned") but \(path) could not be written: \(reason)"
        case .http(let status, let message, _):
            return "the service answered \(status)" + (message.isEmpty ? "" : ": \(message)")
        case .decoding(let what, let detail, _):
            return "unexpected answer for \(what): \(detail)"
        case .cancelled(let bodySent):
            return "cancelled" + (bodySent ? " after the whole request was sent: the service may have acted on it" : "; the request was not completed")
        case .gaveUp(let attempts, let elapsed, let last):
            return "\(last) (gave up after \(attempts) attempt\(attempts == 1 ? "" : "s") in \(Int(seconds(elapsed))) s)"
        case .overdue(let tune, let by):
            return "tune \(tune.id) is not trained \(minutes(by)) after its eta (\(tune.eta.map(AstriaDate.format) ?? "none")); the service documents no failure state, so it may be stuck"
        case .deleted(let what):
            return "\(what) does not exist (404): it was deleted"
        case .waitTimedOut(let what, let after):
            return "stopped waiting for \(what) after \(minutes(after)), the time limit"
        case .promptFailed(let prompt, let reason):
            return "prompt \(prompt.id) failed: \(sanitizedForTerminal(reason))"
        }
    }
}

/// "45 s", "12 min", "3 h 5 min": durations in messages.
func minutes(_ duration: Duration) -> String {
    let total = Int(seconds(duration).rounded())
    if total < 120 { return "\(total) s" }
    if total < 7200 { return "\(total / 60) min" }
    return "\(total / 3600) h \(total % 3600 / 60) min"
}

/// A short human summary of an error body: Rails' `{"field": ["message"]}`, `{"error": "..."}`
/// or `{"message": "..."}`, else the text itself, shortened.
func serviceMessage(from body: Data) -> String {
    sanitizedForTerminal(rawServiceMessage(from: body))
}

private func rawServiceMessage(from body: Data) -> String {
    if let object = try? JSONSerialization.jsonObject(with: body) {
        if let dict = object as? [String: Any] {
            for key in ["error", "message", "errors"] {
                if let text = dict[key] as? String { return text }
            }
            let parts = dict.keys.sorted().compactMap { key -> String? in
                if let list = dict[key] as? [Any] { return "\(key) " + list.map { "\($0)" }.joined(separator: ", ") }
                if let text = dict[key] as? String { return "\(key) \(text)" }
                if let nested = dict[key] as? [String: Any] { return "\(key) \(nested)" }
                return nil
            }
            if !parts.isEmpty { return parts.joined(separator: "; ") }
        }
        if let list = object as? [Any] { return list.map { "\($0)" }.joined(separator: "; ") }
    }
    let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    return text.count > 300 ? String(text.prefix(300)) + "…" : text
}
