import AstriaMockServer
import Foundation
import Testing

/// The service's own curl examples (seeds/), sent verbatim by the real curl; only the host differs
/// (`https://api.astria.ai` → `$BASE`, the mock's address).
@Suite struct SeedExampleTests {
    /// Runs a documentation snippet with bash in a folder holding 1.jpg ... 4.jpg.
    func runSnippet(_ snippet: String, server: MockAstriaServer, folder: URL) async throws -> ProcessResult {
        let script = snippet.replacingOccurrences(of: "https://api.astria.ai", with: "$BASE")
        let result = try await runProcess(
            "/bin/bash", ["-c", script], cwd: folder,
            environment: ["API_KEY": testKey, "BASE": server.baseURL.absoluteString]
        )
        #expect(result.exitCode == 0, "curl failed: \(result.stderr)")
        return result
    }

    func json(_ result: ProcessResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any], "\(result.text)")
    }

    /// Seed 004, "POST /tunes" with images as multipart/form-data.
    @Test func createTuneWithImageFiles() async throws {
        let folder = try fixtureFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withServer(MockServerOptions(apiKey: testKey, deliverCallbacks: false)) { server throws in
            let result = try await runSnippet(
                #"""
                # With images as multipart/form-data
                curl -X POST -H "Authorization: Bearer $API_KEY" https://api.astria.ai/tunes \
                          -F tune[callback]="https://optional-callback-url.com/webhooks/astria?user_id=1&tune_id=1" \
                          -F tune[title]="my portrait" \
                          -F tune[branch]="fast" \
                          -F tune[name]=man \
                          -F tune[token]=sks \
                          -F "tune[prompts_attributes][0][text]=sks man on space circa 1979 on cover of time magazine" \
                          -F tune[prompts_attributes][0][callback]="https://optional-callback-url.com/webhooks/astria?user_id=1&prompt_id=1&tune_id=1" \
                          -F "tune[images][]=@1.jpg" \
                          -F "tune[images][]=@2.jpg" \
                          -F "tune[images][]=@3.jpg" \
                          -F "tune[images][]=@4.jpg"
                """#, server: server, folder: folder)
            let request = try #require(await server.requests().last)
            #expect(request.status == 201)
            #expect(request.method == "POST" && request.path == "/tunes")
            #expect(request.values("tune[title]") == ["my portrait"])
            #expect(request.values("tune[branch]") == ["fast"])
            #expect(request.values("tune[name]") == ["man"])
            #expect(request.values("tune[token]") == ["sks"])
            #expect(request.values("tune[callback]") == ["https://optional-callback-url.com/webhooks/astria?user_id=1&tune_id=1"])
            #expect(request.values("tune[prompts_attributes][0][text]") == ["sks man on space circa 1979 on cover of time magazine"])
            #expect(request.values("tune[prompts_attributes][0][callback]") == ["https://optional-callback-url.com/webhooks/astria?user_id=1&prompt_id=1&tune_id=1"])
            #expect(request.files.count == 4)
            for (i, file) in request.files.enumerated() {
                let source = folder.appendingPathComponent("\(i + 1).jpg")
                #expect(file.fieldName == "tune[images][]")
                #expect(file.filename == "\(i + 1).jpg")
                #expect(file.contentType == "image/jpeg")
                #expect(file.byteCount == (try Data(contentsOf: source)).count)
                #expect(file.sha256 == (try await sha256sum(source)))
            }

            let tune = try json(result)
            #expect(tune["title"] as? String == "my portrait")
            #expect(tune["name"] as? String == "man")
            #expect(tune["token"] as? String == "sks")
            #expect(tune["branch"] as? String == "fast")
            #expect(tune["trained_at"] is NSNull)
            let images = try #require(tune["orig_images"] as? [String])
            #expect(images.count == 4)
            // The stored images are served back byte for byte.
            for (i, url) in images.enumerated() {
                let served = try await curl([url])
                #expect(served.status == 200)
                #expect(served.body == (try Data(contentsOf: folder.appendingPathComponent("\(i + 1).jpg"))))
            }
            let stored = try #require(await server.tunes().first)
            #expect(stored.promptTexts == ["sks man on space circa 1979 on cover of time magazine"])
        }
    }

    /// Seed 004, "POST /tunes" with image_urls as form-data.
    @Test func createTuneWithImageURLs() async throws {
        let folder = try fixtureFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withServer(MockServerOptions(apiKey: testKey, deliverCallbacks: false)) { server throws in
            let result = try await runSnippet(
                #"""
                # With image_urls as form-data
                curl -X POST -H "Authorization: Bearer $API_KEY" https://api.astria.ai/tunes \
                          -F tune[callback]="https://optional-callback-url.com/to-your-service-when-ready" \
                          -F tune[title]="grumpy cat" \
                          -F tune[branch]="fast" \
                          -F tune[name]=cat \
                          -F tune[token]=sks \
                          -F "tune[image_urls][]=https://i.imgur.com/HLHBnl9.jpeg" \
                          -F "tune[image_urls][]=https://i.imgur.com/HLHBnl9.jpeg" \
                          -F "tune[image_urls][]=https://i.imgur.com/HLHBnl9.jpeg" \
                          -F "tune[image_urls][]=https://i.imgur.com/HLHBnl9.jpeg"
                """#, server: server, folder: folder)
            let request = try #require(await server.requests().last)
            #expect(request.status == 201)
            #expect(request.values("tune[image_urls][]") == Array(repeating: "https://i.imgur.com/HLHBnl9.jpeg", count: 4))
            #expect(request.files.isEmpty)
            let tune = try json(result)
            #expect(tune["title"] as? String == "grumpy cat")
            #expect(tune["name"] as? String == "cat")
            #expect((tune["orig_images"] as? [String])?.count == 4)
        }
    }

    /// Seed 004, "POST /tunes" as JSON.
    @Test func createTuneAsJSON() async throws {
        let folder = try fixtureFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withServer(MockServerOptions(apiKey: testKey, deliverCallbacks: false)) { server throws in
            let result = try await runSnippet(
                #"""
                # As JSON
                cat > data.json <<- EOM
                {
                  "tune": {
                    "name": "cat",
                    "branch": "fast",
                    "callback": "https://optional-callback-url.com/to-your-service-when-ready?user_id=1&tune_id=1",
                    "image_urls": [
                      "https://i.imgur.com/HLHBnl9.jpeg",
                      "https://i.imgur.com/HLHBnl9.jpeg",
                      "https://i.imgur.com/HLHBnl9.jpeg",
                      "https://i.imgur.com/HLHBnl9.jpeg"
                    ],
                    "title": "grumpy cat with prompts",
                    "prompts_attributes": [
                      {
                        "text": "sks cat in space circa 1979 French illustration",
                        "callback": "https://optional-callback-url.com/to-your-service-when-ready?user_id=1&tune_id=1&prompt_id=1"
                      },
                      {
                        "text": "sks cat getting into trouble viral meme",
                        "callback": "https://optional-callback-url.com/to-your-service-when-ready?user_id=1&tune_id=1&prompt_id=1"
                      }
                    ]
                  }
                }
                EOM

                curl -X POST -H"Content-Type: application/json" -H "Authorization: Bearer $API_KEY" --data @data.json  https://api.astria.ai/tunes          
                """#, server: server, folder: folder)
            let request = try #require(await server.requests().last)
            #expect(request.status == 201)
            #expect(request.values("tune[title]") == ["grumpy cat with prompts"])
            #expect(request.values("tune[prompts_attributes][][text]") == [
                "sks cat in space circa 1979 French illustration", "sks cat getting into trouble viral meme",
            ])
            let tune = try json(result)
            #expect(tune["title"] as? String == "grumpy cat with prompts")
            #expect(tune["branch"] as? String == "fast")
            let stored = try #require(await server.tunes().first)
            #expect(stored.promptTexts.count == 2)
            #expect(stored.imageURLs.count == 4)
        }
    }

    /// Seed 000, "POST /p/:pack_id/tunes" with images. The published page shows the image lines
    /// mangled by an e-mail obfuscator (`tune[images][][email protected]`); they are restored
    /// here to the `tune[images][]=@1.jpg` form the /tunes example uses.
    @Test func createPackTuneWithImageFiles() async throws {
        let folder = try fixtureFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withServer(MockServerOptions(apiKey: testKey, deliverCallbacks: false)) { server throws in
            let result = try await runSnippet(
                #"""
                # With images as multipart/form-data
                # Hard coded pack id 260 for corporate headshots from the gallery - https://www.astria.ai/gallery/packs.json
                # https://www.astria.ai/gallery/tunes/690204/prompts
                curl -X POST -H "Authorization: Bearer $API_KEY" https://api.astria.ai/p/260/tunes \
                -F tune[title]="John Doe - UUID - 1234-6789-1234-56789" \
                -F tune[name]=man \
                -F tune[callback]="https://optional-callback-url.com/webhooks/astria?user_id=1" \
                -F tune[characteristics][eye_color]="blue eyes" \
                -F tune[prompt_attributes][callback]="https://optional-callback-url.com/webhooks/astria_prompts?user_id=1" \
                -F "tune[images][]=@1.jpg" \
                -F "tune[images][]=@2.jpg" \
                -F "tune[images][]=@3.jpg" \
                -F "tune[images][]=@4.jpg"
                """#, server: server, folder: folder)
            let request = try #require(await server.requests().last)
            #expect(request.status == 201)
            #expect(request.path == "/p/260/tunes")
            #expect(request.values("tune[characteristics][eye_color]") == ["blue eyes"])
            #expect(request.values("tune[prompt_attributes][callback]") == ["https://optional-callback-url.com/webhooks/astria_prompts?user_id=1"])
            #expect(request.files.map(\.filename) == ["1.jpg", "2.jpg", "3.jpg", "4.jpg"])
            for (i, file) in request.files.enumerated() {
                #expect(file.sha256 == (try await sha256sum(folder.appendingPathComponent("\(i + 1).jpg"))))
            }
            let tune = try json(result)
            #expect(tune["title"] as? String == "John Doe - UUID - 1234-6789-1234-56789")
            #expect(tune["pack_id"] as? Int == 260)
            #expect((tune["characteristics"] as? [String: Any])?["eye_color"] as? String == "blue eyes")
            let stored = try #require(await server.tunes().first)
            #expect(!stored.promptTexts.isEmpty)
            #expect(stored.promptTexts.allSatisfy { $0.contains("blue eyes") && $0.hasPrefix("ohwx man") })
        }
    }

    /// Seed 000, "POST /p/:pack_id/tunes" with image_urls, then as JSON (both send `name=cat`).
    @Test func createPackTuneWithImageURLsAndAsJSON() async throws {
        let folder = try fixtureFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withServer(MockServerOptions(apiKey: testKey, deliverCallbacks: false)) { server throws in
            let form = try await runSnippet(
                #"""
                # With image_urls as form-data
                curl -X POST -H "Authorization: Bearer $API_KEY" https://api.astria.ai/p/260/tunes \
                -F tune[title]="Grumpy cat - UUID - 1234-6789-1234-56789" \
                -F tune[name]=cat \
                -F tune[callback]="https://optional-callback-url.com/to-your-service-when-ready?user_id=1" \
                -F tune[prompt_attributes][callback]="https://optional-callback-url.com/webhooks/astria_prompts?user_id=1" \
                -F "tune[image_urls][]=https://i.imgur.com/HLHBnl9.jpeg" \
                -F "tune[image_urls][]=https://i.imgur.com/HLHBnl9.jpeg" \
                -F "tune[image_urls][]=https://i.imgur.com/HLHBnl9.jpeg" \
                -F "tune[image_urls][]=https://i.imgur.com/HLHBnl9.jpeg"
                """#, server: server, folder: folder)
            #expect(await server.requests().last?.status == 201)
            #expect(try json(form)["title"] as? String == "Grumpy cat - UUID - 1234-6789-1234-56789")

            let body = try await runSnippet(
                #"""
                # As JSON
                cat > data.json <<- EOM
                {
                "tune": {
                "title": "Grumpy Cat - UUID - 1234-6789-1234-56789",
                "name": "cat",
                "callback": "https://optional-callback-url.com/to-your-service-when-ready?user_id=1",
                "characteristics": {"eye_color": "blue eyes"},
                "prompt_attributes": {
                "callback": "https://optional-callback-url.com/webhooks/astria_prompts?user_id=1"
                },
                "image_urls": [
                "https://i.imgur.com/HLHBnl9.jpeg",
                "https://i.imgur.com/HLHBnl9.jpeg",
                "https://i.imgur.com/HLHBnl9.jpeg",
                "https://i.imgur.com/HLHBnl9.jpeg"
                ]
                }
                }
                EOM

                # Hard coded pack id 260 for corporate headshots from the gallery - https://www.astria.ai/gallery/packs.json
                curl -X POST -H"Content-Type: application/json" -H "Authorization: Bearer $API_KEY" --data @data.json https://api.astria.ai/p/260/tunes
                """#, server: server, folder: folder)
            let request = try #require(await server.requests().last)
            #expect(request.status == 201)
            #expect(request.values("tune[characteristics][eye_color]") == ["blue eyes"])
            let tune = try json(body)
            #expect(tune["title"] as? String == "Grumpy Cat - UUID - 1234-6789-1234-56789")
            #expect(await server.tunes().count == 2)
        }
    }

    /// Seed 004, "GET /tunes": every field of the documented tune object is present.
    @Test func listTunes() async throws {
        let folder = try fixtureFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withServer(MockServerOptions(apiKey: testKey, deliverCallbacks: false)) { server throws in
            _ = try await curl(["-X", "POST"] + auth + tuneForm(title: "first") + [server.baseURL.absoluteString + "/tunes"], cwd: folder)
            let result = try await runSnippet(
                #"""
                curl -X GET -H "Authorization: Bearer $API_KEY" https://api.astria.ai/tunes
                """#, server: server, folder: folder)
            let list = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [[String: Any]])
            #expect(list.count == 1)
            let tune = try #require(list.first)
            let documented = [
                "id", "title", "name", "is_api", "token", "base_tune_id", "args", "steps", "face_crop", "ckpt_url",
                "ckpt_urls", "eta", "trained_at", "started_training_at", "expires_at", "created_at", "branch",
                "model_type", "updated_at", "url", "orig_images",
            ]
            for key in documented { #expect(tune.keys.contains(key), "missing \(key)") }
            let time = #/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/#
            for key in ["eta", "created_at", "updated_at", "started_training_at"] {
                let value = try #require(tune[key] as? String)
                #expect(value.wholeMatch(of: time) != nil, "\(key)=\(value)")
            }
        }
    }
}
