@testable import AstriaClient
import Foundation
import Synchronization
import Testing
import TunePrepTestSupport

/// The waits, on a fake clock against a scripted service: when requests go, how 429s and failures
/// slow them, and how a wait ends (trained, overdue, deleted, timed out, failed, cancelled).
@Suite struct WaitTests {
    func client(_ server: ScriptedServer, waits: WaitRecorder? = nil) throws -> AstriaAPI {
        var policy = RetryPolicy()
        policy.firstWait = .seconds(30)
        policy.jitter = 0
        if let waits { policy.sleep = { waits.record($0) } }
        return try AstriaAPI(configuration: AstriaConfiguration(baseURL: server.baseURL, apiKey: APIKey(fakeKey)!, retry: policy))
    }

    func policy(_ clock: FakeClock) -> WaitPolicy {
        var policy = WaitPolicy()
        policy.now = { clock.now }
        policy.sleep = { clock.sleep($0) }
        return policy
    }

    /// A tune whose `eta` is `etaIn` seconds after `start`, trained `lateBy` seconds after it.
    func tuneAnswer(_ clock: FakeClock, start: Date, etaIn: Double, lateBy: Double = 0) -> ScriptedServer.Answer {
        let eta = start.addingTimeInterval(etaIn)
        let trained = clock.now >= eta.addingTimeInterval(lateBy)
        return .json([
            "id": 7, "title": "tp-wait", "name": "man", "eta": AstriaDate.format(eta),
            "started_training_at": AstriaDate.format(start),
            "trained_at": trained ? AstriaDate.format(eta.addingTimeInterval(lateBy)) as Any : NSNull(),
        ])
    }

    @Test func noRequestBeforeTheEtaAndAHandfulAfter() async throws {
        for lateBy in [0.0, 30, 120] {
            let clock = FakeClock()
            let start = clock.now
            let seen = Mutex<[Date]>([])
            let server = try await ScriptedServer.start { _ in
                seen.withLock { $0.append(clock.now) }
                return tuneAnswer(clock, start: start, etaIn: 600, lateBy: lateBy)
            }
            let tune = try await client(server).waitUntilTrained(id: 7, policy: policy(clock))
            await server.stop()
            #expect(tune.trainedAt != nil)
            let times = seen.withLock { $0 }
            let eta = start.addingTimeInterval(600)
            // One request learns the eta; every other one comes after it.
            #expect(times.first == start)
            #expect(times.dropFirst().allSatisfy { $0 >= eta }, "a poll before the eta (late by \(lateBy) s): \(times)")
            let after = times.count - 1
            #expect(after >= 1)
            // A handful: 1 when trained on time; late by 30 s, 5 s growing by 1.5; late by 2 min, 60 s at most.
            #expect(after <= (lateBy == 0 ? 1 : lateBy <= 30 ? 5 : 8), "late by \(lateBy) s: \(after) polls after the eta")
        }
    }

    @Test func aKnownTuneIsNotFetchedBeforeItsEta() async throws {
        let clock = FakeClock()
        let start = clock.now
        let seen = Mutex<[Date]>([])
        let server = try await ScriptedServer.start { _ in
            seen.withLock { $0.append(clock.now) }
            return tuneAnswer(clock, start: start, etaIn: 600)
        }
        var known = Tune(id: 7, title: "tp-wait")
        known.eta = start.addingTimeInterval(600)
        _ = try await client(server).waitUntilTrained(known, policy: policy(clock))
        await server.stop()
        let times = seen.withLock { $0 }
        #expect(times.count == 1)
        #expect(times.allSatisfy { $0 >= start.addingTimeInterval(600) })
    }

    @Test func rateLimitedPollsSlowDownAndHonourRetryAfter() async throws {
        for retryAfter in [nil, "90"] as [String?] {
            let clock = FakeClock()
            let seen = Mutex<[Date]>([])
            let server = try await ScriptedServer.start { _ in
                seen.withLock { $0.append(clock.now) }
                var answer = ScriptedServer.Answer.json(["error": "Too many requests"], status: 429)
                if let retryAfter { answer.headers["Retry-After"] = retryAfter }
                return answer
            }
            var waitPolicy = policy(clock)
            waitPolicy.timeout = .seconds(1800)
            await #expect {
                _ = try await client(server).waitUntilTrained(id: 7, policy: waitPolicy)
            } throws: { error in
                guard case .waitTimedOut = error as? AstriaError else { return false }
                return true
            }
            await server.stop()
            let times = seen.withLock { $0 }
            let gaps = zip(times.dropFirst(), times).map { $0.timeIntervalSince($1) }
            // Never spinning: each gap is at least 10 s (the first 429 doubles the 5 s interval),
            // gaps never shrink, and Retry-After is a floor.
            #expect(gaps.allSatisfy { $0 >= (retryAfter == nil ? 10 : 90) }, "gaps \(gaps)")
            // (The last gap may be cut short by the time limit.)
            let steady = Array(gaps.dropLast())
            #expect(zip(steady.dropFirst(), steady).allSatisfy { $0 >= $1 - 0.001 }, "gaps \(gaps)")
            // 30 minutes of 429s: at most one poll a minute once slowed down.
            #expect(times.count <= (retryAfter == nil ? 35 : 21), "\(times.count) polls in 30 min")
        }
    }

    @Test func overdueDeletedAndFailures() async throws {
        // Two hours past the eta, untrained: overdue at the first answer, not waited on.
        let clock = FakeClock()
        let start = clock.now
        let late = try await ScriptedServer.start { _ in
            tuneAnswer(clock, start: start.addingTimeInterval(-3 * 3600), etaIn: 3600, lateBy: 100_000)
        }
        await #expect {
            _ = try await client(late).waitUntilTrained(id: 7, policy: policy(clock))
        } throws: { error in
            guard case .overdue(let tune, let by) = error as? AstriaError else { return false }
            return tune.id == 7 && by >= .seconds(7199) && "\(error)".contains("not trained 2 h 0 min after its eta")
        }
        #expect(late.hits.count == 1)
        await late.stop()

        let gone = try await ScriptedServer.start { _ in .json(["error": "Not found"], status: 404) }
        await #expect {
            _ = try await client(gone).waitUntilTrained(id: 7, policy: policy(clock))
        } throws: { error in
            guard case .deleted(let what) = error as? AstriaError else { return false }
            return what == "tune 7"
        }
        await gone.stop()

        // 500, then a dropped answer shape, then trained: the wait goes on after the service's backoff.
        let count = Mutex(0)
        let flaky = try await ScriptedServer.start { _ in
            let n = count.withLock { $0 += 1; return $0 }
            if n <= 2 { return .json(["error": "boom"], status: 500) }
            return .json(["id": 7, "trained_at": "2026-01-01T00:00:00.000Z"])
        }
        let flakyClock = FakeClock()
        let tune = try await client(flaky).waitUntilTrained(id: 7, policy: policy(flakyClock))
        #expect(tune.trainedAt != nil)
        #expect(flaky.hits.count == 3)
        // The retry rules' first wait (30 s) then its double, not the 5 s poll interval.
        #expect(flakyClock.sleeps.map { $0.components.seconds } == [30, 60])
        await flaky.stop()
    }

    @Test func aCancelledWaitEndsCleanly() async throws {
        let server = try await ScriptedServer.start { _ in .json(["id": 7, "eta": AstriaDate.format(Date().addingTimeInterval(3600))]) }
        let api = try client(server)
        let task = Task { try await api.waitUntilTrained(id: 7) }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        let result = await task.result
        guard case .failure(let error) = result, case .cancelled(bodySent: false) = error as? AstriaError else {
            Issue.record("expected cancelled, got \(result)")
            return
        }
        #expect(server.hits.count == 1)
        await server.stop()
    }

    @Test func promptWaitsEndDoneOrFailed() async throws {
        let count = Mutex(0)
        let server = try await ScriptedServer.start { hit in
            let n = count.withLock { $0 += 1; return $0 }
            if hit.target.hasSuffix("/prompts/9") {
                return .json(["id": 9, "tune_id": 7, "images": [], "user_error": "NSFW content detected"])
            }
            return .json(["id": 8, "tune_id": 7, "text": "ohwx man", "images": n >= 3 ? ["https://storage.example/a.jpg"] : []])
        }
        let clock = FakeClock()
        var waitPolicy = WaitPolicy.prompts
        waitPolicy.now = { clock.now }
        waitPolicy.sleep = { clock.sleep($0) }
        let done = try await client(server).waitForPrompt(tuneID: 7, id: 8, policy: waitPolicy)
        #expect(done.state == .done && done.images.count == 1)
        #expect(clock.sleeps.map { $0.components.seconds } == [5, 7])
        await #expect {
            _ = try await client(server).waitForPrompt(tuneID: 7, id: 9, policy: waitPolicy)
        } throws: { error in
            guard case .promptFailed(let prompt, let reason) = error as? AstriaError else { return false }
            return prompt.id == 9 && reason == "NSFW content detected"
        }
        await server.stop()
    }
}
