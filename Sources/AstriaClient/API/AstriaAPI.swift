import Foundation

/// The Astria fine-tuning API over libcurl. Every call retries as `configuration.retry` says and
/// throws only `AstriaError`. Values are immutable: share one across tasks freely.
public struct AstriaAPI: Sendable {
    /// The service, key and retry and transfer settings every call uses.
    public let configuration: AstriaConfiguration
    let base: String

    /// Throws `invalidRequest` unless the base URL is an http or https URL with a host.
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
    ///
    /// The result says whether the service created the tune or handed back one it already had
    /// (idempotency matches on the title alone). A tune handed back that disagrees with the request
    /// (title, class name, branch) is never returned as if it were the one asked for: the call
    /// throws ``AstriaError/unexpectedTune(_:mismatches:)``.
    public func createTune(
        _ request: TuneRequest,
        packID: Int? = nil,
        idempotent: Bool,
        events: (@Sendable (TransferEvent) -> Void)? = nil
    ) async throws(AstriaError) -> TuneCreation {
        let body = try request.body()
        let path = packID.map { "/p/\($0)/tunes" } ?? "/tunes"
        if let threshold = configuration.checkKeyAboveBytes, body.totalBytes > threshold {
            _ = try await send("GET", "/tunes?limit=1", idempotent: true)
        }
        let sent = try await send("POST", path, body: body, idempotent: idempotent, events: events)
        let response = sent.response
        // The service answers one tune object; accept a one-element array too (its docs show one).
        let tune: Tune
        if let one = try? JSONDecoder().decode(Tune.self, from: response.body) {
            tune = one
        } else if let list = try? JSONDecoder().decode([Tune].self, from: response.body), let first = list.first {
            tune = first
        } else {
            throw decodingError("the created tune", response.body)
        }
        let creation = TuneCreation(
            tune: tune,
            // Rails answers 201 Created for a new record; an idempotent hit renders the old one (200).
            outcome: response.status == 201 ? .created : .existing,
            status: response.status,
            attempts: sent.attempts,
            earlierAttemptMayHaveCreated: sent.earlierAttemptMayHaveBeenProcessed
        )
        let mismatches = TuneMismatch.between(request, tune)
        guard mismatches.isEmpty else { throw .unexpectedTune(creation, mismatches: mismatches) }
        return creation
    }

    /// `GET /tunes`: one page, newest first. `limit` is at most 120 on the service. An entry that
    /// cannot be read (not an object, no usable id) fails the call, naming it: see
    /// ``tuneListing(limit:beforeID:)`` to keep the readable ones.
    public func listTunes(limit: Int? = nil, beforeID: Int? = nil) async throws(AstriaError) -> [Tune] {
        try await tuneListing(limit: limit, beforeID: beforeID).strict(what: "the tune list")
    }

    /// `GET /tunes`, one page: the readable tunes and the entries that could not be read.
    public func tuneListing(limit: Int? = nil, beforeID: Int? = nil) async throws(AstriaError) -> Listing<Tune> {
        var query: [String] = []
        if let limit { query.append("limit=\(limit)") }
        if let beforeID { query.append("before_id=\(beforeID)") }
        let path = "/tunes" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        let response = try await send("GET", path, idempotent: true).response
        return try decodeList(Tune.self, response.body, what: "the tune list")
    }

    /// Every tune, following `before_id` pages until a short page; fails on an unreadable entry.
    public func listAllTunes(pageSize: Int = 120) async throws(AstriaError) -> [Tune] {
        try await allTunesListing(pageSize: pageSize).strict(what: "the tune list")
    }

    /// Every tune, following `before_id` pages until a short page, and the entries that could not be read.
    public func allTunesListing(pageSize: Int = 120) async throws(AstriaError) -> Listing<Tune> {
        try await allPages(pageSize: pageSize, id: \.id) { limit, before throws(AstriaError) in
            try await tuneListing(limit: limit, beforeID: before)
        }
    }

    /// Follows `before_id` pages, newest first, until a short page; unreadable entries keep their
    /// positions in the whole list.
    func allPages<Item: Sendable>(
        pageSize: Int,
        id: KeyPath<Item, Int>,
        page fetch: (Int, Int?) async throws(AstriaError) -> Listing<Item>
    ) async throws(AstriaError) -> Listing<Item> {
        let pageSize = min(max(pageSize, 1), 120)
        var all = Listing<Item>(items: [], unreadable: [])
        var before: Int? = nil
        while true {
            let page = try await fetch(pageSize, before)
            let offset = all.items.count + all.unreadable.count
            all.items.append(contentsOf: page.items)
            all.unreadable.append(contentsOf: page.unreadable.map { entry in
                var entry = entry
                entry.index += offset
                return entry
            })
            guard page.items.count + page.unreadable.count >= pageSize, let last = page.items.last?[keyPath: id] else { break }
            // Stop if the server ignores before_id rather than loop forever.
            if let before, last >= before { break }
            before = last
        }
        return all
    }

    /// `GET /tunes/:id`.
    public func tune(id: Int) async throws(AstriaError) -> Tune {
        let response = try await send("GET", "/tunes/\(id)", idempotent: true).response
        guard let tune = try? JSONDecoder().decode(Tune.self, from: response.body) else {
            throw decodingError("tune \(id)", response.body)
        }
        return tune
    }

    /// `DELETE /tunes/:id`: the tune and its images.
    public func deleteTune(id: Int) async throws(AstriaError) {
        _ = try await send("DELETE", "/tunes/\(id)", idempotent: true)
    }

    /// `GET /packs` (the caller's) or `GET /gallery/packs` (the public ones); fails on an unreadable entry.
    public func packs(gallery: Bool = false) async throws(AstriaError) -> [Pack] {
        try await packListing(gallery: gallery).strict(what: "the pack list")
    }

    /// `GET /packs` or `GET /gallery/packs`: the readable packs and the entries that could not be read.
    public func packListing(gallery: Bool = false) async throws(AstriaError) -> Listing<Pack> {
        let response = try await send("GET", gallery ? "/gallery/packs" : "/packs", idempotent: true).response
        return try decodeList(Pack.self, response.body, what: "the pack list")
    }

    // MARK: Sending, with the retry rules

    /// A successful answer and how it was reached.
    struct Sent {
        var response: HTTPResponse
        var attempts: Int
        /// An earlier attempt ended after its whole body had gone (504, or a failure once sent):
        /// the service may have acted on it, so an "existing" tune may be that attempt's.
        var earlierAttemptMayHaveBeenProcessed: Bool
    }

    func send(
        _ method: String,
        _ path: String,
        body: RequestBody? = nil,
        idempotent: Bool,
        retry: RetryPolicy? = nil,
        events: (@Sendable (TransferEvent) -> Void)? = nil
    ) async throws(AstriaError) -> Sent {
        let key = configuration.apiKey
        let request = HTTPRequest(
            method: method,
            url: base + path,
            headers: ["Authorization: Bearer \(key.secret)", "Accept: application/json"],
            body: body
        )
        let policy = retry ?? configuration.retry
        let clock = ContinuousClock()
        let start = clock.now
        var onProgress: (@Sendable (UploadProgress) -> Void)? = nil
        if let events { onProgress = { progress in events(.progress(progress)) } }
        var attempt = 0
        var processedEarlier = false
        while true {
            attempt += 1
            if Task.isCancelled { throw .cancelled(bodySent: false) }
            let outcome = await Transfer.perform(request, options: configuration.transfer, attempt: attempt, onProgress: onProgress)
            let error: AstriaError
            let failure: RetryPolicy.Failure
            switch outcome.result {
            case .success(let response) where (200..<300).contains(response.status):
                return Sent(response: response, attempts: attempt, earlierAttemptMayHaveBeenProcessed: processedEarlier)
            case .success(let response):
                let text = key.redact(String(decoding: response.body, as: UTF8.self))
                let message = key.redact(serviceMessage(from: response.body))
                let retryAfter = RetryPolicy.parseRetryAfter(response.headers["retry-after"])
                switch response.status {
                case 401: error = .unauthorized(message: message.isEmpty ? "no message" : message)
                case 422: error = .validation(message: message, body: text)
                case 429: error = .rateLimited(retryAfter: retryAfter)
                case 504: error = .gatewayTimeout(request: "\(method) \(path)", idempotent: idempotent, body: text)
                default: error = .http(status: response.status, message: message, body: text)
                }
                failure = .status(response.status, retryAfter: retryAfter)
            case .failure(.cancelled):
                throw .cancelled(bodySent: outcome.bodySent)
            case .failure(.file(let path, let reason)):
                throw .file(path: path, reason: reason)
            case .failure(.refused(let reason)):  // only downloads judge headers; kept for completeness
                throw .decoding(what: "\(method) \(path)", detail: reason, body: "")
            case .failure(.responseTooLarge(let limit)):
                throw .decoding(what: "\(method) \(path)", detail: "the answer is larger than \(limit) bytes", body: "")
            case .failure(.curl(let curl)):
                error = .transport(curl, bodySent: outcome.bodySent)
                failure = .connection(transient: curl.kind.isTransient, bodySent: outcome.bodySent)
            }

            guard case .retry(let wait, let reason) = policy.decide(failure, attempt: attempt, idempotent: idempotent) else {
                throw error
            }
            switch failure {
            case .status(504, _), .connection(_, bodySent: true): processedEarlier = true
            default: break
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

    func decodeList<T: Decodable>(_ type: T.Type, _ body: Data, what: String) throws(AstriaError) -> Listing<T> {
        // Keep the readable entries and say exactly which others could not be read and why.
        guard let list = try? JSONDecoder().decode([Lenient<T>].self, from: body),
              let raw = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) as? [Any] else {
            throw decodingError(what, body)
        }
        var listing = Listing<T>(items: [], unreadable: [])
        for (index, entry) in list.enumerated() {
            if let value = entry.value {
                listing.items.append(value)
            } else {
                let reason = index < raw.count ? UnreadableEntry.reason(raw[index]) : "unreadable"
                listing.unreadable.append(UnreadableEntry(index: index + 1, reason: configuration.apiKey.redact(reason)))
            }
        }
        return listing
    }

    func decodingError(_ what: String, _ body: Data) -> AstriaError {
        let text = configuration.apiKey.redact(String(decoding: body.prefix(2000), as: UTF8.self))
        return .decoding(what: what, detail: "not the JSON expected", body: text)
    }
}

/// A list the service answered: the entries that could be read, and those that could not.
public struct Listing<Item: Sendable>: Sendable {
    /// The entries that decoded, in the service's order.
    public var items: [Item]
    /// The entries that did not decode, with their 1-based positions and why.
    public var unreadable: [UnreadableEntry]

    /// The items, or a decoding error naming every unreadable entry.
    func strict(what: String) throws(AstriaError) -> [Item] {
        guard unreadable.isEmpty else {
            throw .decoding(what: what, detail: unreadable.map(\.description).joined(separator: "; "), body: "")
        }
        return items
    }
}

/// An entry of a list answer that is not a readable tune or pack (wrong type, no usable id).
public struct UnreadableEntry: Sendable, Equatable, CustomStringConvertible {
    /// 1-based position in the answer.
    public var index: Int
    /// Why, in plain words (server text escaped for a terminal).
    public var reason: String

    public var description: String { "entry \(index): \(reason)" }

    static func reason(_ value: Any) -> String {
        guard let object = value as? [String: Any] else {
            return "not an object (\(excerpt(value)))"
        }
        guard let id = object["id"], !(id is NSNull) else { return "no id" }
        if let number = id as? NSNumber {
            let text = number.stringValue
            if text.allSatisfy(\.isNumber) { return "id \(text) is above the largest id this client reads (\(Int64.max))" }
            if text.hasPrefix("-"), text.dropFirst().allSatisfy(\.isNumber) { return "id \(text) is below the smallest id this client reads" }
            return "id \(text) is not a whole number"
        }
        if let text = id as? String {
            if text.allSatisfy(\.isNumber), !text.isEmpty { return "id \(excerpt(text)) is above the largest id this client reads (\(Int64.max))" }
            return "id \(excerpt(text)) is not a number"
        }
        return "id is \(excerpt(id)), not a number"
    }

    private static func excerpt(_ value: Any) -> String {
        let text: String
        if let string = value as? String { text = "\"\(string)\"" } else { text = "\(value)" }
        let short = text.count > 60 ? String(text.prefix(60)) + "…" : text
        return sanitizedForTerminal(short)
    }
}

private struct Lenient<T: Decodable>: Decodable {
    let value: T?
    init(from decoder: any Decoder) throws { value = try? T(from: decoder) }
}
