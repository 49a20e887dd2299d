@testable import AstriaClient
import AstriaMockServer
import Foundation
import Synchronization
import Testing
import TunePrepTestSupport

/// The service's retry rules, against injected faults, with waits recorded instead of slept.
@Suite struct RetryTests {
    func request(_ title: String, size: Int = 3000, count: Int = 4) throws -> TuneRequest {
        let dir = try temporaryFolder()
        var request = TuneRequest(title: title, name: "man")
        request.images = try writeImages((1...count).map { "\($0).jpg" }, in: dir, size: size)
            .map { url throws(AstriaError) in try TuneRequest.Image(path: url.path) }
        return request
    }

    @Test func serverErrorThenSuccessGivesOneTune() async throws {
        try await withServer(serverOptions(faults: FaultPlan(script: [.status(500)]))) { server in
            let waits = WaitRecorder()
            let events = EventRecorder()
            let tune = try await makeClient(server, waits: waits).createTune(try request("five hundred"), idempotent: true) { events.record($0) }
            #expect(await server.tunes().map(\.id) == [tune.id])
            #expect(await server.requests().map(\.status) == [500, 201])
            #expect(waits.all.count == 1)
            #expect(waits.all[0] >= .milliseconds(10) && waits.all[0] <= .milliseconds(13))
            #expect(events.retries.map(\.failedAttempt) == [1])
            #expect(events.progress.last?.attempt == 2 && events.progress.last?.isComplete == true)
        }
    }

    @Test func validationErrorIsNeverRetried() async throws {
        try await withServer { server in
            var bad = try request("bad branch")
            bad.branch = "warp-drive"
            let waits = WaitRecorder()
            let error = await #expect(throws: AstriaError.self) {
                try await makeClient(server, waits: waits).createTune(bad, idempotent: true)
            }
            guard case .validation(let message, let body)? = error else { Issue.record("expected 422, got \(String(describing: error))"); return }
            #expect(message.contains("branch"))
            #expect(body.contains("branch"))
            #expect(await server.requests().count == 1)
            #expect(waits.all.isEmpty)
            #expect(!"\(error!)".contains(fakeKey))
        }
    }

    @Test func wrongKeyIsNeverRetried() async throws {
        try await withServer { server in
            let error = await #expect(throws: AstriaError.self) {
                try await makeClient(server, key: "sd_FAKE_wrong_key").createTune(try request("unauthorized"), idempotent: true)
            }
            guard case .unauthorized? = error else { Issue.record("expected 401, got \(String(describing: error))"); return }
            #expect(await server.requests().count == 1)
            #expect(!"\(error!)".contains("sd_FAKE_wrong_key"))
        }
    }

    @Test func rateLimitHonoursRetryAfter() async throws {
        var plan = FaultPlan(script: [.status(429), .status(429)])
        plan.retryAfterSeconds = 7
        try await withServer(serverOptions(faults: plan)) { server in
            let waits = WaitRecorder()
            _ = try await makeClient(server, waits: waits).createTune(try request("rate limited"), idempotent: true)
            #expect(waits.all == [.seconds(7), .seconds(7)])
            #expect(await server.requests().map(\.status) == [429, 429, 201])
            #expect(await server.tunes().count == 1)
        }
    }

    @Test func droppedConnectionMidBodyIsRetried() async throws {
        try await withServer(serverOptions(faults: FaultPlan(script: [.drop]))) { server in
            let waits = WaitRecorder()
            let events = EventRecorder()
            // 4 x 5 MB: well more than a server that has stopped reading lets in. The kernel holds
            // the send buffer (up to net.ipv4.tcp_wmem's 4 MB) and a receive buffer that grows only
            // while the server reads, which it stops doing at its backpressure watermark. With
            // 4 x 2 MB the whole body sometimes fit on a busy machine, and the client then rightly
            // refused to resend a request the server might have received.
            let tune = try await makeClient(server, waits: waits)
                .createTune(try request("dropped", size: 5_000_000), idempotent: false) { events.record($0) }
            #expect(await server.tunes().map(\.id) == [tune.id])
            // The GET before it is the key check a large body gets first.
            let statuses = await server.requests().filter { $0.method == "POST" }.map(\.status)
            #expect(statuses == [nil, 201])
            // Retried although not idempotent: the body was not complete, so nothing was processed.
            #expect(events.retries.first?.reason.contains("before the request was complete") == true)
            let stored = try #require(await server.tunes().first)
            #expect(stored.images.count == 4)
        }
    }

    @Test func gatewayTimeoutWithIdempotencyReturnsTheExistingTune() async throws {
        try await withServer(serverOptions(faults: FaultPlan(script: [.timeoutAfterProcessing]))) { server in
            let waits = WaitRecorder()
            let tune = try await makeClient(server, waits: waits).createTune(try request("stable-set-id"), idempotent: true)
            let stored = await server.tunes()
            #expect(stored.map(\.id) == [tune.id])
            #expect(await server.requests().map(\.status) == [504, 200])
            #expect(waits.all == [.milliseconds(20)])  // the idempotent wait, not the backoff
        }
    }

    @Test func gatewayTimeoutWithoutIdempotencyIsNotResent() async throws {
        try await withServer(serverOptions(faults: FaultPlan(script: [.timeoutAfterProcessing]))) { server in
            let error = await #expect(throws: AstriaError.self) {
                try await makeClient(server).createTune(try request("one-off"), idempotent: false)
            }
            guard case .gatewayTimeout? = error else { Issue.record("expected 504, got \(String(describing: error))"); return }
            #expect(await server.requests().count == 1)
        }
    }

    @Test func attemptCapStopsAndSaysWhy() async throws {
        try await withServer(serverOptions(faults: FaultPlan(script: [.status(500), .status(500), .status(500)]))) { server in
            let error = await #expect(throws: AstriaError.self) {
                try await makeClient(server, maxAttempts: 3).createTune(try request("capped"), idempotent: true)
            }
            guard case .gaveUp(let attempts, _, let last)? = error, case .http(500, _, _) = last else {
                Issue.record("expected gaveUp after 500s, got \(String(describing: error))"); return
            }
            #expect(attempts == 3)
            #expect(await server.requests().count == 3)
            #expect(await server.tunes().isEmpty)
        }
    }

    @Test func connectionRefusedIsRetriedWithBackoffThenGivesUp() async throws {
        // A port nothing listens on: bind one, note it, close it.
        let server = try await MockAstriaServer.start(serverOptions())
        let client = try makeClient(server, maxAttempts: 3)
        await server.stop()
        let waits = WaitRecorder()
        var policy = client.configuration.retry
        policy.sleep = { waits.record($0) }
        let refused = try AstriaAPI(configuration: AstriaConfiguration(baseURL: client.configuration.baseURL, apiKey: APIKey(fakeKey)!, retry: policy))
        let error = await #expect(throws: AstriaError.self) { try await refused.listTunes() }
        guard case .gaveUp(3, _, .transport(let failure, false))? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(failure.code == 7)  // CURLE_COULDNT_CONNECT
        // 10 ms then 20 ms, each stretched by at most 25 % of jitter.
        #expect(waits.all.count == 2)
        #expect(waits.all.first.map { $0 >= .milliseconds(10) && $0 <= .milliseconds(12.5) } == true)
        #expect(waits.all.last.map { $0 >= .milliseconds(20) && $0 <= .milliseconds(25) } == true)
    }

    @Test func stalledTransferIsCaughtByTheLowSpeedLimit() async throws {
        // The server would answer only after a minute (that bounds a hang); the answer never comes
        // because the low-speed limit (1 s) gives up first: a timeout, not a list.
        try await withServer(serverOptions(faults: FaultPlan(latency: .seconds(60), scope: .allRequests))) { server in
            let client = try makeClient(server, maxAttempts: 1) { $0.transfer.lowSpeedTime = .seconds(1) }
            let error = await #expect(throws: AstriaError.self) { try await client.listTunes() }
            guard case .transport(let failure, _)? = error?.underlying else { Issue.record("got \(String(describing: error))"); return }
            #expect(failure.code == 28)  // CURLE_OPERATION_TIMEDOUT
        }
    }

    /// Cancelled while waiting for the answer, once the whole body is out: the server would answer
    /// only after a minute (that bounds a hang), so `.cancelled` means the transfer was stopped, not
    /// waited out. The cancel comes from the progress event itself (on libcurl's thread), so when
    /// it lands depends on events, not on how busy the machine or the task pool is.
    @Test func cancellationStopsATransferWaitingForTheAnswer() async throws {
        try await withServer(serverOptions(faults: FaultPlan(latency: .seconds(60), scope: .allRequests))) { server in
            let client = try makeClient(server)
            let tuneRequest = try self.request("cancel me")
            let events = EventRecorder()
            let cancelWhenSent = CancelOnEvent()
            let (attached, attach) = AsyncStream<Void>.makeStream()
            let task = Task {
                for await _ in attached {}  // until the handle is in place, so no event is missed
                return try await client.createTune(tuneRequest, idempotent: true) { event in
                    events.record(event)
                    if case .progress(let p) = event, p.isComplete { cancelWhenSent.fire() }
                }.tune
            }
            cancelWhenSent.attach(task)
            attach.finish()
            let result = await task.result
            guard case .failure(let error as AstriaError) = result, case .cancelled(bodySent: true) = error else {
                Issue.record("expected cancelled after the body was sent, got \(result)"); return
            }
            #expect("\(error)".contains("cancelled after the whole request was sent"))
            #expect(events.progress.filter(\.isComplete).count == 1)
            #expect(events.retries.isEmpty)
            #expect(await server.tunes().isEmpty)
        }
    }

    /// Cancelled as the upload starts: the transfer stops before the body is complete, says so, and
    /// is not retried.
    @Test func cancellationStopsATransferMidBody() async throws {
        try await withServer(serverOptions(faults: FaultPlan(latency: .seconds(60), scope: .allRequests))) { server in
            let client = try makeClient(server)
            let tuneRequest = try self.request("cancel me early", size: 100_000)
            let total = try tuneRequest.body().totalBytes
            let events = EventRecorder()
            let cancelOnFirstEvent = CancelOnEvent()
            // Cancelled from inside the first progress event (on libcurl's thread), so the cancel
            // lands before the body is out whatever the machine's speed.
            let (attached, attach) = AsyncStream<Void>.makeStream()
            let task = Task {
                for await _ in attached {}  // until the handle is in place, so no event is missed
                return try await client.createTune(tuneRequest, idempotent: true) { event in
                    events.record(event)
                    if case .progress = event { cancelOnFirstEvent.fire() }
                }.tune
            }
            cancelOnFirstEvent.attach(task)
            attach.finish()
            let result = await task.result
            guard case .failure(let error as AstriaError) = result, case .cancelled(bodySent: false) = error else {
                Issue.record("expected cancelled before the body was sent, got \(result)"); return
            }
            #expect("\(error)".contains("the request was not completed"))
            #expect(!events.progress.isEmpty)
            #expect(events.progress.allSatisfy { $0.bytesSent < total })
            #expect(events.retries.isEmpty)
            #expect(await server.tunes().isEmpty)
        }
    }
}

/// Cancels a task from the first event that fires (any thread), once the task is attached.
final class CancelOnEvent: Sendable {
    private let task = Mutex<Task<Tune, any Error>?>(nil)
    func attach(_ task: Task<Tune, any Error>) { self.task.withLock { $0 = task } }
    func fire() { task.withLock { $0 }?.cancel() }
}

/// The policy alone.
@Suite struct RetryPolicyTests {
    @Test func backoffDoublesWithUpwardJitterAndACap() {
        var policy = RetryPolicy()
        policy.random = { 0 }
        #expect(policy.backoff(retry: 1) == .seconds(30))
        #expect(policy.backoff(retry: 2) == .seconds(60))
        #expect(policy.backoff(retry: 3) == .seconds(120))
        #expect(policy.backoff(retry: 30) == .seconds(600))
        policy.random = { 0.999 }
        #expect(policy.backoff(retry: 1) > .seconds(37) && policy.backoff(retry: 1) <= .seconds(37.5))
    }

    @Test func decisions() {
        let policy = RetryPolicy()
        #expect(policy.decide(.status(401, retryAfter: nil), attempt: 1, idempotent: true) == .stop)
        #expect(policy.decide(.status(422, retryAfter: nil), attempt: 1, idempotent: true) == .stop)
        #expect(policy.decide(.status(504, retryAfter: nil), attempt: 1, idempotent: false) == .stop)
        guard case .retry(let wait, _) = policy.decide(.status(504, retryAfter: nil), attempt: 1, idempotent: true) else { Issue.record("504"); return }
        #expect(wait == .seconds(60))
        guard case .retry(let after, _) = policy.decide(.status(429, retryAfter: .seconds(12)), attempt: 3, idempotent: false) else { Issue.record("429"); return }
        #expect(after == .seconds(12))
        #expect(policy.decide(.connection(transient: true, bodySent: true), attempt: 1, idempotent: false) == .stop)
        #expect(policy.decide(.connection(transient: false, bodySent: false), attempt: 1, idempotent: true) == .stop)
        guard case .retry = policy.decide(.connection(transient: true, bodySent: false), attempt: 1, idempotent: false) else { Issue.record("conn"); return }
    }

    @Test func retryAfterParsing() {
        #expect(RetryPolicy.parseRetryAfter("5") == .seconds(5))
        #expect(RetryPolicy.parseRetryAfter(nil) == nil)
        #expect(RetryPolicy.parseRetryAfter("soon") == nil)
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let later = RetryPolicy.parseRetryAfter("Tue, 14 Nov 2023 22:13:40 GMT", now: now)
        #expect(later == .seconds(20))
    }
}
