@testable import AstriaClient
import AstriaMockServer
import Foundation
import Testing
import TunePrepTestSupport

/// The client against the real in-process AstriaMockServer on loopback (which parses every body
/// with MultipartKit and applies Rails' parameter rules).
@Suite struct CreateTuneTests {
    func images(_ names: [String], size: Int = 3000) throws -> [TuneRequest.Image] {
        let dir = try temporaryFolder()
        return try writeImages(names, in: dir, size: size).map { url throws(AstriaError) in try TuneRequest.Image(path: url.path) }
    }

    @Test func seedPackExampleWithFilesArrivesIntact() async throws {
        try await withServer { server in
            let client = try makeClient(server)
            var request = TuneRequest(title: "John Doe - UUID - 1234-6789-1234-56789", name: "man")
            request.callback = "https://optional-callback-url.com/webhooks/astria?user_id=1"
            request.characteristics = ["eye_color": "blue eyes"]
            request.promptAttributesCallback = "https://optional-callback-url.com/webhooks/astria_prompts?user_id=1"
            request.images = try images(["1.jpg", "2.jpg", "3.jpg", "4.jpg"], size: 50_000)
            let tune = try await client.createTune(request, packID: 260, idempotent: true)
            #expect(tune.title == request.title)
            #expect(tune.name == "man")

            let recorded = try #require(await server.requests().last)
            #expect(recorded.method == "POST" && recorded.path == "/p/260/tunes" && recorded.status == 201)
            #expect(recorded.hadBearerKey)
            #expect(recorded.values("tune[characteristics][eye_color]") == ["blue eyes"])
            #expect(recorded.values("tune[prompt_attributes][callback]") == [request.promptAttributesCallback!])
            #expect(recorded.values("tune[callback]") == [request.callback!])
            #expect(recorded.files.map(\.fieldName) == Array(repeating: "tune[images][]", count: 4))
            #expect(recorded.files.map(\.filename) == ["1.jpg", "2.jpg", "3.jpg", "4.jpg"])
            #expect(recorded.files.map(\.contentType) == Array(repeating: "image/jpeg", count: 4))
            for (file, image) in zip(recorded.files, request.images) {
                #expect(file.sha256 == (try sha256Hex(file: URL(fileURLWithPath: image.path))))
            }
            let stored = try #require(await server.tunes().first)
            #expect(stored.images.count == 4 && stored.packID == 260)
        }
    }

    @Test func seedCreateExampleWithIndexedPrompts() async throws {
        try await withServer { server in
            let client = try makeClient(server)
            var request = TuneRequest(title: "my portrait", name: "man")
            request.branch = "fast"
            request.token = "sks"
            request.callback = "https://optional-callback-url.com/webhooks/astria?user_id=1&tune_id=1"
            request.prompts = [TuneRequest.Prompt(text: "sks man on space circa 1979 on cover of time magazine",
                                                  callback: "https://optional-callback-url.com/webhooks/astria?user_id=1&prompt_id=1&tune_id=1")]
            request.images = try images(["1.jpg", "2.jpg", "3.jpg", "4.jpg"])
            let tune = try await client.createTune(request, idempotent: true)
            #expect(tune.branch == "fast" && tune.token == "sks")
            let recorded = try #require(await server.requests().last)
            #expect(recorded.values("tune[prompts_attributes][0][text]") == [request.prompts[0].text])
            #expect(recorded.values("tune[prompts_attributes][0][callback]") == [request.prompts[0].callback!])
            #expect(await server.tunes().first?.promptTexts == [request.prompts[0].text])
        }
    }

    @Test(arguments: [TuneRequest.BodyEncoding.multipart, .json])
    func seedImageURLExamples(encoding: TuneRequest.BodyEncoding) async throws {
        try await withServer { server in
            let client = try makeClient(server)
            var request = TuneRequest(title: "grumpy cat \(encoding)", name: "cat")
            request.encoding = encoding
            request.branch = "fast"
            request.callback = "https://optional-callback-url.com/to-your-service-when-ready"
            request.imageURLs = Array(repeating: "https://i.imgur.com/HLHBnl9.jpeg", count: 4)
            request.prompts = [TuneRequest.Prompt(text: "sks cat in space", callback: "https://cb/1"),
                               TuneRequest.Prompt(text: "sks cat getting into trouble", callback: "https://cb/2")]
            _ = try await client.createTune(request, idempotent: true)
            let recorded = try #require(await server.requests().last)
            #expect(recorded.contentType?.hasPrefix(encoding == .json ? "application/json" : "multipart/form-data") == true)
            #expect(recorded.files.isEmpty)
            let stored = try #require(await server.tunes().first)
            #expect(stored.imageURLs.count == 4)
            #expect(stored.promptTexts == ["sks cat in space", "sks cat getting into trouble"])
        }
    }

    @Test func bracketPromptsGroupAsRailsDoes() async throws {
        try await withServer { server in
            var request = TuneRequest(title: "brackets", name: "man")
            request.promptForm = .brackets
            request.prompts = [TuneRequest.Prompt(text: "one", callback: "https://cb/1"), TuneRequest.Prompt(text: "two")]
            request.images = try images(["1.jpg", "2.jpg", "3.jpg", "4.jpg"])
            _ = try await makeClient(server).createTune(request, idempotent: true)
            #expect(await server.tunes().first?.promptTexts == ["one", "two"])
        }
    }

    @Test func awkwardFilenamesArriveIntact() async throws {
        // Sent escaped (`"` → %22, CR/LF → %0D%0A, `%` → %25; see MultipartBodyTests), decoded by the
        // mock as Rack decodes them for Rails: the app sees exactly the original names.
        try await withServer { server in
            let dir = try temporaryFolder()
            let urls = try writeImages(["a.jpg", "b.jpg", "c.jpg", "d.jpg"], in: dir)
            let names = ["Zoë \"best\" 1.jpg", "line\r\nbreak.jpg", "100% sure.jpg", "日本語 写真.jpg"]
            var request = TuneRequest(title: "names", name: "woman")
            request.images = try zip(urls, names).map { url, name throws(AstriaError) in
                try TuneRequest.Image(path: url.path, filename: name)
            }
            _ = try await makeClient(server).createTune(request, idempotent: true)
            let recorded = try #require(await server.requests().last)
            #expect(recorded.files.map(\.filename) == names)
            for (file, url) in zip(recorded.files, urls) { #expect(file.sha256 == (try sha256Hex(file: url))) }
            let stored = try #require(await server.tunes().first)
            #expect(stored.images.map(\.filename) == names)
        }
    }

    @Test func progressIsMonotonicAndEndsAtTheTotal() async throws {
        try await withServer { server in
            let request = try {
                var r = TuneRequest(title: "progress", name: "man")
                r.images = try images((1...6).map { "\($0).jpg" }, size: 300_000)
                return r
            }()
            let events = EventRecorder()
            _ = try await makeClient(server).createTune(request, idempotent: true) { events.record($0) }
            let progress = events.progress
            let total = try request.body().totalBytes
            #expect(progress.count >= 2)
            #expect(progress.allSatisfy { $0.totalBytes == total && $0.attempt == 1 && $0.fileCount == 6 })
            #expect(zip(progress, progress.dropFirst()).allSatisfy { $0.bytesSent <= $1.bytesSent })
            #expect(progress.first?.bytesSent == 0)
            #expect(progress.last?.bytesSent == total)
            #expect(progress.filter(\.isComplete).count == 1)
            #expect(progress.compactMap(\.currentFile).first == "1.jpg")
        }
    }

    @Test func listGetDeleteAndPaging() async throws {
        try await withServer { server in
            let client = try makeClient(server)
            var ids: [Int] = []
            for i in 1...5 {
                var request = TuneRequest(title: "list \(i)", name: "dog")
                request.imageURLs = ["https://x/\(i).jpg", "https://x/b.jpg", "https://x/c.jpg", "https://x/d.jpg"]
                ids.append(try await client.createTune(request, idempotent: true).id)
            }
            let page = try await client.listTunes(limit: 2)
            #expect(page.map(\.id) == Array(ids.reversed().prefix(2)))
            let next = try await client.listTunes(limit: 2, beforeID: page.last!.id)
            #expect(next.map(\.id) == Array(ids.reversed().dropFirst(2).prefix(2)))
            let all = try await client.listAllTunes(pageSize: 2)
            #expect(all.map(\.id) == ids.reversed())
            let one = try await client.tune(id: ids[0])
            #expect(one.title == "list 1" && one.createdAt != nil)
            try await client.deleteTune(id: ids[0])
            await #expect(throws: AstriaError.self) { try await client.tune(id: ids[0]) }
            #expect(try await client.listAllTunes().count == 4)
            _ = try await client.packs()
            #expect(!(try await client.packs(gallery: true)).isEmpty)
        }
    }
}
