import AstriaMockServer
import Foundation
import Testing

/// Every injected fault, as a client sees it through curl.
@Suite struct FaultTests {
    func options(_ plan: FaultPlan, maxBodyBytes: Int = 256 << 20) -> MockServerOptions {
        MockServerOptions(apiKey: testKey, maxBodyBytes: maxBodyBytes, faults: plan)
    }

    func create(_ server: MockAstriaServer, title: String, folder: URL, images: [String] = ["1.jpg"]) async throws -> CurlResponse {
        try await curl(["-X", "POST"] + auth + tuneForm(title: title, images: images) + [server.baseURL.absoluteString + "/tunes"], cwd: folder)
    }

    @Test func scriptedStatusesThenOK() async throws {
        let folder = try fixtureFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let plan = FaultPlan(script: try FaultPlan.parseScript("500,429,ok,503"), retryAfterSeconds: 7)
        try await withServer(options(plan)) { server throws in
            // GETs are out of the default scope and do not use up the script.
            #expect(try await curl(auth + [server.baseURL.absoluteString + "/tunes"]).status == 200)
            let first = try await create(server, title: "a", folder: folder)
            #expect(first.status == 500)
            let second = try await create(server, title: "a", folder: folder)
            #expect(second.status == 429)
            #expect(second.headers["retry-after"] == "7")
            let third = try await create(server, title: "a", folder: folder)
            #expect(third.status == 201)
            let fourth = try await create(server, title: "b", folder: folder)
            #expect(fourth.status == 503)
            #expect(try await create(server, title: "b", folder: folder).status == 201)
            #expect(await server.tunes().count == 2)
            let faults = await server.requests().compactMap(\.fault)
            #expect(faults == [.status(500), .status(429), .status(503)])
        }
    }

    @Test func gatewayTimeoutAfterTheTuneWasCreated() async throws {
        let folder = try fixtureFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withServer(options(FaultPlan(script: [.timeoutAfterProcessing]))) { server throws in
            let first = try await create(server, title: "slow one", folder: folder)
            #expect(first.status == 504)
            let made = await server.tunes()
            #expect(made.count == 1)  // processed despite the 504
            // The documented recovery: same request again, idempotency returns the existing tune.
            let retry = try await create(server, title: "slow one", folder: folder)
            #expect(retry.status == 200)
            #expect(retry.object["id"] as? Int == made.first?.id)
            #expect(await server.tunes().count == 1)
        }
    }

    @Test func dropMidBodyClosesTheConnection() async throws {
        let folder = try fixtureFolder(images: 4, size: 400_000)
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withServer(options(FaultPlan(script: [.drop]))) { server throws in
            let dropped = try await create(server, title: "d", folder: folder, images: ["1.jpg", "2.jpg", "3.jpg", "4.jpg"])
            // No final answer (curl may have seen the 100 Continue before the hang-up).
            #expect(dropped.status == 0 || dropped.status == 100)
            #expect([52, 55, 56].contains(dropped.exitCode), "curl exit \(dropped.exitCode)")
            #expect(await server.tunes().isEmpty)
            // The server records the drop before it hangs up, so it is there as soon as curl has seen it.
            let record = try #require(await server.requests().first)
            #expect(record.status == nil && record.fault == .drop)
            #expect(try await create(server, title: "d", folder: folder).status == 201)
        }
    }

    @Test func bodyLimitAnswers413() async throws {
        let folder = try fixtureFolder(images: 2, size: 200_000)
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withServer(options(FaultPlan(), maxBodyBytes: 100_000)) { server throws in
            let tooBig = try await create(server, title: "big", folder: folder, images: ["1.jpg", "2.jpg"])
            #expect(tooBig.status == 413)
            // Chunked, so no Content-Length to check up front: the limit applies while reading.
            let chunked = try await curl(
                ["-X", "POST", "-H", "Transfer-Encoding: chunked"] + auth + tuneForm(title: "big2", images: ["1.jpg"])
                    + [server.baseURL.absoluteString + "/tunes"], cwd: folder)
            #expect(chunked.status == 413)
            #expect(await server.tunes().isEmpty)
            let small = try fixtureFolder(images: 1, size: 1000)
            defer { try? FileManager.default.removeItem(at: small) }
            #expect(try await create(server, title: "small", folder: small).status == 201)
        }
    }

    @Test func latencyIsAdded() async throws {
        try await withServer(options(FaultPlan(latency: .milliseconds(400)))) { server throws in
            let start = ContinuousClock.now
            let r = try await curl(auth + [server.baseURL.absoluteString + "/tunes"])
            #expect(r.status == 200)
            #expect(ContinuousClock.now - start >= .milliseconds(400))
        }
    }

    @Test func randomRatesWithSeedAndAllScope() async throws {
        let plan = FaultPlan(rates: try FaultPlan.parseRates("500=0.5,429=0.5"), scope: .allRequests, seed: 42)
        try await withServer(options(plan)) { server throws in
            var statuses: [Int] = []
            for _ in 0..<10 { statuses.append(try await curl(auth + [server.baseURL.absoluteString + "/tunes"]).status) }
            #expect(statuses.allSatisfy { $0 == 500 || $0 == 429 })
            #expect(Set(statuses).count == 2)
        }
        // Rates below 1 leave some requests alone; the same seed gives the same sequence.
        func run() async throws -> [Int] {
            let plan = FaultPlan(rates: try FaultPlan.parseRates("500=0.3"), scope: .allRequests, seed: 7)
            return try await withServer(options(plan)) { server throws in
                var statuses: [Int] = []
                for _ in 0..<12 { statuses.append(try await curl(auth + [server.baseURL.absoluteString + "/tunes"]).status) }
                return statuses
            }
        }
        let a = try await run(), b = try await run()
        #expect(a == b)
        #expect(a.contains(200) && a.contains(500))
    }

    @Test func faultSyntax() throws {
        #expect(try FaultPlan.parseScript("500, 429,ok,504,drop") == [.status(500), .status(429), .ok, .timeoutAfterProcessing, .drop])
        #expect(throws: MockServerError.self) { try FaultPlan.parseScript("500,boom") }
        #expect(throws: MockServerError.self) { try FaultPlan.parseScript("200") }
        #expect(throws: MockServerError.self) { try FaultPlan.parseRates("500=0.7,429=0.6") }
        #expect(throws: MockServerError.self) { try FaultPlan.parseRates("500") }
        #expect(try FaultPlan.parseRates("drop=0.25") == [FaultPlan.Rate(fault: .drop, probability: 0.25)])
    }

    @Test func expectContinueIsAnswered() async throws {
        // libcurl waits a second for "100 Continue" before sending a large body; the server answers it at once.
        // Here curl waits up to 30 s, so a slow (loaded) machine cannot make it send the body unasked.
        let folder = try fixtureFolder(images: 1, size: 100_000)
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withServer(options(FaultPlan(), maxBodyBytes: 150_000)) { server throws in
            let url = server.baseURL.absoluteString + "/tunes"
            let r = try await curl(
                ["-X", "POST", "-H", "Expect: 100-continue", "--expect100-timeout", "30"] + auth + tuneForm(title: "e") + [url],
                cwd: folder)
            #expect(r.status == 201)
            #expect(r.statusLines == ["HTTP/1.1 100 Continue", "HTTP/1.1 201 Created"])
            // Over the limit: no 100, only the 413.
            let big = try fixtureFolder(images: 1, size: 200_000)
            defer { try? FileManager.default.removeItem(at: big) }
            let refused = try await curl(
                ["-X", "POST", "-H", "Expect: 100-continue", "--expect100-timeout", "30"] + auth + tuneForm(title: "e2") + [url],
                cwd: big)
            #expect(refused.status == 413)
            #expect(refused.statusLines.count == 1)
        }
    }
}
