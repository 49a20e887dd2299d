import Foundation

extension AstriaAPI {
    /// Polls `GET /tunes/:id` until the tune is trained and returns it. The first request learns
    /// the `eta`; none follows before it. Throws ``AstriaError/overdue(_:by:)`` once the tune is
    /// `policy.overdueAfter` past its `eta`, ``AstriaError/deleted(what:)`` on a 404,
    /// ``AstriaError/waitTimedOut(what:after:)`` at `policy.timeout`, and
    /// ``AstriaError/cancelled(bodySent:)`` when the task is cancelled (nothing is lost: wait again).
    public func waitUntilTrained(
        id: Int,
        policy: WaitPolicy = WaitPolicy(),
        events: (@Sendable (WaitEvent<Tune>) -> Void)? = nil
    ) async throws(AstriaError) -> Tune {
        try await waitUntilTrained(nil, id: id, policy: policy, events: events)
    }

    /// As ``waitUntilTrained(id:policy:events:)``, from a tune already in hand (the one
    /// `createTune` returned): the first request waits for its `eta`.
    public func waitUntilTrained(
        _ tune: Tune,
        policy: WaitPolicy = WaitPolicy(),
        events: (@Sendable (WaitEvent<Tune>) -> Void)? = nil
    ) async throws(AstriaError) -> Tune {
        try await waitUntilTrained(tune, id: tune.id, policy: policy, events: events)
    }

    private func waitUntilTrained(
        _ known: Tune?, id: Int, policy: WaitPolicy, events: (@Sendable (WaitEvent<Tune>) -> Void)?
    ) async throws(AstriaError) -> Tune {
        try await poll(what: "tune \(id)", known: known, policy: policy, events: events) { () throws(AstriaError) in
            try await getOnce(Tune.self, "/tunes/\(id)", what: "tune \(id)")
        } judge: { tune, now throws(AstriaError) in
            if tune.trainedAt != nil { return .done }
            guard let eta = tune.eta else { return .interval }
            let late = now.timeIntervalSince(eta)
            if late > seconds(policy.overdueAfter) { throw .overdue(tune, by: .milliseconds(Int64(late * 1000))) }
            let firstPoll = eta.addingTimeInterval(seconds(policy.etaSlack))
            return firstPoll > now ? .at(firstPoll, reason: "until the eta") : .interval
        }
    }

    /// Polls `GET /tunes/:tuneID/prompts/:id` until the prompt has its pictures and returns it.
    /// Throws ``AstriaError/promptFailed(_:reason:)`` when the service says it failed
    /// (`user_error`), ``AstriaError/deleted(what:)`` on a 404 and
    /// ``AstriaError/waitTimedOut(what:after:)`` at `policy.timeout`.
    public func waitForPrompt(
        tuneID: Int,
        id: Int,
        policy: WaitPolicy = .prompts,
        events: (@Sendable (WaitEvent<Prompt>) -> Void)? = nil
    ) async throws(AstriaError) -> Prompt {
        try await poll(what: "prompt \(id) of tune \(tuneID)", known: nil, policy: policy, events: events) { () throws(AstriaError) in
            try await getOnce(Prompt.self, "/tunes/\(tuneID)/prompts/\(id)", what: "prompt \(id) of tune \(tuneID)")
        } judge: { prompt, _ throws(AstriaError) in
            switch prompt.state {
            case .done: return .done
            case .failed: throw .promptFailed(prompt, reason: prompt.userError ?? "")
            case .pending: return .interval
            }
        }
    }

    /// One GET, no retry (the wait decides the pauses), decoded.
    private func getOnce<T: Decodable>(_ type: T.Type, _ path: String, what: String) async throws(AstriaError) -> T {
        let response = try await send("GET", path, idempotent: true, retry: .single).response
        guard let value = try? JSONDecoder().decode(T.self, from: response.body) else { throw decodingError(what, response.body) }
        return value
    }

    /// What one poll's answer means.
    enum PollStep {
        case done
        /// Not before this time (the eta).
        case at(Date, reason: String)
        /// After the current interval, which then grows.
        case interval
    }

    /// The loop shared by every wait: judge, pause, poll; pauses grow, 429s and failures slow it.
    func poll<Subject: Sendable>(
        what: String,
        known: Subject?,
        policy: WaitPolicy,
        events: (@Sendable (WaitEvent<Subject>) -> Void)?,
        fetch: () async throws(AstriaError) -> Subject,
        judge: (Subject, Date) throws(AstriaError) -> PollStep
    ) async throws(AstriaError) -> Subject {
        let start = policy.now()
        let deadline = policy.timeout.map { start.addingTimeInterval(seconds($0)) }
        var interval = seconds(policy.minInterval)
        let longest = max(seconds(policy.maxInterval), interval)
        var failures = 0

        func pause(until wake: Date, _ reason: String) async throws(AstriaError) {
            let now = policy.now()
            var wake = wake
            if let deadline, wake > deadline {
                if now >= deadline { throw .waitTimedOut(what: what, after: policy.timeout ?? .zero) }
                wake = deadline
            }
            events?(.sleeping(until: wake, reason: reason))
            let gap = max(0, wake.timeIntervalSince(now))
            do { try await policy.sleep(.milliseconds(Int64(gap * 1000))) } catch { throw .cancelled(bodySent: false) }
            if Task.isCancelled { throw .cancelled(bodySent: false) }
        }

        /// One answer, pausing and polling again through 429s and transient failures.
        func answer() async throws(AstriaError) -> Subject {
            while true {
                do {
                    let subject = try await fetch()
                    failures = 0
                    events?(.polled(subject))
                    return subject
                } catch {
                    let now = policy.now()
                    switch error.underlying {
                    case .rateLimited(let retryAfter):
                        // Never spin on 429s: the interval at least doubles and Retry-After is honoured.
                        interval = min(interval * 2, longest)
                        let wait = max(interval, retryAfter.map(seconds) ?? 0)
                        try await pause(until: now.addingTimeInterval(wait), "rate limited (429)")
                    case .http(404, _, _):
                        throw .deleted(what: what)
                    case let failure where Self.isTransientFailure(failure):
                        failures += 1
                        guard failures <= policy.maxFailures else {
                            throw .gaveUp(attempts: failures, elapsed: .milliseconds(Int64(now.timeIntervalSince(start) * 1000)), last: error.underlying)
                        }
                        let wait = max(interval, seconds(configuration.retry.backoff(retry: failures)))
                        try await pause(until: now.addingTimeInterval(wait), "\(failure), polling again")
                    default:
                        throw error
                    }
                }
            }
        }

        var current: Subject
        if let known { current = known } else { current = try await answer() }
        while true {
            let now = policy.now()
            switch try judge(current, now) {
            case .done:
                events?(.finished(current))
                return current
            case .at(let time, let reason):
                try await pause(until: time, reason)
            case .interval:
                try await pause(until: now.addingTimeInterval(interval), "polling every \(Int(interval.rounded())) s")
                interval = min(interval * policy.growth, longest)
            }
            current = try await answer()
        }
    }

    /// Failures a poll survives: the service or the network, not the request.
    static func isTransientFailure(_ error: AstriaError) -> Bool {
        switch error {
        case .http(let status, _, _): return status >= 500
        case .gatewayTimeout: return true
        case .transport(let failure, _): return failure.kind.isTransient
        default: return false
        }
    }
}

extension RetryPolicy {
    /// One attempt, no retry: for loops that decide their own pauses (the waits). (`.none` would
    /// read as a nil `RetryPolicy?` where an optional policy is taken.)
    static var single: RetryPolicy {
        var policy = RetryPolicy()
        policy.maxAttempts = 1
        return policy
    }
}
