import AstriaMockServer
import Foundation
import Testing

/// Every refusal answers the way a Rails app would, and none of them takes the server down.
@Suite struct ValidationTests {
    func post(_ server: MockAstriaServer, path: String = "/tunes", _ args: [String], folder: URL) async throws -> CurlResponse {
        try await curl(["-X", "POST"] + auth + args + [server.baseURL.absoluteString + path], cwd: folder)
    }

    @Test func missingFieldsAnswer422RailsStyle() async throws {
        let folder = try fixtureFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withServer { server throws in
            var r = try await post(server, ["-F", "tune[name]=man", "-F", "tune[images][]=@1.jpg"], folder: folder)
            #expect(r.status == 422)
            #expect(r.text == #"{"title":["can't be blank"]}"#)

            r = try await post(server, ["-F", "tune[title]=t", "-F", "tune[images][]=@1.jpg"], folder: folder)
            #expect(r.status == 422)
            #expect(r.text == #"{"name":["can't be blank"]}"#)

            r = try await post(server, ["-F", "tune[title]=t", "-F", "tune[name]=man"], folder: folder)
            #expect(r.status == 422)
            #expect(r.text == #"{"images":["can't be blank"]}"#)

            r = try await post(server, ["-F", "tune[title]=  ", "-F", "tune[name]=", "-F", "tune[callback]=x"], folder: folder)
            #expect(r.status == 422)
            #expect(r.object["title"] as? [String] == ["can't be blank"])
            #expect(r.object["name"] as? [String] == ["can't be blank"])
            #expect(r.object["images"] as? [String] == ["can't be blank"])
            #expect(r.object["callback"] as? [String] == ["is not a valid URL"])
            #expect(await server.tunes().isEmpty)
        }
    }

    @Test func classNameMustBeSupportedByPack() async throws {
        let folder = try fixtureFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withServer { server throws in
            let r = try await post(server, path: "/p/260/tunes", tuneForm(title: "pack", name: "dog"), folder: folder)
            #expect(r.status == 422)
            let message = try #require((r.object["name"] as? [String])?.first)
            #expect(message.hasPrefix("is not supported by this pack"))
            let ok = try await post(server, path: "/p/260/tunes", tuneForm(title: "pack", name: "woman"), folder: folder)
            #expect(ok.status == 201)
            let missing = try await post(server, path: "/p/99999/tunes", tuneForm(title: "nope"), folder: folder)
            #expect(missing.status == 404)
        }
    }

    @Test func otherRefusals() async throws {
        let folder = try fixtureFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try "not an image".write(to: folder.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        try await withServer { server throws in
            var r = try await post(server, tuneForm(title: "t", images: ["notes.txt"]), folder: folder)
            #expect(r.status == 422)
            #expect((r.object["images"] as? [String])?.first?.contains("notes.txt") == true)

            r = try await post(server, tuneForm(title: "t", extra: ["tune[branch]=sd99", "tune[model_type]=full"]), folder: folder)
            #expect(r.status == 422)
            #expect(r.object["branch"] as? [String] == ["is not included in the list"])
            #expect(r.object["model_type"] as? [String] == ["is not included in the list"])

            r = try await post(server, tuneForm(title: "t", extra: ["tune[prompts_attributes][][negative_prompt]=x"]), folder: folder)
            #expect(r.status == 422)
            #expect(r.object["prompts.text"] as? [String] == ["can't be blank"])

            // No `tune` at all, a JSON array, broken JSON, clashing nested names, a truncated multipart body,
            // an unknown content type: 400, and the server keeps answering.
            r = try await post(server, ["-F", "title=t"], folder: folder)
            #expect(r.status == 400)
            r = try await post(server, ["-H", "Content-Type: application/json", "--data", "[1,2]"], folder: folder)
            #expect(r.status == 400)
            r = try await post(server, ["-H", "Content-Type: application/json", "--data", "{\"tune\": {"], folder: folder)
            #expect(r.status == 400)
            r = try await post(server, ["-F", "tune[a][]=1", "-F", "tune[a][b]=2"], folder: folder)
            #expect(r.status == 400)
            r = try await post(
                server,
                ["-H", "Content-Type: multipart/form-data; boundary=xyz", "--data-binary",
                 "--xyz\r\nContent-Disposition: form-data; name=\"tune[title]\"\r\n\r\nabc"],
                folder: folder)
            #expect(r.status == 400)
            r = try await post(server, ["-H", "Content-Type: multipart/form-data", "--data-binary", "x"], folder: folder)
            #expect(r.status == 400)
            r = try await post(server, ["-H", "Content-Type: text/plain", "--data-binary", "tune"], folder: folder)
            #expect(r.status == 400)
            r = try await curl(auth + [server.baseURL.absoluteString + "/tunes/abc"])
            #expect(r.status == 404)
            r = try await curl(auth + [server.baseURL.absoluteString + "/nowhere"])
            #expect(r.status == 404)

            let ok = try await post(server, tuneForm(title: "still alive"), folder: folder)
            #expect(ok.status == 201)
        }
    }

    @Test func jsonBodyWithoutTuneRootIsWrappedLikeRails() async throws {
        try await withServer { server throws in
            let r = try await curl(
                ["-X", "POST", "-H", "Content-Type: application/json"] + auth
                    + ["--data", #"{"title":"bare","name":"dog","image_urls":["https://example.com/a.jpg"],"steps":"abc"}"#,
                       server.baseURL.absoluteString + "/tunes"])
            #expect(r.status == 422)
            #expect(r.object["steps"] as? [String] == ["is not a number"])
        }
    }

    @Test func urlencodedBodiesAreAccepted() async throws {
        try await withServer { server throws in
            let r = try await curl(
                ["-X", "POST"] + auth
                    + ["--data-urlencode", "tune[title]=form & more", "--data-urlencode", "tune[name]=cat",
                       "--data-urlencode", "tune[image_urls][]=https://example.com/a.jpg",
                       server.baseURL.absoluteString + "/tunes"])
            #expect(r.status == 201)
            #expect(r.object["title"] as? String == "form & more")
        }
    }
}

/// The Bearer key: required, checked, never recorded.
@Suite struct AuthTests {
    @Test func keyIsRequiredAndChecked() async throws {
        let folder = try fixtureFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let lines = LineCollector()
        let options = MockServerOptions(apiKey: testKey, requestLog: { lines.append($0) })
        try await withServer(options) { server throws in
            let url = server.baseURL.absoluteString + "/tunes"
            #expect(try await curl([url]).status == 401)
            #expect(try await curl(["-H", "Authorization: Bearer", url]).status == 401)
            #expect(try await curl(["-H", "Authorization: Basic \(testKey)", url]).status == 401)
            let wrong = try await curl(["-X", "POST", "-H", "Authorization: Bearer sd_wrong"] + tuneForm(title: "w") + [url], cwd: folder)
            #expect(wrong.status == 401)
            #expect(wrong.object["error"] != nil)
            #expect(try await curl(auth + [url]).status == 200)
            #expect(await server.tunes().isEmpty)

            let recorded = await server.requests()
            #expect(recorded.map(\.hadBearerKey) == [false, false, false, true, true])
            #expect(!String(describing: recorded).contains(testKey))
            #expect(!String(describing: recorded).contains("sd_wrong"))
        }
        let log = lines.lines
        #expect(log.count == 5)
        #expect(log.allSatisfy { !$0.contains(testKey) && !$0.contains("sd_wrong") })
    }

    @Test func withoutConfiguredKeyAnyNonEmptyKeyIsAccepted() async throws {
        try await withServer(MockServerOptions(apiKey: nil)) { server throws in
            let url = server.baseURL.absoluteString + "/tunes"
            #expect(try await curl(["-H", "Authorization: Bearer anything", url]).status == 200)
            #expect(try await curl([url]).status == 401)
        }
    }
}
