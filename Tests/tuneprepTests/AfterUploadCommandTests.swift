import AstriaClient
import AstriaMockServer
import Foundation
import Testing
import TunePrepTestSupport

/// `tuneprep tunes wait` and `prompts`, run as the built binary against scripted services: how a
/// wait ends (exit status and words), its JSON events, and a stop that says how to resume.
@Suite struct AfterUploadCommandTests {
    let runner = SubmitCommandTests()

    static func tune(_ id: Int, eta: Date?, trained: Date? = nil) -> ScriptedServer.Answer {
        let fields: [String: Any] = [
            "id": id, "title": "tp-wait", "eta": eta.map(AstriaDate.format) as Any? ?? NSNull(),
            "trained_at": trained.map(AstriaDate.format) as Any? ?? NSNull(),
        ]
        return .json(fields)
    }

    @Test func waitsEndWithTheirOwnStatus() async throws {
        let now = Date()
        let server = try await ScriptedServer.start { hit in
            switch hit.target {
            case "/tunes/1": return Self.tune(1, eta: now.addingTimeInterval(-60), trained: now.addingTimeInterval(-30))
            case "/tunes/2": return Self.tune(2, eta: now.addingTimeInterval(-3 * 3600))
            case "/tunes/3": return Self.tune(3, eta: now.addingTimeInterval(3600))
            default: return .json(["error": "Not found"], status: 404)
            }
        }
        let base = ["--base-url", server.baseURL]
        let trained = try await runner.tuneprep(["tunes", "wait", "1"] + base)
        #expect(trained.code == 0 && trained.stdout.contains("tune 1 trained at"), "\(trained.all)")
        let overdue = try await runner.tuneprep(["tunes", "wait", "2", "--overdue-after", "90"] + base)
        #expect(overdue.code == 9 && overdue.stderr.contains("tune 2 is not trained 3 h "), "\(overdue.all)")
        let notOverdueYet = try await runner.tuneprep(["tunes", "wait", "2", "--overdue-after", "240", "--timeout", "1"] + base)
        #expect(notOverdueYet.code == 11 && notOverdueYet.stderr.contains("stopped waiting for tune 2 after 1 s"), "\(notOverdueYet.all)")
        let gone = try await runner.tuneprep(["tunes", "wait", "4"] + base)
        #expect(gone.code == 10 && gone.stderr.contains("tune 4 does not exist (404)"), "\(gone.all)")
        // Several ids: each is waited for; the first failure decides the status.
        let several = try await runner.tuneprep(["tunes", "wait", "1", "4"] + base)
        #expect(several.code == 10 && several.stdout.contains("tune 1 trained"), "\(several.all)")
        // A tune whose eta is an hour away is not polled again before it: one request, then the timeout.
        // (The first answer must come within the limit for the wait to begin: 5 s leaves room for a
        // loaded CI machine.)
        let before = server.hits.filter { $0.target == "/tunes/3" }.count
        let early = try await runner.tuneprep(["tunes", "wait", "3", "--timeout", "5", "--json"] + base)
        #expect(early.code == 11, "\(early.all)")
        // The time limit ends the wait with one last look at its end.
        #expect(server.hits.filter { $0.target == "/tunes/3" }.count - before == 2)
        let events = early.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(events.first?["event"] as? String == "polled")
        #expect(events.contains { $0["event"] as? String == "waiting" && ($0["reason"] as? String) == "until the eta" })
        for run in [trained, overdue, gone, early] { #expect(!run.all.contains(fakeKey)) }
        await server.stop()
    }

    @Test func ctrlCDuringAWaitSaysHowToResume() async throws {
        let server = try await ScriptedServer.start { _ in Self.tune(7, eta: Date().addingTimeInterval(3600)) }
        let run = try await runner.tuneprep(["tunes", "wait", "7", "--base-url", server.baseURL], interruptOn: "tune 7")
        #expect(run.code == 130, "\(run.all)")
        #expect(run.stderr.contains("interrupted") && run.stderr.contains("to go on waiting: tuneprep tunes wait 7"), "\(run.stderr)")
        await server.stop()
    }

    /// The repository's sample photos, which `prepare` stages.
    static var samples: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("samples")
    }

    /// Pillow, an independent decoder, opens every file and reads every pixel: "JPEG WxH" per file.
    static func pillowDecodes(_ paths: [String]) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", """
            import sys
            from PIL import Image
            for p in sys.argv[1:]:
                im = Image.open(p); im.load(); print(im.format, "%dx%d" % im.size)
            """] + paths
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? String(decoding: out, as: UTF8.self).split(separator: "\n").map(String.init) : []
    }

    /// The flow, as a user types it: prepare, submit --wait, prompts create --wait, download.
    @Test func theWholePathAfterTheUpload() async throws {
        var options = serverOptions()
        options.trainingDuration = .seconds(2)
        options.promptDuration = .seconds(1)
        options.minPollInterval = .seconds(1)
        try await withServer(options) { server in
            let work = try temporaryFolder("flow")
            defer { try? FileManager.default.removeItem(at: work) }
            let base = ["--base-url", server.baseURL.absoluteString]
            let staged = work.appendingPathComponent("staged").path
            let prepared = try await runner.tuneprep(["prepare", Self.samples.path, "--out", staged, "--no-person-checks"])
            #expect(prepared.code == 0, "\(prepared.all)")

            let submitted = try await runner.tuneprep(["submit", staged, "--name", "man", "--wait"] + base)
            #expect(submitted.code == 0, "\(submitted.all)")
            #expect(submitted.stdout.contains("tune 1 trained at"), "\(submitted.all)")

            let created = try await runner.tuneprep(
                ["prompts", "create", "1", "--text", "ohwx man, corporate headshot", "--num-images", "4", "--wait"] + base)
            #expect(created.code == 0, "\(created.all)")
            #expect(created.stdout.contains("created prompt 1 of tune 1") && created.stdout.contains("status    done"), "\(created.all)")

            let shots = work.appendingPathComponent("shots").path
            let downloaded = try await runner.tuneprep(["prompts", "download", "1", "--out", shots] + base)
            #expect(downloaded.code == 0, "\(downloaded.all)")
            let names = try FileManager.default.contentsOfDirectory(atPath: shots).sorted()
            #expect(names == (1...4).map { "prompt-1-\($0).jpg" }, "\(names)")
            let decoded = try Self.pillowDecodes(names.map { shots + "/" + $0 })
            #expect(decoded.count == 4 && decoded.allSatisfy { $0.hasPrefix("JPEG ") }, "\(decoded)")

            // A second run downloads nothing.
            let fileRequests = { await server.requests().filter { $0.path.hasPrefix("/files/tunes/1/prompts") }.count }
            let before = await fileRequests()
            let again = try await runner.tuneprep(["prompts", "download", "1", "--out", shots] + base)
            #expect(again.code == 0 && again.stdout.contains("saved 0 pictures") && again.stdout.contains("4 already there"), "\(again.all)")
            #expect(await fileRequests() == before)

            // The polls stayed within the server's rate: no 429 reached a client that waits from the eta.
            #expect(await server.requests().filter(\.rateLimited).isEmpty)
            for run in [prepared, submitted, created, downloaded, again] { #expect(!run.all.contains(fakeKey)) }
        }
    }

    @Test func aPromptWhoseFirstAttemptTimedOutAfterCreationIsMadeOnce() async throws {
        var options = serverOptions(faults: FaultPlan(script: [.timeoutAfterProcessing], scope: .createPrompt))
        options.trainingDuration = .seconds(1)
        try await withServer(options) { server in
            let base = ["--base-url", server.baseURL.absoluteString, "--idempotent-wait", "0.05"]
            let submitted = try await runner.tuneprep(["submit", try runner.stagedSet().path, "--name", "man"] + base)
            #expect(submitted.code == 0, "\(submitted.all)")
            let created = try await runner.tuneprep(["prompts", "create", "1", "--text", "ohwx man, headshot", "--num-images", "2"] + base)
            #expect(created.code == 0, "\(created.all)")
            #expect(created.stderr.contains("gateway timeout (504)") && created.stderr.contains("not sent again"), "\(created.stderr)")
            #expect(await server.prompts().count == 1)
            #expect(await server.requests().filter { $0.method == "POST" && $0.path.hasSuffix("/prompts") }.count == 1)
        }
    }

    @Test func aFailedPromptAndAnOverdueTuneEndTheirWaits() async throws {
        var options = serverOptions()
        options.tunesOverdue = true
        options.trainingDuration = .seconds(1)
        options.promptFailure = "NSFW content detected"
        options.promptDuration = .milliseconds(200)
        try await withServer(options) { server in
            let base = ["--base-url", server.baseURL.absoluteString]
            let submitted = try await runner.tuneprep(["submit", try runner.stagedSet().path, "--name", "man", "--wait", "--overdue-after", "0.02"] + base)
            #expect(submitted.code == 9 && submitted.stderr.contains("tune 1 is not trained"), "\(submitted.all)")
            #expect(submitted.stdout.contains("submitted tune 1"))
            await server.finishTraining(1)
            let created = try await runner.tuneprep(["prompts", "create", "1", "--text", "ohwx man", "--wait"] + base)
            #expect(created.code == 12 && created.stderr.contains("prompt 1 failed: NSFW content detected"), "\(created.all)")
        }
    }
}
