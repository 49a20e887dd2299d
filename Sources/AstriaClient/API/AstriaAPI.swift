import CTunePrepCurl
import Foundation

/// The Astria fine-tuning API over libcurl. Every call retries as `configuration.retry` says and
/// throws only `AstriaError`. Values are immutable: share one across tasks freely.
public struct AstriaAPI: Sendable {
    public let configuration: AstriaConfiguration
    private let base: String

    public init(configuration: AstriaConfiguration) throws(AstriaError) {
        var base = configuration.baseURL.trimmingCharacters(in: .whitespaces)
        while base.hasSuffix("/") { base.removeLast() }
        let lower = base.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), base.count > 8,
              URL(string: base)?.host != nil else {
            throw .invalidRequest("the base URL must be an http:// or https:// URL, got \"\(configuration.baseURL)\"")
        }
        self.configuration = configuration
        self.base = base
    }

    // MARK: Tunes

    /// `POST /tunes`, or `POST /p/:packID/tunes` with a pack. `idempotent` says that resending the
    /// same request cannot create a second tune (a stable title on an account with idempotency
    /// on); only then are a 504 and a failure after the whole body was sent retried.
    public func createTune(
        _ request: TuneRequest,
        packID: Int? = nil,
        idempotent: Bool,
        events: (@Sendable (TransferEvent) -> Void)? = nil
    ) async throws(AstriaError) -> Tune {
        let body = try request.body()
        let path = packID.map { "/p/\($0)/tunes" } ?? "/tunes"
        let response = try await send("POST", path, body: body, idempotent: idempotent, events: events)
        // The service answers one tune object; accept a one-element array too (its docs show one).
        if let tune = try? JSONDecoder().decode(Tune.self, from: response.body) { return tune }
        if let list = try? JSONDecoder().decode([Tune].self, from: response.body), let first = list.first { return first }
        throw decodingError("the created tune", response.body)
    }

    /// `GET /tunes`: one page, newest first. `limit` is at most 120 on the service.
    public func listTunes(limit: Int? = nil, beforeID: Int? = nil) async throws(AstriaError) -> [Tune] {
        var query: [String] = []
        if let limit { query.append("limit=\(limit)") }
        if let beforeID { query.append("before_id=\(beforeID)") }
        let path = "/tunes" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        let response = try await send("GET", path, idempotent: true)
        return try decodeList(Tune.self, response.body, what: "the tune list")
    }

    /// Every tune, following `before_id` pages until a short page.
    public func listAllTunes(pageSize: Int = 120) async throws(AstriaError) -> [Tune] {
        let pageSize = min(max(pageSize, 1), 120)
        var all: [Tune] = []
        var before: Int? = nil
        while true {
            let page = try await listTunes(limit: pageSize, beforeID: before)
            all.append(contentsOf: page)
            guard page.count >= pageSize, let last = page.last?.id else { break }
            // Stop if the server ignores before_id rather than loop forever.
            if let before, last >= before { break }
            before = last
        }
        return all
    }

    /// `GET /tunes/:id`.
    public func tune(id: Int) async throws(AstriaError) -> Tune {
        let response = try await send("GET", "/tunes/\(id)", idempotent: true)
        guard let tune = try? JSONDecoder().decode(Tune.self, from: response.body) else {
            throw decodingError("tune \(id)", response.body)
        }
        return tune
    }

    /// `DELETE /tunes/:id`: the tune and its images.
    public func deleteTune(id: Int) async throws(AstriaError) {
        _ = try await send("DELETE", "/tunes/\(id)", idempotent: true)
    }

    /// `GET /packs` (the caller's) or `GET /gallery/packs` (the public ones).
    public func packs(gallery: Bool = false) async throws(AstriaError) -> [Pack] {
        let response = try await send("GET", gallery ? "/gallery/packs" : "/packs", idempotent: true)
        return try decodeList(Pack.self, response.body, what: "the pack list")
    }

    // MARK: Sending, with the retry rules

    func send(
        _ method: String,
        _ path: String,
        body: RequestBody? = nil,
        idempotent: Bool,
        events: (@Sendable (TransferEvent) -> Void)? = nil
    ) async throws(AstriaError) -> HTTPResponse {
        let key = configuration.apiKey
        let request = HTTPRequest(
            method: method,
            url: base + path,
            headers: ["Authorization: Bearer \(key.secret)", "Accept: application/json"],
            body: body
        )
        let policy = configuration.retry
        let clock = ContinuousClock()
        let start = clock.now
        var onProgress: (@Sendable (UploadProgress) -> Void)? = nil
        if let events { onProgress = { progress in events(.progress(progress)) } }
        var attempt = 0
        while true {
            attempt += 1
            if Task.isCancelled { throw .cancelled(bodySent: false) }
            let outcome = await Transfer.perform(request, options: configuration.transfer, attempt: attempt, onProgress: onProgress)
            let error: AstriaError
            let failure: RetryPolicy.Failure
            switch outcome.result {
            case .success(let response) where (200..<300).contains(response.status):
                return response
            case .success(let response):
                let text = key.redact(String(decoding: response.body, as: UTF8.self))
                let message = key.redact(serviceMessage(from: response.body))
                let retryAfter = RetryPolicy.parseRetryAfter(response.headers["retry-after"])
                switch response.status {
                case 401: error = .unauthorized(message: message.isEmpty ? "no message" : message)
                case 422: error = .validation(message: message, body: text)
                case 429: error = .rateLimited(retryAfter: retryAfter)
                case 504: error = .gatewayTimeout(body: text)
                default: error = .http(status: response.status, message: message, body: text)
                }
                failure = .status(response.status, retryAfter: retryAfter)
            case .failure(.cancelled):
                throw .cancelled(bodySent: outcome.bodySent)
            case .failure(.file(let path, let reason)):
                throw .file(path: path, reason: reason)
            case .failure(.responseTooLarge(let limit)):
                throw .decoding(what: "\(method) \(path)", detail: "the answer is larger than \(limit) bytes", body: "")
            case .failure(.curl(let curl)):
                error = .transport(curl, bodySent: outcome.bodySent)
                failure = .connection(transient: Self.isTransient(curl.code), bodySent: outcome.bodySent)
            }

            guard case .retry(let wait, let reason) = policy.decide(failure, attempt: attempt, idempotent: idempotent) else {
                throw error
            }
            let elapsed = clock.now - start
            guard attempt < policy.maxAttempts, elapsed + wait <= policy.maxTotalTime else {
                throw .gaveUp(attempts: attempt, elapsed: elapsed, last: error)
            }
            events?(.retrying(RetryNotice(failedAttempt: attempt, maxAttempts: policy.maxAttempts, wait: wait, reason: reason)))
            do {
                try await policy.sleep(wait)
            } catch {
                throw .cancelled(bodySent: false)
            }
        }
    }

    /// libcurl failures worth another attempt: the network or the peer, not our own setup.
    static func isTransient(_ code: Int) -> Bool {
        let transient: [CURLcode] = [
            CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT,
            CURLE_WEIRD_SERVER_REPLY, CURLE_HTTP2, CURLE_PARTIAL_FILE, CURLE_OPERATION_TIMEDOUT,
            CURLE_SSL_CONNECT_ERROR, CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR,
            CURLE_HTTP2_STREAM, CURLE_HTTP3, CURLE_QUIC_CONNECT_ERROR, CURLE_SEND_FAIL_REWIND,
        ]
        return transient.contains { Int($0.rawValue) == code }
    }

    private func decodeList<T: Decodable>(_ type: T.Type, _ body: Data, what: String) throws(AstriaError) -> [T] {
        // Skip an element that cannot be read (no id) rather than lose the whole list.
        guard let list = try? JSONDecoder().decode([Lenient<T>].self, from: body) else {
            throw decodingError(what, body)
        }
        return list.compactMap(\.value)
    }

    private func decodingError(_ what: String, _ body: Data) -> AstriaError {
        let text = configuration.apiKey.redact(String(decoding: body.prefix(2000), as: UTF8.self))
        return .decoding(what: what, detail: "not the JSON expected", body: text)
    }
}

private struct Lenient<T: Decodable>: Decodable {
    let value: T?
    init(from decoder: any Decoder) throws { value = try? T(from: decoder) }
}
