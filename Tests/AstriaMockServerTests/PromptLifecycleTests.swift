@testable import AstriaMockServer
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Decodes a JPEG with an independent decoder, Pillow (Debian's python3-pil, which
/// scripts/deps/apt-test.txt's python3-skimage depends on): "JPEG 48x32", or why it failed.
func decodeJPEG(_ data: Data) async throws -> String {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("decode-\(UUID().uuidString).jpg")
    try data.write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    let result = try await runProcess(
        "/usr/bin/python3",
        ["-c", "import sys; from PIL import Image; im = Image.open(sys.argv[1]); im.load(); print(im.format, '%dx%d' % im.size)", file.path])
    guard result.exitCode == 0 else { return "not decoded: \(result.stderr)" }
    return result.text.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Writes a real baseline JPEG of one colour with Pillow.
func writeJPEG(_ file: URL, width: Int, height: Int, rgb: (Int, Int, Int)) async throws {
    let result = try await runProcess(
        "/usr/bin/python3",
        ["-c", "import sys; from PIL import Image; Image.new('RGB', (\(width), \(height)), (\(rgb.0), \(rgb.1), \(rgb.2))).save(sys.argv[1], 'JPEG', quality=90)", file.path])
    #expect(result.exitCode == 0, "\(result.stderr)")
}

/// Seconds between two of the service's timestamps.
func secondsBetween(_ start: Any?, to end: Any?) throws -> Double {
    let parse = { (s: Any?) in (s as? String).flatMap { try? Date($0, strategy: .iso8601) } }
    return try #require(parse(end)).timeIntervalSince(try #require(parse(start)))
}

/// Prompts finishing: their timing, real pictures, callbacks, poll limits and the new faults.
@Suite struct PromptLifecycleTests {
    let fast = #","branch":"fast""#

    func get(_ server: MockAstriaServer, _ path: String) async throws -> CurlResponse {
        try await curl(auth + [server.baseURL.absoluteString + path])
    }

    func createPrompt(_ server: MockAstriaServer, tune: Int, _ fields: [String]) async throws -> [String: Any] {
        let r = try await curl(
            ["-X", "POST"] + auth + PromptTests.form(fields) + [PromptTests.promptsURL(server, tune)])
        #expect(r.status == 201, "\(r.text)")
        return r.object
    }

    /// The prompt once it has finished (done or failed), through the API.
    func finished(_ server: MockAstriaServer, tune: Int, prompt: Int) async throws -> [String: Any] {
        var last: [String: Any] = [:]
        let done = try await eventually {
            last = try await get(server, "/tunes/\(tune)/prompts/\(prompt)").object
            return last["trained_at"] is String
        }
        #expect(done, "prompt \(prompt) never finished: \(last)")
        return last
    }

    @Test func builtInPictureIsAWholeJPEG() async throws {
        #expect(JPEG.isWellFormed(PromptImages.builtIn))
        #expect(!JPEG.isWellFormed(PromptImages.builtIn.dropLast(2)))
        #expect(!JPEG.isWellFormed(fixtureJPEG(1)))  // a JFIF header and noise: not a picture
        #expect(try await decodeJPEG(PromptImages.builtIn) == "JPEG 48x32")
    }

    @Test func aPromptFinishesAfterTrainingWithRealPictures() async throws {
        let folder = try fixtureFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withServer(MockServerOptions()) { receiver throws in
            let sink = receiver.baseURL.absoluteString + "/_mock/callbacks"
            // Training would take a minute: the test ends it, so the first prompt surely comes
            // while it lasts, however slow the machine.
            let options = MockServerOptions(
                apiKey: testKey, trainingDuration: .seconds(60), promptDuration: .milliseconds(300))
            try await withServer(options) { server throws in
                let created = try await curl(
                    ["-X", "POST"] + auth + tuneForm(title: "pictures") + [server.baseURL.absoluteString + "/tunes"], cwd: folder)
                let tune = try #require(created.object["id"] as? Int)
                // Asked for before the tune trained: it waits for the model.
                let early = try await createPrompt(
                    server, tune: tune, ["prompt[text]=ohwx man", "prompt[num_images]=3", "prompt[callback]=\(sink)/prompt?n=1"])
                #expect(early["started_training_at"] is NSNull && early["trained_at"] is NSNull)
                let id = try #require(early["id"] as? Int)
                try await Task.sleep(for: .milliseconds(500))
                #expect(try await get(server, "/tunes/\(tune)/prompts/\(id)").object["trained_at"] is NSNull)
                #expect(await server.finishTraining(tune))
                #expect(!(await server.finishTraining(tune)))  // once
                let done = try await finished(server, tune: tune, prompt: id)
                let trained = try await get(server, "/tunes/\(tune)").object
                // Lower bounds only (a loaded machine finishes late, never early); times are rounded to ms.
                #expect(try secondsBetween(trained["trained_at"], to: done["trained_at"]) >= 0.298)
                #expect(try secondsBetween(done["created_at"], to: done["trained_at"]) >= 0.298)
                #expect(done["user_error"] is NSNull)
                let images = try #require(done["images"] as? [String])
                #expect(images.count == 3)

                for image in images {
                    #expect(image.hasPrefix(server.baseURL.absoluteString + "/files/tunes/\(tune)/prompts/\(id)/"))
                    // Object storage URLs are public: no Authorization header.
                    let picture = try await curl([image])
                    #expect(picture.status == 200)
                    #expect(picture.headers["content-type"] == "image/jpeg")
                    #expect(picture.headers["content-length"] == String(picture.body.count))
                    #expect(picture.body.prefix(2) == Data([0xFF, 0xD8]) && picture.body.suffix(2) == Data([0xFF, 0xD9]))
                    // The uploads are fixtures that only start like JPEGs, so the built-in picture is used.
                    #expect(try await decodeJPEG(picture.body) == "JPEG 48x32")
                }

                // Asked for once the tune has trained: generation starts at once.
                let late = try await createPrompt(server, tune: tune, ["prompt[text]=ohwx man, headshot", "prompt[num_images]=1"])
                #expect(late["started_training_at"] is String)
                let lateDone = try await finished(server, tune: tune, prompt: try #require(late["id"] as? Int))
                #expect((lateDone["images"] as? [String])?.count == 1)

                #expect(await eventually { await server.callbackDeliveries().contains { $0.kind == .prompt } })
                let delivery = try #require(await server.callbackDeliveries().first { $0.kind == .prompt })
                #expect(delivery.promptID == id && delivery.tuneID == tune && delivery.status == 200)
                let body = try #require(await receiver.receivedCallbacks().first { $0.path == "/_mock/callbacks/prompt?n=1" })
                let json = try #require(try JSONSerialization.jsonObject(with: body.body) as? [String: Any])
                #expect(json["id"] as? Int == id)
                #expect(json["images"] as? [String] == images)
                let stored = try #require(await server.prompts().first { $0.id == id })
                #expect(stored.images == images && stored.finishedAt != nil && !stored.createdWithTune)
            }
        }
    }

    @Test func picturesComeFromTheFolderThenTheUploads() async throws {
        let pictures = FileManager.default.temporaryDirectory.appendingPathComponent("pictures-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: pictures, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: pictures) }
        try await writeJPEG(pictures.appendingPathComponent("b.jpg"), width: 40, height: 30, rgb: (200, 30, 30))
        try await writeJPEG(pictures.appendingPathComponent("a.JPEG"), width: 30, height: 40, rgb: (30, 30, 200))
        try Data("not a picture".utf8).write(to: pictures.appendingPathComponent("notes.txt"))
        let a = try Data(contentsOf: pictures.appendingPathComponent("a.JPEG"))
        let b = try Data(contentsOf: pictures.appendingPathComponent("b.jpg"))

        // The pictures behind another host (say, a recording proxy): their URLs start with it.
        let base = "http://127.0.0.1:9/cdn"
        let options = MockServerOptions(
            apiKey: testKey, fastTrainingDuration: .milliseconds(50), fastPromptDuration: .milliseconds(50),
            promptImagesDirectory: pictures, imageBaseURL: URL(string: base + "/"))
        try await withServer(options) { server throws in
            let tune = try await PromptTests.createTune(server, title: "folder", extra: fast)
            let prompt = try await createPrompt(server, tune: tune, ["prompt[text]=ohwx man", "prompt[num_images]=3"])
            let done = try await finished(server, tune: tune, prompt: try #require(prompt["id"] as? Int))
            let images = try #require(done["images"] as? [String])
            #expect(images.count == 3)
            var bodies: [Data] = []
            for image in images {
                #expect(image.hasPrefix(base + "/files/tunes/\(tune)/prompts/"), "\(image)")
                // The proxy would forward the path to this server.
                let r = try await curl([server.baseURL.absoluteString + image.dropFirst(base.count)])
                #expect(r.status == 200 && r.headers["content-type"] == "image/jpeg")
                bodies.append(r.body)
            }
            #expect(bodies == [a, b, a])  // name order, in rotation
        }

        // Without a folder: the tune's uploads that are real JPEGs (the noise fixture is not).
        let uploads = try fixtureFolder(images: 1)
        defer { try? FileManager.default.removeItem(at: uploads) }
        try await writeJPEG(uploads.appendingPathComponent("real.jpg"), width: 64, height: 64, rgb: (20, 160, 20))
        let real = try Data(contentsOf: uploads.appendingPathComponent("real.jpg"))
        let plain = MockServerOptions(apiKey: testKey, fastTrainingDuration: .milliseconds(50), fastPromptDuration: .milliseconds(50))
        try await withServer(plain) { server throws in
            let created = try await curl(
                ["-X", "POST"] + auth + tuneForm(title: "uploads", images: ["1.jpg", "real.jpg"], extra: ["tune[branch]=fast"])
                    + [server.baseURL.absoluteString + "/tunes"], cwd: uploads)
            let tune = try #require(created.object["id"] as? Int)
            let prompt = try await createPrompt(server, tune: tune, ["prompt[text]=ohwx man", "prompt[num_images]=2"])
            let done = try await finished(server, tune: tune, prompt: try #require(prompt["id"] as? Int))
            let images = try #require(done["images"] as? [String])
            #expect(images.count == 2)
            for image in images { #expect(try await curl([image]).body == real) }
        }

        // A folder without pictures, or a base URL no client can use, is said at start.
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        await #expect(throws: MockServerError.self) { _ = try await MockAstriaServer.start(MockServerOptions(promptImagesDirectory: empty)) }
        await #expect(throws: MockServerError.self) {
            _ = try await MockAstriaServer.start(MockServerOptions(imageBaseURL: URL(string: "ftp://example.com")))
        }
    }

    /// One GET in this process, as a polling client sends it (no curl process to start, which
    /// can take seconds on a loaded machine): status, `Retry-After`, body.
    func poll(_ url: String) async throws -> (status: Int, retryAfter: Int?, body: [String: Any]) {
        var request = URLRequest(url: try #require(URL(string: url)), timeoutInterval: 60)
        request.setValue("Bearer \(testKey)", forHTTPHeaderField: "Authorization")
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        let retryAfter = (http.value(forHTTPHeaderField: "Retry-After")).flatMap(Int.init)
        return (http.statusCode, retryAfter, (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:])
    }

    @Test func pollingFasterThanTheIntervalAnswers429() async throws {
        let interval = 15.0
        let options = MockServerOptions(apiKey: testKey, minPollInterval: .seconds(interval))
        try await withServer(options) { server throws in
            let base = server.baseURL.absoluteString
            let tune = try await PromptTests.createTune(server, title: "polled")
            let other = try await PromptTests.createTune(server, title: "other")
            var refused = 0

            // Measured around both requests, so that the expectations hold however slow the
            // machine: the server saw the second poll at most (d - a) after the first.
            let a = ContinuousClock.now
            #expect(try await poll(base + "/tunes/\(tune)").status == 200)
            let tooSoon = try await poll(base + "/tunes/\(tune).json")  // the same tune
            let d = ContinuousClock.now
            let longest = (d - a).seconds
            if tooSoon.status == 429 { refused += 1 }
            if longest < interval {
                #expect(tooSoon.status == 429)
                let retryAfter = try #require(tooSoon.retryAfter)
                // Whole seconds left, rounded up: at least what is surely left, at most the interval.
                #expect(retryAfter >= Int((interval - longest).rounded(.up)) && retryAfter <= Int(interval), "\(retryAfter)")
                #expect((tooSoon.body["error"] as? String)?.contains("tune \(tune)") == true, "\(tooSoon.body)")

                // Other objects, listings and writes are not limited; a request without a key is refused first.
                #expect(try await poll(base + "/tunes/\(other)").status == 200)
                #expect(try await get(server, "/tunes").status == 200)
                #expect(try await curl([base + "/tunes/\(tune)"]).status == 401)

                // Honouring Retry-After gets through: refused polls did not restart the clock
                // (had the refusal restarted it, this poll would come too soon after it).
                try await Task.sleep(for: .seconds(retryAfter))
                #expect(try await poll(base + "/tunes/\(tune)").status == 200)
            }
            // Else two polls took longer than the interval (a machine under heavy load): the server
            // may have let the second through, and only the records' agreement below is checked.

            // Prompts the same way.
            let prompt = try #require(try await createPrompt(server, tune: tune, ["prompt[text]=ohwx man"])["id"] as? Int)
            let second = try #require(try await createPrompt(server, tune: tune, ["prompt[text]=ohwx man"])["id"] as? Int)
            let e = ContinuousClock.now
            #expect(try await poll(base + "/tunes/\(tune)/prompts/\(prompt)").status == 200)
            let limited = try await poll(base + "/tunes/\(tune)/prompts/\(prompt)")
            if limited.status == 429 { refused += 1 }
            if (ContinuousClock.now - e).seconds < interval {
                #expect(limited.status == 429 && limited.retryAfter != nil)
            }
            #expect(try await poll(base + "/tunes/\(tune)/prompts/\(second)").status == 200)
            #expect(try await get(server, "/tunes/\(tune)/prompts").status == 200)

            let records = await server.requests()
            #expect(records.filter { $0.rateLimited }.count == refused)
            #expect(records.filter { $0.status == 429 }.allSatisfy { $0.rateLimited })
            #expect(records.filter { $0.rateLimited }.allSatisfy { $0.status == 429 && $0.fault == nil })
        }
    }

    @Test func overdueTunesNeverTrain() async throws {
        let options = MockServerOptions(
            apiKey: testKey, fastTrainingDuration: .milliseconds(100), fastPromptDuration: .milliseconds(100), tunesOverdue: true)
        try await withServer(options) { server throws in
            let tune = try await PromptTests.createTune(server, title: "overdue", extra: fast)
            let prompt = try await createPrompt(server, tune: tune, ["prompt[text]=ohwx man"])
            // FaceID tunes train nothing, so they cannot be late.
            let faceID = try await PromptTests.createTune(server, title: "faceid", extra: #","model_type":"faceid""#)
            try await Task.sleep(for: .seconds(1))
            let late = try await get(server, "/tunes/\(tune)").object
            #expect(late["trained_at"] is NSNull)
            #expect(try secondsBetween(late["eta"], to: Timestamps.format(Date())) > 0.8)  // past its eta
            let waiting = try await get(server, "/tunes/\(tune)/prompts/\(try #require(prompt["id"] as? Int))").object
            #expect(waiting["trained_at"] is NSNull && (waiting["images"] as? [Any])?.isEmpty == true)
            #expect(waiting["started_training_at"] is NSNull)
            #expect(try await get(server, "/tunes/\(faceID)").object["trained_at"] is String)
        }

        // One tune at a time, through the library. Training takes 5 s, so the call surely comes
        // before it ends; a tune trained on time beside it shows the timers run.
        let one = MockServerOptions(apiKey: testKey, trainingDuration: .seconds(5), fastTrainingDuration: .milliseconds(100))
        try await withServer(one) { server throws in
            let late = try await PromptTests.createTune(server, title: "late")
            #expect(await server.makeTuneOverdue(late))
            #expect(!(await server.makeTuneOverdue(999)))
            let onTime = try await PromptTests.createTune(server, title: "on time", extra: fast)
            #expect(try await eventually { try await get(server, "/tunes/\(onTime)").object["trained_at"] is String })
            #expect(!(await server.makeTuneOverdue(onTime)))  // already trained
            let eta = try #require(try await get(server, "/tunes/\(late)").object["eta"] as? String)
            try await Task.sleep(for: .seconds(max(0, try secondsBetween(Timestamps.format(Date()), to: eta)) + 0.5))
            #expect(try await get(server, "/tunes/\(late)").object["trained_at"] is NSNull)
            // The test can still end it.
            #expect(await server.finishTraining(late))
            #expect(try await get(server, "/tunes/\(late)").object["trained_at"] is String)
        }
    }

    @Test func failingPromptsGetUserErrorAndTheirCallback() async throws {
        try await withServer(MockServerOptions()) { receiver throws in
            let sink = receiver.baseURL.absoluteString + "/_mock/callbacks"
            let options = MockServerOptions(
                apiKey: testKey, fastTrainingDuration: .milliseconds(50), fastPromptDuration: .milliseconds(100),
                promptFailure: "Prompt rejected by the safety filter")
            try await withServer(options) { server throws in
                let tune = try await PromptTests.createTune(server, title: "fails", extra: fast)
                let prompt = try await createPrompt(server, tune: tune, ["prompt[text]=ohwx man", "prompt[callback]=\(sink)/failed"])
                let id = try #require(prompt["id"] as? Int)
                let done = try await finished(server, tune: tune, prompt: id)
                #expect(done["user_error"] as? String == "Prompt rejected by the safety filter")
                #expect((done["images"] as? [Any])?.isEmpty == true)
                #expect(await eventually { await receiver.receivedCallbacks().contains { $0.path == "/_mock/callbacks/failed" } })
                let body = try #require(await receiver.receivedCallbacks().first { $0.path == "/_mock/callbacks/failed" })
                let json = try #require(try JSONSerialization.jsonObject(with: body.body) as? [String: Any])
                #expect(json["user_error"] as? String == "Prompt rejected by the safety filter")
                #expect(await server.callbackDeliveries().contains { $0.kind == .prompt && $0.promptID == id && $0.status == 200 })
            }
        }

        // One prompt at a time, through the library: the tune trains only when the test says, so
        // the prompts cannot finish before the call.
        let one = MockServerOptions(apiKey: testKey, trainingDuration: .seconds(60), promptDuration: .milliseconds(100))
        try await withServer(one) { server throws in
            let tune = try await PromptTests.createTune(server, title: "one fails")
            let failing = try #require(try await createPrompt(server, tune: tune, ["prompt[text]=ohwx man"])["id"] as? Int)
            let fine = try #require(try await createPrompt(server, tune: tune, ["prompt[text]=ohwx man"])["id"] as? Int)
            #expect(await server.failPrompt(failing, userError: "No face found"))
            #expect(!(await server.failPrompt(999, userError: "x")))
            #expect(await server.finishTraining(tune))
            let failed = try await finished(server, tune: tune, prompt: failing)
            #expect(failed["user_error"] as? String == "No face found" && (failed["images"] as? [Any])?.isEmpty == true)
            let good = try await finished(server, tune: tune, prompt: fine)
            #expect(good["user_error"] is NSNull && (good["images"] as? [Any])?.count == 4)
            #expect(!(await server.failPrompt(fine, userError: "too late")))  // already finished
        }
    }

    @Test func faceIDTunesAreTrainedAtCreation() async throws {
        try await withServer(MockServerOptions()) { receiver throws in
            let sink = receiver.baseURL.absoluteString + "/_mock/callbacks"
            // Training would take a minute; FaceID trains nothing.
            let options = MockServerOptions(apiKey: testKey, trainingDuration: .seconds(60), promptDuration: .milliseconds(100))
            try await withServer(options) { server throws in
                let r = try await curl(
                    ["-X", "POST", "-H", "Content-Type: application/json"] + auth
                        + ["--data", #"{"tune":{"title":"face","name":"woman","model_type":"faceid","callback":"\#(sink)/tune","image_urls":["https://example.com/a.jpg"],"prompts_attributes":[{"text":"ohwx woman","num_images":2}]}}"#,
                           server.baseURL.absoluteString + "/tunes"])
                #expect(r.status == 201, "\(r.text)")
                let tune = try #require(r.object["id"] as? Int)
                #expect(r.object["trained_at"] is String)
                #expect(r.object["trained_at"] as? String == r.object["created_at"] as? String)
                #expect(await eventually { await server.callbackDeliveries().contains { $0.kind == .tune && $0.tuneID == tune } })
                let prompt = try #require(await server.prompts().first)
                let done = try await finished(server, tune: tune, prompt: prompt.id)
                #expect((done["images"] as? [String])?.count == 2)
            }
        }
    }

    @Test func promptsGivenWithATuneOrPackFinishWithPictures() async throws {
        let folder = try fixtureFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withServer(MockServerOptions()) { receiver throws in
            let sink = receiver.baseURL.absoluteString + "/_mock/callbacks"
            let options = MockServerOptions(
                apiKey: testKey, fastTrainingDuration: .milliseconds(100), fastPromptDuration: .milliseconds(200))
            try await withServer(options) { server throws in
                let pack = try await curl(
                    ["-X", "POST"] + auth
                        + tuneForm(title: "pack", name: "woman", extra: [
                            "tune[branch]=fast", "tune[prompt_attributes][callback]=\(sink)/each",
                            "tune[prompts_callback]=\(sink)/all",
                        ]) + [server.baseURL.absoluteString + "/p/260/tunes"], cwd: folder)
                let tune = try #require(pack.object["id"] as? Int)
                #expect(await eventually { await receiver.receivedCallbacks().contains { $0.path == "/_mock/callbacks/all" } })
                let all = try #require(await receiver.receivedCallbacks().first { $0.path == "/_mock/callbacks/all" })
                let prompts = try #require(try JSONSerialization.jsonObject(with: all.body) as? [[String: Any]])
                #expect(prompts.count == 2)
                for prompt in prompts {
                    #expect(prompt["tune_id"] as? Int == tune)
                    #expect((prompt["images"] as? [String])?.count == PromptValidation.defaultNumImages)
                    #expect(prompt["user_error"] is NSNull)
                }
                #expect(await eventually { await receiver.receivedCallbacks().filter { $0.path == "/_mock/callbacks/each" }.count == 2 })
                #expect(await server.prompts().allSatisfy { $0.createdWithTune })

                // A later prompt does not send the pack's prompts_callback again.
                let later = try await createPrompt(server, tune: tune, ["prompt[text]=ohwx woman", "prompt[num_images]=1"])
                _ = try await finished(server, tune: tune, prompt: try #require(later["id"] as? Int))
                try await Task.sleep(for: .milliseconds(300))
                #expect(await server.callbackDeliveries().filter { $0.kind == .prompts }.count == 1)
                #expect(await receiver.receivedCallbacks().filter { $0.path == "/_mock/callbacks/all" }.count == 1)
            }
        }
    }

    /// The whole path after the upload, as a client runs it: wait for training, create a prompt,
    /// wait for it, download the pictures; polling briskly and honouring 429's Retry-After.
    @Test func wholePathAgainstTheMock() async throws {
        let folder = try fixtureFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let options = MockServerOptions(
            apiKey: testKey, fastTrainingDuration: .seconds(3), fastPromptDuration: .seconds(1),
            minPollInterval: .seconds(2))
        try await withServer(options) { server throws in
            let created = try await curl(
                ["-X", "POST"] + auth + tuneForm(title: "whole path", extra: ["tune[branch]=fast"])
                    + [server.baseURL.absoluteString + "/tunes"], cwd: folder)
            #expect(created.status == 201)
            let tune = try #require(created.object["id"] as? Int)

            /// Polls every 200 ms until `done`, sleeping Retry-After when told to. A poll that
            /// surely came within the interval of the last one let through must be refused,
            /// however slow the machine (measured from before that one was sent).
            var refused = 0
            func poll(_ path: String, until done: ([String: Any]) -> Bool) async throws -> [String: Any] {
                let deadline = ContinuousClock.now + .seconds(60)
                var admittedSince: ContinuousClock.Instant?
                while ContinuousClock.now < deadline {
                    let sent = ContinuousClock.now
                    let r = try await self.poll(server.baseURL.absoluteString + path)
                    if let admittedSince, ContinuousClock.now - admittedSince < .seconds(2) {
                        #expect(r.status == 429, "\(path) polled again within the interval")
                    }
                    if r.status == 429 {
                        refused += 1
                        try await Task.sleep(for: .seconds(try #require(r.retryAfter)))
                        continue
                    }
                    admittedSince = sent
                    #expect(r.status == 200)
                    if done(r.body) { return r.body }
                    try await Task.sleep(for: .milliseconds(200))
                }
                Issue.record("\(path) never got there")
                return [:]
            }
            _ = try await poll("/tunes/\(tune)") { $0["trained_at"] is String }
            let prompt = try await createPrompt(server, tune: tune, ["prompt[text]=ohwx man, corporate headshot", "prompt[num_images]=2"])
            let id = try #require(prompt["id"] as? Int)
            let done = try await poll("/tunes/\(tune)/prompts/\(id)") { !(($0["images"] as? [String]) ?? []).isEmpty }
            let images = try #require(done["images"] as? [String])
            #expect(images.count == 2)
            for image in images {
                let picture = try await curl([image])
                #expect(picture.status == 200)
                #expect(try await decodeJPEG(picture.body) == "JPEG 48x32")
            }
            // Usually a few; none only when every poll took the whole interval (a loaded machine).
            #expect(await server.requests().filter { $0.rateLimited }.count == refused)
        }
    }
}
