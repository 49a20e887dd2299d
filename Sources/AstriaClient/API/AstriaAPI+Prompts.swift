import Foundation

/// What `POST /tunes/:id/prompts` takes: the same fields as a prompt given at tune creation.
public typealias PromptRequest = TuneRequest.Prompt

extension AstriaAPI {
    // MARK: Prompts

    /// `POST /tunes/:tuneID/prompts`: generates pictures from a tune (queued until it is trained).
    ///
    /// A prompt creation costs money and is not idempotent on the service, so a 504 or a
    /// connection lost after the whole request went is never simply resent: the call waits
    /// `retry.idempotentWait`, reads the tune's newest prompts, and returns a prompt created since
    /// the call began with the same text and picture count if there is one. Only when there is none
    /// does it send again. 429, 500-503 and failures before the body was complete are retried as
    /// for any request. Two callers creating the same text on the same tune at the same moment
    /// could each take the other's prompt for their own; give each request a distinct text (or
    /// callback) if that can happen.
    public func createPrompt(
        tuneID: Int,
        _ request: PromptRequest,
        events: (@Sendable (TransferEvent) -> Void)? = nil
    ) async throws(AstriaError) -> PromptCreation {
        guard !request.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw .invalidRequest("the prompt has no text")
        }
        if let count = request.numImages, !(1...8).contains(count) {
            throw .invalidRequest("a prompt makes 1 to 8 pictures, not \(count)")
        }
        let body: RequestBody
        do {
            body = RequestBody(contentType: "application/json", data: try JSONEncoder().encode(["prompt": request]))
        } catch {
            throw .invalidRequest("cannot encode the prompt: \(error)")
        }
        let path = "/tunes/\(tuneID)/prompts"
        let policy = configuration.retry
        // The newest prompt before this call: anything newer that matches was made by it.
        let newestBefore = try await promptListing(tuneID: tuneID, limit: 1).items.first?.id ?? 0
        var attempts = 0
        while true {
            do throws(AstriaError) {
                let sent = try await send("POST", path, body: body, idempotent: false, events: events)
                attempts += sent.attempts
                guard let prompt = try? JSONDecoder().decode(Prompt.self, from: sent.response.body) else {
                    throw decodingError("the created prompt", sent.response.body)
                }
                return PromptCreation(prompt: prompt, attempts: attempts, foundAfterUncertainAttempt: false)
            } catch {
                attempts += Self.attempts(in: error)
                guard Self.mayHaveBeenProcessed(error) else { throw error }
                guard attempts < policy.maxAttempts else { throw error }
                events?(.retrying(RetryNotice(
                    failedAttempt: attempts, maxAttempts: policy.maxAttempts, wait: policy.idempotentWait,
                    reason: "\(Self.shortReason(error)); the service may have created the prompt, so its list is checked before sending again"
                )))
                do { try await policy.sleep(policy.idempotentWait) } catch { throw .cancelled(bodySent: true) }
                if let found = try await promptCreated(tuneID: tuneID, after: newestBefore, matching: request) {
                    return PromptCreation(prompt: found, attempts: attempts, foundAfterUncertainAttempt: true)
                }
            }
        }
    }

    /// `GET /tunes/:tuneID/prompts`, one page, newest first: the readable prompts and the entries
    /// that could not be read.
    public func promptListing(tuneID: Int, limit: Int? = nil, beforeID: Int? = nil) async throws(AstriaError) -> Listing<Prompt> {
        var query: [String] = []
        if let limit { query.append("limit=\(limit)") }
        if let beforeID { query.append("before_id=\(beforeID)") }
        let path = "/tunes/\(tuneID)/prompts" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        let response = try await send("GET", path, idempotent: true).response
        return try decodeList(Prompt.self, response.body, what: "the prompt list of tune \(tuneID)")
    }

    /// One page of a tune's prompts, newest first; fails on an unreadable entry.
    public func listPrompts(tuneID: Int, limit: Int? = nil, beforeID: Int? = nil) async throws(AstriaError) -> [Prompt] {
        try await promptListing(tuneID: tuneID, limit: limit, beforeID: beforeID).strict(what: "the prompt list")
    }

    /// Every prompt of a tune, following `before_id` pages, and the entries that could not be read.
    public func allPromptsListing(tuneID: Int, pageSize: Int = 120) async throws(AstriaError) -> Listing<Prompt> {
        try await allPages(pageSize: pageSize, id: \.id) { limit, before throws(AstriaError) in
            try await promptListing(tuneID: tuneID, limit: limit, beforeID: before)
        }
    }

    /// Every prompt of a tune, newest first; fails on an unreadable entry.
    public func listAllPrompts(tuneID: Int, pageSize: Int = 120) async throws(AstriaError) -> [Prompt] {
        try await allPromptsListing(tuneID: tuneID, pageSize: pageSize).strict(what: "the prompt list")
    }

    /// `GET /tunes/:tuneID/prompts/:id`.
    public func prompt(tuneID: Int, id: Int) async throws(AstriaError) -> Prompt {
        let response = try await send("GET", "/tunes/\(tuneID)/prompts/\(id)", idempotent: true).response
        guard let prompt = try? JSONDecoder().decode(Prompt.self, from: response.body) else {
            throw decodingError("prompt \(id) of tune \(tuneID)", response.body)
        }
        return prompt
    }

    /// `DELETE /tunes/:tuneID/prompts/:id`.
    public func deletePrompt(tuneID: Int, id: Int) async throws(AstriaError) {
        _ = try await send("DELETE", "/tunes/\(tuneID)/prompts/\(id)", idempotent: true)
    }

    // MARK: The check before resending a creation

    /// The oldest prompt newer than `after` with the request's text and picture count, reading
    /// pages newest first until one reaches `after`.
    func promptCreated(tuneID: Int, after: Int, matching request: PromptRequest) async throws(AstriaError) -> Prompt? {
        var before: Int? = nil
        var candidates: [Prompt] = []
        pages: while true {
            let page = try await promptListing(tuneID: tuneID, limit: 20, beforeID: before).items
            for prompt in page {
                if prompt.id <= after { break pages }
                candidates.append(prompt)
            }
            guard page.count >= 20, let last = page.last?.id, before.map({ last < $0 }) ?? true else { break }
            before = last
        }
        let text = request.text.trimmingCharacters(in: .whitespacesAndNewlines)
        return candidates.reversed().first { prompt in
            prompt.text?.trimmingCharacters(in: .whitespacesAndNewlines) == text
                && (request.numImages == nil || prompt.numImages == nil || prompt.numImages == request.numImages)
        }
    }

    /// A failure after which the service may have acted on a POST: a 504, or the connection lost
    /// once the whole body had gone.
    static func mayHaveBeenProcessed(_ error: AstriaError) -> Bool {
        switch error.underlying {
        case .gatewayTimeout: return true
        case .transport(_, let bodySent): return bodySent
        default: return false
        }
    }

    static func attempts(in error: AstriaError) -> Int {
        if case .gaveUp(let attempts, _, _) = error { return attempts }
        return 1
    }

    static func shortReason(_ error: AstriaError) -> String {
        switch error.underlying {
        case .gatewayTimeout: return "gateway timeout (504)"
        case .transport(let failure, _): return "connection failed after the whole request was sent (\(failure.kind))"
        default: return error.description
        }
    }
}
