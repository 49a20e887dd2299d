@testable import AstriaClient
import Foundation
import Synchronization
import Testing
import TunePrepTestSupport
import TunePrepSamples

/// Prompt creation's check before resending, and picture downloads, against scripted peers that
/// record every header (the key must reach the API's host only).
@Suite struct PromptAndDownloadTests {
    func client(_ baseURL: String, maxAttempts: Int = 5) throws -> AstriaAPI {
        var policy = RetryPolicy()
        policy.firstWait = .milliseconds(5)
        policy.idempotentWait = .milliseconds(5)
        policy.maxAttempts = maxAttempts
        return try AstriaAPI(configuration: AstriaConfiguration(baseURL: baseURL, apiKey: APIKey(fakeKey)!, retry: policy))
    }

    /// A service whose first prompt POST creates the prompt and answers 504 (`lose`: the list
    /// does not show it, as if it were never made).
    final class PromptService: Sendable {
        /// Ids of the prompts on the service, newest first.
        let prompts = Mutex<[Int]>([])
        let posts = Mutex(0)
        let lose: Bool
        init(lose: Bool) { self.lose = lose }

        static func prompt(_ id: Int) -> [String: Any] {
            ["id": id, "tune_id": 7, "text": "ohwx man, corporate headshot", "num_images": 4, "images": [String]()]
        }

        func answer(_ hit: ScriptedServer.Hit) -> ScriptedServer.Answer {
            if hit.method == "POST" {
                let n = posts.withLock { $0 += 1; return $0 }
                let id = 40 + n
                if n == 1 {
                    if !lose { prompts.withLock { $0.insert(id, at: 0) } }
                    return .json(["error": "Gateway Timeout"], status: 504)
                }
                prompts.withLock { $0.insert(id, at: 0) }
                return .json(Self.prompt(id), status: 201)
            }
            var list = prompts.withLock { $0 }
            if hit.target.contains("limit=1") { list = Array(list.prefix(1)) }
            return .json(list.map(Self.prompt))
        }
    }

    @Test func aPromptCreatedBeforeA504IsFoundNotMadeTwice() async throws {
        let service = PromptService(lose: false)
        let server = try await ScriptedServer.start { service.answer($0) }
        var request = PromptRequest(text: "ohwx man, corporate headshot")
        request.numImages = 4
        let creation = try await client(server.baseURL).createPrompt(tuneID: 7, request)
        #expect(creation.prompt.id == 41)
        #expect(creation.foundAfterUncertainAttempt)
        #expect(service.posts.withLock { $0 } == 1)
        #expect(service.prompts.withLock { $0.count } == 1)
        // Every request to the API carried the key.
        #expect(server.hits.allSatisfy { $0.headers["authorization"] == "Bearer \(fakeKey)" })
        await server.stop()
    }

    @Test func aPromptNotCreatedBeforeA504IsSentAgainOnce() async throws {
        let service = PromptService(lose: true)
        let server = try await ScriptedServer.start { service.answer($0) }
        let creation = try await client(server.baseURL).createPrompt(tuneID: 7, PromptRequest(text: "ohwx man, corporate headshot"))
        #expect(creation.prompt.id == 42)
        #expect(!creation.foundAfterUncertainAttempt)
        #expect(service.posts.withLock { $0 } == 2)
        #expect(service.prompts.withLock { $0.count } == 1)
        await server.stop()
    }

    @Test func badPromptRequestsAreRefusedBeforeSending() async throws {
        let server = try await ScriptedServer.start { _ in .json([]) }
        let api = try client(server.baseURL)
        var nine = PromptRequest(text: "ohwx man")
        nine.numImages = 9
        for request in [PromptRequest(text: "  "), nine] {
            await #expect {
                _ = try await api.createPrompt(tuneID: 7, request)
            } throws: { error in
                guard case .invalidRequest = error as? AstriaError else { return false }
                return true
            }
        }
        #expect(server.hits.isEmpty)
        await server.stop()
    }

    static func realJPEG(side: Int = 64) throws -> Data {
        let pixels = (0..<side * side * 3).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        return try FixtureEncoder.jpeg(samples: pixels, width: side, height: side)
    }

    @Test func picturesComeFromStorageWithoutTheKeyAcrossRedirects() async throws {
        let jpeg = try Self.realJPEG()
        // Storage B serves the bytes; storage A only redirects there, as a CDN may.
        let storageB = try await ScriptedServer.start { _ in
            ScriptedServer.Answer(status: 200, headers: ["Content-Type": "image/jpeg"], body: jpeg)
        }
        let storageA = try await ScriptedServer.start { hit in
            ScriptedServer.Answer(status: 302, headers: ["Location": storageB.baseURL + "/real" + hit.target])
        }
        let api = try await ScriptedServer.start { _ in .json([]) }
        let folder = try temporaryFolder("download")
        var prompt = Prompt(id: 41, tuneId: 7, text: "ohwx man")
        // A hostile path must not place a file: the name comes from the ids.
        prompt.images = [storageA.baseURL + "/a/1.jpg", storageA.baseURL + "/../../../etc/passwd"]
        let report = try await client(api.baseURL).downloadPictures(of: [prompt], to: folder.path)
        #expect(report.failed.isEmpty, "\(report.failed)")
        #expect(report.saved.map { URL(fileURLWithPath: $0.path).lastPathComponent } == ["prompt-41-1.jpg", "prompt-41-2.jpg"])
        for file in report.saved { #expect(try Data(contentsOf: URL(fileURLWithPath: file.path)) == jpeg) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["prompt-41-1.jpg", "prompt-41-2.jpg"])
        #expect(storageA.hits.count == 2 && storageB.hits.count == 2)
        for hit in storageA.hits + storageB.hits {
            #expect(hit.headers["authorization"] == nil, "the key went to storage: \(hit.target)")
            #expect(!hit.headers.values.contains { $0.contains(fakeKey) })
        }
        #expect(api.hits.isEmpty)

        // A second run fetches nothing.
        let again = try await client(api.baseURL).downloadPictures(of: [prompt], to: folder.path)
        #expect(again.saved.isEmpty && again.alreadyThere.count == 2)
        #expect(storageA.hits.count == 2)
        for server in [storageA, storageB, api] { await server.stop() }
    }

    @Test func theAPIsRedirectsAreNotFollowedWithTheKey() async throws {
        let elsewhere = try await ScriptedServer.start { _ in .json(["id": 7]) }
        let api = try await ScriptedServer.start { _ in
            ScriptedServer.Answer(status: 302, headers: ["Location": elsewhere.baseURL + "/tunes/7"])
        }
        await #expect(throws: AstriaError.self) { _ = try await client(api.baseURL).tune(id: 7) }
        #expect(api.hits.count == 1 && api.hits[0].headers["authorization"] == "Bearer \(fakeKey)")
        #expect(elsewhere.hits.isEmpty)
        await api.stop()
        await elsewhere.stop()
    }

    @Test func badPicturesAreReportedOthersSaved() async throws {
        let jpeg = try Self.realJPEG()
        let flaky = Mutex(0)
        let storage = try await ScriptedServer.start { hit in
            switch hit.target {
            case "/html": return ScriptedServer.Answer(status: 200, headers: ["Content-Type": "text/html"], body: Data("<html>".utf8))
            case "/big": return ScriptedServer.Answer(status: 200, headers: ["Content-Type": "image/jpeg"], body: Data(count: 300_000))
            case "/cut": return ScriptedServer.Answer(status: 200, headers: ["Content-Type": "image/jpeg"], body: jpeg.prefix(jpeg.count - 40))
            case "/forbidden": return ScriptedServer.Answer(status: 403, headers: ["Content-Type": "application/xml"], body: Data("<Error>AccessDenied</Error>".utf8))
            case "/flaky":
                if flaky.withLock({ $0 += 1; return $0 }) == 1 { return ScriptedServer.Answer(status: 503) }
                return ScriptedServer.Answer(status: 200, headers: ["Content-Type": "binary/octet-stream"], body: jpeg)
            default: return ScriptedServer.Answer(status: 200, headers: ["Content-Type": "image/jpeg"], body: jpeg)
            }
        }
        let folder = try temporaryFolder("download")
        // A temporary file of a killed run (no such process) is removed; a live one's is kept.
        let dead = folder.appendingPathComponent(".prompt-1-1.part-999999999-1")
        let live = folder.appendingPathComponent(".prompt-1-2.part-\(getpid())-1")
        try Data("x".utf8).write(to: dead)
        try Data("x".utf8).write(to: live)
        var prompt = Prompt(id: 5, tuneId: 7)
        prompt.images = ["/ok", "/html", "/big", "/cut", "/forbidden", "/flaky"].map { storage.baseURL + $0 } + ["file:///etc/passwd"]
        var options = DownloadOptions()
        options.maxPictureBytes = 200_000
        options.concurrency = 2
        let report = try await client(storage.baseURL, maxAttempts: 3).downloadPictures(of: [prompt], to: folder.path, options: options)
        #expect(report.saved.map(\.index) == [1, 6])
        let reasons = Dictionary(uniqueKeysWithValues: report.failed.map { ($0.index, $0.reason) })
        #expect(reasons[2]?.contains("served as text/html") == true, "\(reasons)")
        #expect(reasons[3]?.contains("larger than 200000 bytes") == true, "\(reasons)")
        #expect(reasons[4]?.contains("cut short") == true, "\(reasons)")
        #expect(reasons[5]?.contains("the storage answered 403") == true, "\(reasons)")
        #expect(reasons[7]?.contains("not an http or https URL") == true, "\(reasons)")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(names == [live.lastPathComponent, "prompt-5-1.jpg", "prompt-5-6.jpg"], "\(names)")
        await storage.stop()
    }
}
