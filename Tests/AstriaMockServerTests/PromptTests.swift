@testable import AstriaMockServer
import Foundation
import Testing

/// Prompts as a client sees them through curl: creation, validation, paging, deletion.
@Suite struct PromptTests {
    /// A tune made from an image URL (JSON), as quick to create as it gets.
    static func createTune(_ server: MockAstriaServer, title: String, extra: String = "") async throws -> Int {
        let r = try await curl(
            ["-X", "POST", "-H", "Content-Type: application/json"] + auth
                + ["--data", #"{"tune":{"title":"\#(title)","name":"man","image_urls":["https://example.com/a.jpg"]\#(extra)}}"#,
                   server.baseURL.absoluteString + "/tunes"])
        #expect(r.status == 201, "\(r.text)")
        return try #require(r.object["id"] as? Int)
    }

    static func promptsURL(_ server: MockAstriaServer, _ tune: Int) -> String {
        server.baseURL.absoluteString + "/tunes/\(tune)/prompts"
    }

    /// `prompt[...]` form fields as curl -F arguments.
    static func form(_ fields: [String]) -> [String] { fields.flatMap { ["-F", $0] } }

    static func ids(_ r: CurlResponse) -> [Int] { r.array.compactMap { $0["id"] as? Int } }

    @Test func createInEveryEncodingEchoesTheSettings() async throws {
        try await withServer { server throws in
            let tune = try await Self.createTune(server, title: "prompts", extra: #","characteristics":{"place":"Paris"}"#)
            let url = Self.promptsURL(server, tune)

            let multipart = try await curl(
                ["-X", "POST"] + auth
                    + Self.form([
                        "prompt[text]=ohwx {{name}} in {{place}}", "prompt[num_images]=2", "prompt[negative_prompt]=blurry",
                        "prompt[callback]=https://example.com/hook?user_id=1", "prompt[seed]=42", "prompt[w]=512",
                        "prompt[h]=768", "prompt[cfg_scale]=7.5", "prompt[steps]=30", "prompt[super_resolution]=true",
                        "prompt[face_correct]=0", "prompt[scheduler]=euler_a", "prompt[not_a_setting]=x",
                    ]) + [url])
            #expect(multipart.status == 201, "\(multipart.text)")
            let p = multipart.object
            #expect(p["tune_id"] as? Int == tune)
            #expect(p["text"] as? String == "ohwx man in Paris")
            #expect(p["negative_prompt"] as? String == "blurry")
            #expect(p["num_images"] as? Int == 2)
            #expect(p["callback"] as? String == "https://example.com/hook?user_id=1")
            #expect(p["seed"] as? Int == 42 && p["w"] as? Int == 512 && p["h"] as? Int == 768 && p["steps"] as? Int == 30)
            #expect(p["cfg_scale"] as? Double == 7.5)
            #expect(p["super_resolution"] as? Bool == true && p["face_correct"] as? Bool == false)
            #expect(p["scheduler"] as? String == "euler_a")
            #expect(p["not_a_setting"] == nil)
            #expect((p["images"] as? [Any])?.isEmpty == true)
            #expect(p["user_error"] is NSNull && p["trained_at"] is NSNull)
            #expect(p["created_at"] is String && p["updated_at"] is String)
            let id = try #require(p["id"] as? Int)
            #expect(p["url"] as? String == "\(url)/\(id).json")

            let form = try await curl(
                ["-X", "POST"] + auth
                    + ["--data-urlencode", "prompt[text]=ohwx man, corporate headshot", "--data-urlencode", "prompt[num_images]=3", url])
            #expect(form.status == 201, "\(form.text)")
            #expect(form.object["num_images"] as? Int == 3)
            #expect(form.object["seed"] is NSNull)

            let json = try await curl(
                ["-X", "POST", "-H", "Content-Type: application/json"] + auth
                    + ["--data", #"{"prompt":{"text":"ohwx man on a boat","num_images":8,"cfg_scale":3,"face_swap":true}}"#, url])
            #expect(json.status == 201, "\(json.text)")
            #expect(json.object["num_images"] as? Int == 8 && json.object["face_swap"] as? Bool == true)
            #expect(json.object["cfg_scale"] as? Double == 3)

            // Rails' wrap_parameters: a JSON body without `prompt` is the prompt itself. No
            // num_images: the mock's documented default.
            let bare = try await curl(
                ["-X", "POST", "-H", "Content-Type: application/json"] + auth + ["--data", #"{"text":"ohwx man"}"#, url])
            #expect(bare.status == 201, "\(bare.text)")
            #expect(bare.object["num_images"] as? Int == PromptValidation.defaultNumImages)
            #expect(PromptValidation.defaultNumImages == 4)

            // Not idempotent: the same request twice makes two prompts.
            let again = try await curl(
                ["-X", "POST", "-H", "Content-Type: application/json"] + auth + ["--data", #"{"text":"ohwx man"}"#, url])
            #expect(again.status == 201)
            #expect(again.object["id"] as? Int != bare.object["id"] as? Int)
            #expect(await server.prompts().count == 5)
            #expect(await server.prompts().map(\.id) == [5, 4, 3, 2, 1])
        }
    }

    @Test func refusedAsTheServiceWould() async throws {
        try await withServer { server throws in
            let tune = try await Self.createTune(server, title: "refusals")
            let url = Self.promptsURL(server, tune)
            func post(_ fields: [String], to target: String? = nil) async throws -> CurlResponse {
                try await curl(["-X", "POST"] + auth + Self.form(fields) + [target ?? url])
            }
            let blank = try await post(["prompt[text]= ", "prompt[num_images]=2"])
            #expect(blank.status == 422)
            #expect(blank.object["text"] as? [String] == ["can't be blank"], "\(blank.text)")
            #expect(try await post(["prompt[text]=x", "prompt[num_images]=0"]).object["num_images"] as? [String]
                == ["must be greater than or equal to 1"])
            #expect(try await post(["prompt[text]=x", "prompt[num_images]=9"]).object["num_images"] as? [String]
                == ["must be less than or equal to 8"])
            #expect(try await post(["prompt[text]=x", "prompt[num_images]=two"]).object["num_images"] as? [String] == ["is not a number"])
            #expect(try await post(["prompt[text]=x", "prompt[num_images]=2.5"]).object["num_images"] as? [String] == ["must be an integer"])
            let badCallback = try await post(["prompt[text]=x", "prompt[callback]=not a url", "prompt[seed]=abc"])
            #expect(badCallback.status == 422)
            #expect(badCallback.object["callback"] as? [String] == ["is not a valid URL"])
            #expect(badCallback.object["seed"] as? [String] == ["is not a number"])
            let missing = try await curl(["-X", "POST"] + auth + ["--data-urlencode", "title=x", url])
            #expect(missing.status == 400, "\(missing.text)")

            let noTune = try await post(["prompt[text]=x"], to: Self.promptsURL(server, 999))
            #expect(noTune.status == 404)
            #expect(noTune.object["error"] as? String == "Not found")
            #expect(try await curl(auth + [Self.promptsURL(server, 999)]).status == 404)
            #expect(try await curl(["-X", "POST"] + Self.form(["prompt[text]=x"]) + [url]).status == 401)
            #expect(await server.prompts().isEmpty)
        }
    }

    @Test func listPagesShowsAndDeletes() async throws {
        try await withServer { server throws in
            // Two prompts come with the tune; they list with the rest.
            let tune = try await Self.createTune(
                server, title: "paging", extra: #","prompts_attributes":[{"text":"first","num_images":2},{"text":"second"}]"#)
            let other = try await Self.createTune(server, title: "other")
            let url = Self.promptsURL(server, tune)
            for i in 1...23 {
                #expect(try await curl(["-X", "POST"] + auth + Self.form(["prompt[text]=p\(i)"]) + [url]).status == 201)
            }
            let all = try await curl(auth + [url])
            #expect(all.status == 200)
            #expect(Self.ids(all) == Array((6...25).reversed()))  // default limit 20, newest first
            #expect(Self.ids(try await curl(auth + [url + "?limit=500"])).count == 25)  // capped at 120
            #expect(Self.ids(try await curl(auth + [url + "?limit=3"])) == [25, 24, 23])
            #expect(Self.ids(try await curl(auth + [url + "?limit=3&before_id=4"])) == [3, 2, 1])
            #expect(Self.ids(try await curl(auth + [url + "?limit=2&offset=22"])) == [3, 2])
            let withTune = try await curl(auth + [url + "?before_id=3"])
            #expect(withTune.array.map { $0["text"] as? String } == ["second", "first"])
            #expect(withTune.array.last?["num_images"] as? Int == 2)
            #expect(try await curl(auth + [url + "?offset=10000"]).array.isEmpty)
            let tooFar = try await curl(auth + [url + "?offset=10001"])
            #expect(tooFar.status == 400 && tooFar.object["error"] != nil)
            #expect(try await curl(auth + [url + "?limit=0"]).status == 400)
            #expect(try await curl(auth + [url + "?before_id=x"]).status == 400)
            #expect(try await curl(auth + [Self.promptsURL(server, other)]).array.isEmpty)

            let shown = try await curl(auth + [url + "/7"])
            #expect(shown.status == 200 && shown.object["text"] as? String == "p5")
            #expect(try await curl(auth + [url + "/7.json"]).object["id"] as? Int == 7)  // the prompt's `url`
            #expect(try await curl(auth + [Self.promptsURL(server, other) + "/7"]).status == 404)  // not that tune's
            #expect(try await curl(auth + [url + "/999"]).status == 404)
            #expect(try await curl(["-X", "DELETE"] + auth + [Self.promptsURL(server, other) + "/7"]).status == 404)
            let deleted = try await curl(["-X", "DELETE"] + auth + [url + "/7"])
            #expect(deleted.status == 200 && deleted.object["id"] as? Int == 7)
            #expect(try await curl(auth + [url + "/7"]).status == 404)
            #expect(try await curl(["-X", "DELETE"] + auth + [url + "/7"]).status == 404)
            #expect(!Self.ids(try await curl(auth + [url + "?limit=100"])).contains(7))
            #expect(await server.prompts().count == 24)

            // Deleting the tune takes its prompts.
            #expect(try await curl(["-X", "DELETE"] + auth + [server.baseURL.absoluteString + "/tunes/\(tune)"]).status == 200)
            #expect(try await curl(auth + [url + "/8"]).status == 404)
            #expect(await server.prompts().isEmpty)
        }
    }

    @Test func faultsCanHitPromptCreation() async throws {
        // `prompts` scope: the tune's creation is not in scope, the prompt's is. 504 after
        // processing leaves exactly one prompt; `drop` leaves none.
        let plan = FaultPlan(script: [.timeoutAfterProcessing, .drop], scope: .createPrompt)
        try await withServer(MockServerOptions(apiKey: testKey, faults: plan)) { server throws in
            let tune = try await Self.createTune(server, title: "faults")
            let url = Self.promptsURL(server, tune)
            let timedOut = try await curl(["-X", "POST"] + auth + Self.form(["prompt[text]=ohwx man"]) + [url])
            #expect(timedOut.status == 504)
            #expect(await server.prompts().count == 1)  // processed despite the 504
            #expect(Self.ids(try await curl(auth + [url])).count == 1)
            let dropped = try await curl(["-X", "POST"] + auth + Self.form(["prompt[text]=ohwx man"]) + [url])
            #expect(dropped.status == 0 || dropped.status == 100, "\(dropped.status)")
            #expect(await server.prompts().count == 1)
            #expect(try await curl(["-X", "POST"] + auth + Self.form(["prompt[text]=ohwx man"]) + [url]).status == 201)
            #expect(await server.prompts().count == 2)
            #expect(await server.requests().compactMap(\.fault) == [.timeoutAfterProcessing, .drop])
        }
        // The default scope leaves prompt creation alone; `posts` takes both.
        #expect(FaultPlan.Scope.createTune.covers(method: "POST", path: "/tunes"))
        #expect(FaultPlan.Scope.createTune.covers(method: "POST", path: "/p/260/tunes"))
        #expect(!FaultPlan.Scope.createTune.covers(method: "POST", path: "/tunes/1/prompts"))
        #expect(FaultPlan.Scope.createPrompt.covers(method: "POST", path: "/tunes/1/prompts"))
        #expect(!FaultPlan.Scope.createPrompt.covers(method: "POST", path: "/tunes"))
        #expect(!FaultPlan.Scope.createPrompt.covers(method: "GET", path: "/tunes/1/prompts"))
        #expect(FaultPlan.Scope.createAny.covers(method: "POST", path: "/tunes"))
        #expect(FaultPlan.Scope.createAny.covers(method: "POST", path: "/tunes/1/prompts"))
        #expect(!FaultPlan.Scope.createAny.covers(method: "DELETE", path: "/tunes/1"))
        #expect(FaultPlan.Scope.allRequests.covers(method: "GET", path: "/tunes/1"))
        #expect(FaultPlan.Scope(rawValue: "posts") == .createAny && FaultPlan.Scope(rawValue: "prompts") == .createPrompt)
    }
}
