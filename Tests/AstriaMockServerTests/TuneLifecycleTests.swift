import AstriaMockServer
import Foundation
import Testing

/// Listing, paging, fetching, deleting, idempotency, training and callbacks.
@Suite struct TuneLifecycleTests {
    func createJSON(_ server: MockAstriaServer, title: String, extra: String = "") async throws -> CurlResponse {
        try await curl(
            ["-X", "POST", "-H", "Content-Type: application/json"] + auth
                + ["--data", #"{"tune":{"title":"\#(title)","name":"dog","image_urls":["https://example.com/a.jpg"]\#(extra)}}"#,
                   server.baseURL.absoluteString + "/tunes"])
    }

    func ids(_ r: CurlResponse) -> [Int] { r.array.compactMap { $0["id"] as? Int } }

    @Test func pagingNewestFirst() async throws {
        try await withServer { server throws in
            for i in 1...25 { #expect(try await createJSON(server, title: "t\(i)").status == 201) }
            let base = server.baseURL.absoluteString + "/tunes"
            let all = try await curl(auth + [base])
            #expect(all.status == 200)
            #expect(ids(all) == Array((6...25).reversed()))  // default limit 20, newest first
            #expect(ids(try await curl(auth + [base + "?limit=5"])) == [25, 24, 23, 22, 21])
            #expect(ids(try await curl(auth + [base + "?limit=500"])).count == 25)  // capped at 120
            #expect(ids(try await curl(auth + [base + "?limit=3&before_id=10"])) == [9, 8, 7])
            #expect(ids(try await curl(auth + [base + "?limit=3&offset=10"])) == [15, 14, 13])
            #expect(ids(try await curl(auth + [base + "?offset=200"])) == [])
            let tooFar = try await curl(auth + [base + "?offset=201"])
            #expect(tooFar.status == 400)
            #expect(tooFar.object["error"] != nil)
            #expect(try await curl(auth + [base + "?limit=abc"]).status == 400)
            #expect(try await curl(auth + [base + "?offset=-1"]).status == 400)
        }
    }

    @Test func limitIsCappedAt120() async throws {
        try await withServer { server throws in
            for i in 1...125 { _ = try await createJSON(server, title: "t\(i)") }
            let list = try await curl(auth + [server.baseURL.absoluteString + "/tunes?limit=121"])
            #expect(ids(list).count == 120)
        }
    }

    @Test func getAndDelete() async throws {
        let folder = try fixtureFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withServer { server throws in
            let created = try await curl(["-X", "POST"] + auth + tuneForm(title: "to delete", images: ["1.jpg", "2.jpg"]) + [server.baseURL.absoluteString + "/tunes"], cwd: folder)
            let id = try #require(created.object["id"] as? Int)
            let image = try #require((created.object["orig_images"] as? [String])?.first)
            let url = server.baseURL.absoluteString + "/tunes/\(id)"
            let fetched = try await curl(auth + [url])
            #expect(fetched.status == 200)
            #expect(fetched.object["title"] as? String == "to delete")
            #expect(try await curl(auth + [url + ".json"]).status == 200)  // the tune's `url` field works too
            #expect(try await curl([image]).body == fixtureJPEG(1))
            let deleted = try await curl(["-X", "DELETE"] + auth + [url])
            #expect(deleted.status == 200)
            #expect(try await curl(auth + [url]).status == 404)
            #expect(try await curl(["-X", "DELETE"] + auth + [url]).status == 404)
            #expect(try await curl([image]).status == 404)
            #expect(await server.tunes().isEmpty)
        }
    }

    @Test func packsListed() async throws {
        try await withServer { server throws in
            let r = try await curl(auth + [server.baseURL.absoluteString + "/packs"])
            #expect(r.status == 200)
            let pack = try #require(r.array.first { $0["id"] as? Int == 260 })
            let classes = try #require(pack["supported_classes"] as? [String])
            #expect(classes.contains("man") && classes.contains("woman"))
            #expect(try await curl([server.baseURL.absoluteString + "/packs"]).status == 401)
        }
    }

    @Test func idempotencyOnReturnsExistingTune() async throws {
        try await withServer { server throws in
            let first = try await createJSON(server, title: "same")
            let second = try await createJSON(server, title: "same")
            #expect(first.status == 201)
            #expect(second.status == 200)
            #expect(first.object["id"] as? Int == second.object["id"] as? Int)
            #expect(await server.tunes().count == 1)
        }
    }

    @Test func idempotencyOffCreatesAgain() async throws {
        try await withServer(MockServerOptions(apiKey: testKey, idempotency: false)) { server throws in
            let first = try await createJSON(server, title: "same")
            let second = try await createJSON(server, title: "same")
            #expect(first.status == 201 && second.status == 201)
            #expect(first.object["id"] as? Int != second.object["id"] as? Int)
            #expect(await server.tunes().count == 2)
        }
    }

    @Test func trainingSetsTrainedAtAfterDelay() async throws {
        let options = MockServerOptions(
            apiKey: testKey, trainingDuration: .seconds(1), fastTrainingDuration: .milliseconds(100))
        try await withServer(options) { server throws in
            let slow = try await createJSON(server, title: "slow")
            let fast = try await createJSON(server, title: "fast", extra: #","branch":"fast""#)
            #expect(slow.object["trained_at"] is NSNull)
            #expect(slow.object["ckpt_url"] is NSNull)
            #expect(slow.object["expires_at"] is NSNull)
            let fastID = try #require(fast.object["id"] as? Int)
            let slowID = try #require(slow.object["id"] as? Int)
            func fetch(_ id: Int) async throws -> [String: Any] {
                try await curl(auth + [server.baseURL.absoluteString + "/tunes/\(id)"]).object
            }
            #expect(try await eventually { try await fetch(slowID)["trained_at"] is String })
            #expect(try await eventually { try await fetch(fastID)["trained_at"] is String })
            // Measured on the server's own timestamps, and only as lower bounds (a loaded machine
            // can make training end late, never early); which branch is faster shows in the eta.
            let parse = { (s: Any?) in (s as? String).flatMap { try? Date($0, strategy: .iso8601) } }
            let slowDone = try await fetch(slowID), fastDone = try await fetch(fastID)
            func since(_ key: String, _ tune: [String: Any]) throws -> Double {
                try #require(parse(tune[key])).timeIntervalSince(try #require(parse(tune["created_at"])))
            }
            #expect(try since("trained_at", slowDone) >= 0.998)  // both times are rounded to ms
            #expect(try since("trained_at", fastDone) >= 0.098)
            #expect(abs(try since("eta", slowDone) - 1) < 0.003)
            #expect(abs(try since("eta", fastDone) - 0.1) < 0.003)
            #expect(slowDone["ckpt_url"] is String)
            #expect((slowDone["ckpt_urls"] as? [String])?.count == 1)
            #expect(slowDone["expires_at"] is String)
        }
    }

    @Test func callbacksAreDeliveredWhenTrained() async throws {
        let folder = try fixtureFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // A second mock server receives the callbacks on its sink, over real HTTP.
        try await withServer(MockServerOptions()) { receiver throws in
            let sink = receiver.baseURL.absoluteString + "/_mock/callbacks"
            let options = MockServerOptions(apiKey: testKey, fastTrainingDuration: .milliseconds(100))
            try await withServer(options) { server throws in
                let tune = try await curl(
                    ["-X", "POST"] + auth
                        + tuneForm(title: "cb", extra: [
                            "tune[branch]=fast", "tune[callback]=\(sink)/tune?user_id=1",
                            "tune[prompts_attributes][][text]=ohwx man in {{place}}",
                            "tune[prompts_attributes][][callback]=\(sink)/prompt?n=1",
                            "tune[characteristics][place]=Paris",
                        ]) + [server.baseURL.absoluteString + "/tunes"], cwd: folder)
                #expect(tune.status == 201)
                let id = try #require(tune.object["id"] as? Int)
                let pack = try await curl(
                    ["-X", "POST"] + auth
                        + tuneForm(title: "pack cb", name: "woman", extra: [
                            "tune[branch]=fast", "tune[prompt_attributes][callback]=\(sink)/each",
                            "tune[prompts_callback]=\(sink)/all",
                        ]) + [server.baseURL.absoluteString + "/p/260/tunes"], cwd: folder)
                #expect(pack.status == 201)
                #expect(await eventually { await server.callbackDeliveries().count == 5 })
                let deliveries = await server.callbackDeliveries()
                #expect(deliveries.allSatisfy { $0.status == 200 && $0.error == nil })
                #expect(deliveries.filter { $0.kind == .prompt }.count == 3)

                let received = await receiver.receivedCallbacks()
                #expect(received.count == 5)
                let tuneBody = try #require(received.first { $0.path == "/_mock/callbacks/tune?user_id=1" })
                let tuneJSON = try #require(try JSONSerialization.jsonObject(with: tuneBody.body) as? [String: Any])
                #expect(tuneJSON["id"] as? Int == id)
                #expect(tuneJSON["trained_at"] is String)
                let promptBody = try #require(received.first { $0.path == "/_mock/callbacks/prompt?n=1" })
                let promptJSON = try #require(try JSONSerialization.jsonObject(with: promptBody.body) as? [String: Any])
                #expect(promptJSON["text"] as? String == "ohwx man in Paris")
                #expect(promptJSON["tune_id"] as? Int == id)
                #expect(received.filter { $0.path == "/_mock/callbacks/each" }.count == 2)
                let all = try #require(received.first { $0.path == "/_mock/callbacks/all" })
                #expect((try JSONSerialization.jsonObject(with: all.body) as? [Any])?.count == 2)
            }
        }
    }

    @Test func unreachableCallbackIsRecordedNotFatal() async throws {
        let options = MockServerOptions(apiKey: testKey, fastTrainingDuration: .milliseconds(50))
        try await withServer(options) { server throws in
            // Port 9 (discard) on loopback: nothing listens there.
            let r = try await createJSON(server, title: "cb", extra: #","branch":"fast","callback":"http://127.0.0.1:9/hook""#)
            #expect(r.status == 201)
            #expect(await eventually { await server.callbackDeliveries().count == 1 })
            let delivery = try #require(await server.callbackDeliveries().first)
            #expect(delivery.status == nil && delivery.error != nil)
            #expect(try await curl(auth + [server.baseURL.absoluteString + "/tunes"]).status == 200)
        }
    }
}
