import AstriaClient
import AstriaMockServer
import Foundation
import Synchronization
import Testing
import TunePrepTestSupport
import TunePrep

/// `tuneprep submit` and `tuneprep tunes`, run as the built binary against an in-process
/// AstriaMockServer. The key is passed only through the environment and must appear nowhere.
@Suite struct SubmitCommandTests {
    struct Run {
        var code: Int32
        var stdout: String
        var stderr: String
        /// With `interruptWhenUploading` or `signalWhenUploading`: whether the signal went while
        /// uploading (not at the deadline).
        var interruptedWhileUploading = false
        var all: String { stdout + stderr }
    }

    /// The `tuneprep` binary sits beside the test bundle in the build folder.
    static var binary: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        if dir.lastPathComponent.hasSuffix(".xctest") { dir = dir.deletingLastPathComponent() }
        return dir.appendingPathComponent("tuneprep").path
    }

    /// Runs the binary to the end. With `interruptWhenUploading`, sends one SIGINT (Ctrl-C) as soon as
    /// the upload has started and the process handles SIGINT: an event, not a guess at timing;
    /// `signalWhenUploading` sends that signal instead (SIGTERM, SIGHUP).
    func tuneprep(
        _ arguments: [String], key: String? = fakeKey, interruptWhenUploading: Bool = false, signalWhenUploading: Int32? = nil,
        interruptOn marker: String = "upload:"
    ) async throws -> Run {
        let stopSignal = signalWhenUploading ?? (interruptWhenUploading || marker != "upload:" ? SIGINT : nil)
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary), "build the tuneprep product first")
        let dir = try temporaryFolder("proc")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out"), err = dir.appendingPathComponent("err")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["ASTRIA_API_KEY"] = key
        environment["ASTRIA_BASE_URL"] = nil
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        let interruptedWhileUploading = Mutex(false)
        // Wait without blocking a concurrency thread: other tests need them.
        let code: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error); return }
            if let stopSignal {
                // A plain thread: a busy task pool in this process must not delay the Ctrl-C.
                Thread {
                    Self.interruptOnceUploading(process, stderr: err, signal: stopSignal, marker: marker) {
                        interruptedWhileUploading.withLock { $0 = true }
                    }
                }.start()
            }
        }
        return Run(code: code, stdout: String(decoding: try Data(contentsOf: out), as: UTF8.self),
                   stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self),
                   interruptedWhileUploading: interruptedWhileUploading.withLock { $0 })
    }

    /// Waits (up to a minute, which only bounds a hang) until the process has printed its first
    /// upload progress line and no longer takes `signal`'s default action, then calls `uploading`
    /// and sends one `signal` (at the deadline, only the signal).
    static func interruptOnceUploading(_ process: Process, stderr: URL, signal: Int32 = SIGINT, marker: String = "upload:", uploading: () -> Void) {
        let deadline = ContinuousClock.now + .seconds(60)
        while process.isRunning {
            let started = ((try? String(contentsOf: stderr, encoding: .utf8)) ?? "").contains(marker)
            if started && handlesSIGINT(process.processIdentifier, signal: signal) {
                uploading()
                kill(process.processIdentifier, signal)
                return
            }
            if ContinuousClock.now >= deadline {
                kill(process.processIdentifier, signal)
                return
            }
            usleep(10_000)
        }
    }

    /// Whether `signal` (SIGINT unless said) is ignored or caught (its handler installed), from /proc/PID/status.
    static func handlesSIGINT(_ pid: Int32, signal: Int32 = SIGINT) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return false }
        let bit = UInt64(1) << UInt64(signal - 1)
        return status.split(separator: "\n").contains { line in
            guard line.hasPrefix("SigIgn:") || line.hasPrefix("SigCgt:"),
                  let mask = UInt64(line.split(separator: "\t").last ?? "", radix: 16) else { return false }
            return mask & bit != 0
        }
    }

    func stagedSet(usable: Bool = true, images: Int = 4, size: Int = 20_000) throws -> URL {
        try writeStagedSet(usable: usable, images: images, size: size)
    }

    func setID(_ dir: URL) throws -> String { try StagedSet.load(from: dir).manifest.setId }

    @Test func dryRunPrintsFieldsAndFilesAndSendsNothing() async throws {
        try await withServer { server in
            let dir = try stagedSet()
            let run = try await tuneprep(["submit", dir.path, "--name", "man", "--characteristic", "eye_color=blue eyes",
                                          "--prompt", "ohwx man, {{eye_color}}", "--dry-run", "--base-url", server.baseURL.absoluteString])
            #expect(run.code == 0, "\(run.stderr)")
            #expect(run.stdout.contains("tune[title] = \(try setID(dir))-"))
            #expect(run.stdout.contains("tune[characteristics][eye_color] = blue eyes"))
            #expect(run.stdout.contains("tune[prompts_attributes][0][text] = ohwx man, {{eye_color}}"))
            #expect(run.stdout.components(separatedBy: "tune[images][] = @").count == 5)
            #expect(run.stdout.contains("Bearer [redacted]"))
            #expect(!run.all.contains(fakeKey))
            #expect(await server.requests().isEmpty)
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("submission.json").path))
        }
    }

    @Test func submitRecordsTheResultRefusesARepeatAndForceIsIdempotent() async throws {
        try await withServer { server in
            let dir = try stagedSet()
            let base = ["--base-url", server.baseURL.absoluteString]
            let first = try await tuneprep(["submit", dir.path, "--name", "man", "--branch", "fast"] + base)
            #expect(first.code == 0, "\(first.stderr)")
            #expect(first.stderr.contains("upload:"))  // not a terminal: plain progress lines
            let tunes = await server.tunes()
            #expect(tunes.count == 1)
            let tune = try #require(tunes.first)
            #expect(tune.title.hasPrefix((try setID(dir)) + "-"))
            #expect(tune.images.count == 4)
            #expect(first.stdout.hasPrefix("submitted tune \(tune.id) "))

            let resultData = try Data(contentsOf: dir.appendingPathComponent("submission.json"))
            let result = try #require(try JSONSerialization.jsonObject(with: resultData) as? [String: Any])
            #expect(result["tune_id"] as? Int == tune.id)
            #expect(result["title"] as? String == tune.title)
            #expect(result["outcome"] as? String == "created")
            #expect(result["url"] is String && result["submitted_at"] is String)
            #expect(!String(decoding: resultData, as: UTF8.self).contains(fakeKey))

            let again = try await tuneprep(["submit", dir.path, "--name", "man"] + base)
            #expect(again.code == 3)
            #expect(again.stderr.contains("already submitted as tune \(tune.id)"))

            let forced = try await tuneprep(["submit", dir.path, "--name", "man", "--branch", "fast", "--force", "--json"] + base)
            #expect(forced.code == 0, "\(forced.stderr)")
            #expect(await server.tunes().count == 1)  // same title: the service returned the same tune
            let events = forced.stdout.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            let progress = events.filter { $0["event"] as? String == "progress" }.compactMap { $0["bytes_sent"] as? Int }
            #expect(progress == progress.sorted() && progress.count >= 2)
            #expect(progress.last == events.first?["total_bytes"] as? Int)
            #expect(events.last?["event"] as? String == "submitted" && events.last?["tune_id"] as? Int == tune.id)
            #expect(events.last?["outcome"] as? String == "existing")
            let record = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("submission.json"))) as? [String: Any]
            #expect(record?["outcome"] as? String == "existing")
            for run in [first, again, forced] { #expect(!run.all.contains(fakeKey)) }
        }
    }

    /// The issue's case: a set first submitted with --name man, then with --name dragon. The same
    /// default title used to hand back the man tune as "submitted tune 1", exit 0.
    @Test func aResubmitWithAnotherNameIsAnotherTuneAndAnIdenticalOneSaysExisting() async throws {
        try await withServer { server in
            let dir = try stagedSet()
            let base = ["--base-url", server.baseURL.absoluteString]
            let man = try await tuneprep(["submit", dir.path, "--name", "man", "--branch", "fast"] + base)
            #expect(man.code == 0, "\(man.stderr)")
            let dragon = try await tuneprep(["submit", dir.path, "--name", "dragon", "--branch", "fast", "--force"] + base)
            #expect(dragon.code == 0, "\(dragon.stderr)")
            let tunes = await server.tunes()
            #expect(tunes.count == 2)
            let dragonTune = try #require(tunes.first { $0.name == "dragon" })
            #expect(dragon.stdout.hasPrefix("submitted tune \(dragonTune.id) "))
            let record = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("submission.json"))) as? [String: Any]
            #expect(record?["tune_id"] as? Int == dragonTune.id && record?["name"] as? String == "dragon")

            let again = try await tuneprep(["submit", dir.path, "--name", "dragon", "--branch", "fast", "--force"] + base)
            #expect(again.code == 0, "\(again.stderr)")
            #expect(again.stdout.hasPrefix("existing tune returned: tune \(dragonTune.id) "))
            #expect(await server.tunes().count == 2)
        }
    }

    @Test func aReusedTitleHandingBackAnotherTuneIsReportedAndNotRecorded() async throws {
        try await withServer { server in
            let base = ["--base-url", server.baseURL.absoluteString]
            let first = try await tuneprep(["submit", try stagedSet().path, "--name", "man", "--title", "shared"] + base)
            #expect(first.code == 0, "\(first.stderr)")
            let dir = try stagedSet()
            let run = try await tuneprep(["submit", dir.path, "--name", "dragon", "--branch", "fast", "--title", "shared"] + base)
            #expect(run.code == 8, "\(run.stderr)")
            #expect(run.stderr.contains("name is \"man\", the request asked for \"dragon\""), "\(run.stderr)")
            #expect(run.stderr.contains("branch is \"flux1\", the request asked for \"fast\""), "\(run.stderr)")
            #expect(!run.stdout.contains("submitted"))
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("submission.json").path))
            #expect(await server.tunes().count == 1)
        }
    }

    /// `--image-url`: hosted photos, the seed's `tune[image_urls][]`, with the set's title, retry
    /// and record rules; the record goes only where --record says.
    @Test func imageURLsCreateATuneWithTheSameRules() async throws {
        try await withServer { server in
            let base = ["--base-url", server.baseURL.absoluteString]
            let urls = (1...4).flatMap { ["--image-url", "https://photos.example/\($0).jpg"] }
            let folder = try temporaryFolder()
            defer { try? FileManager.default.removeItem(at: folder) }
            let recordFile = folder.appendingPathComponent("tune.json")

            let first = try await tuneprep(["submit", "--name", "man", "--branch", "fast", "--record", recordFile.path] + urls + base)
            #expect(first.code == 0, "\(first.stderr)")
            let tune = try #require(await server.tunes().first)
            #expect(tune.imageURLs == (1...4).map { "https://photos.example/\($0).jpg" } && tune.images.isEmpty)
            #expect(tune.title.hasPrefix("tp-urls-") && tune.name == "man")
            #expect(first.stdout.hasPrefix("submitted tune \(tune.id) "))
            let record = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: recordFile)) as? [String: Any])
            #expect(record["tune_id"] as? Int == tune.id && record["outcome"] as? String == "created")
            #expect((record["image_urls"] as? [String])?.count == 4 && record["images"] as? Int == 4 && record["set_id"] == nil)

            // The record file is a guard, as a set's submission.json is.
            let again = try await tuneprep(["submit", "--name", "man", "--branch", "fast", "--record", recordFile.path] + urls + base)
            #expect(again.code == 3 && again.stderr.contains("already records a submission (tune \(tune.id))"), "\(again.stderr)")

            // An identical request is idempotent; without --record nothing is written, --json carries the record.
            let same = try await tuneprep(["submit", "--name", "man", "--branch", "fast", "--json"] + urls + base)
            #expect(same.code == 0, "\(same.stderr)")
            let event = try #require(same.stdout.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }.last)
            #expect(event["outcome"] as? String == "existing" && event["tune_id"] as? Int == tune.id)
            #expect(event["result_file"] is NSNull && (event["record"] as? [String: Any])?["title"] as? String == tune.title)

            // Another class name is another request, hence another tune.
            let other = try await tuneprep(["submit", "--name", "woman", "--branch", "fast"] + urls + base)
            #expect(other.code == 0, "\(other.stderr)")
            #expect(await server.tunes().count == 2)

            // Usage: a folder and URLs, neither, --record without URLs, a URL that is not http(s).
            let both = try await tuneprep(["submit", try stagedSet().path, "--name", "man"] + urls + base)
            #expect(both.code == 2 && both.stderr.contains("not both"), "\(both.stderr)")
            let neither = try await tuneprep(["submit", "--name", "man"] + base)
            #expect(neither.code == 2 && neither.stderr.contains("--image-url"))
            let stray = try await tuneprep(["submit", try stagedSet().path, "--name", "man", "--record", recordFile.path] + base)
            #expect(stray.code == 2 && stray.stderr.contains("--record goes with --image-url"))
            let bad = try await tuneprep(["submit", "--name", "man", "--image-url", "file:///etc/passwd"] + base)
            #expect(bad.code == 2 && bad.stderr.contains("is not an http or https URL"), "\(bad.stderr)")
            for run in [first, again, same, other] { #expect(!run.all.contains(fakeKey)) }
        }
    }

    @Test func refusals() async throws {
        try await withServer { server in
            let base = ["--base-url", server.baseURL.absoluteString]
            let unusable = try await tuneprep(["submit", try stagedSet(usable: false).path, "--name", "man"] + base)
            #expect(unusable.code == 3 && unusable.stderr.contains("failed its checks"))
            let notASet = try await tuneprep(["submit", try temporaryFolder().path, "--name", "man"] + base)
            #expect(notASet.code == 3 && notASet.stderr.contains("not a staged set"))
            let noKey = try await tuneprep(["submit", try stagedSet().path, "--name", "man"] + base, key: nil)
            #expect(noKey.code == 2 && noKey.stderr.contains("ASTRIA_API_KEY"))
            let missingFile = try await tuneprep(["submit", try stagedSet().path, "--name", "man", "--api-key-file", "/nonexistent/key"] + base, key: nil)
            #expect(missingFile.code == 2 && missingFile.stderr.contains("/nonexistent/key: No such file or directory"), "\(missingFile.stderr)")
            #expect(await server.requests().isEmpty)
        }
    }

    @Test func keyFileAndRejectionShowTheServiceMessage() async throws {
        try await withServer { server in
            let keyFile = try temporaryFolder().appendingPathComponent("key")
            try "\(fakeKey)\n".write(to: keyFile, atomically: true, encoding: .utf8)
            let run = try await tuneprep(["submit", try stagedSet().path, "--name", "man", "--branch", "warp-drive",
                                          "--api-key-file", keyFile.path, "--base-url", server.baseURL.absoluteString], key: nil)
            #expect(run.code == 5, "\(run.stderr)")
            #expect(run.stderr.contains("422") && run.stderr.contains("branch"))
            #expect(await server.requests().count == 1)
            #expect(!run.all.contains(fakeKey))
        }
    }

    @Test func retriesAreShownAndTheWaitIsAnOption() async throws {
        try await withServer(serverOptions(faults: FaultPlan(script: [.status(500)]))) { server in
            let run = try await tuneprep(["submit", try stagedSet().path, "--name", "man", "--retry-wait", "0.01",
                                          "--base-url", server.baseURL.absoluteString])
            #expect(run.code == 0, "\(run.stderr)")
            #expect(run.stderr.contains("attempt 1 of 5 failed: server error (500); retrying"))
            #expect(await server.tunes().count == 1)
        }
        try await withServer(serverOptions(faults: FaultPlan(script: [.status(500), .status(500)]))) { server in
            let run = try await tuneprep(["submit", try stagedSet().path, "--name", "man", "--retry-wait", "0",
                                          "--max-attempts", "2", "--base-url", server.baseURL.absoluteString])
            #expect(run.code == 6, "\(run.stderr)")
            #expect(run.stderr.contains("gave up after 2 attempts"))
        }
    }

    @Test func ctrlCStopsCleanly() async throws {
        // The server would answer only after a minute (that bounds a hang): exit 130 with no tune and
        // no submission.json means Ctrl-C stopped the upload, whatever the machine's speed.
        try await withServer(serverOptions(faults: FaultPlan(latency: .seconds(60), scope: .allRequests))) { server in
            let dir = try stagedSet()
            let run = try await tuneprep(["submit", dir.path, "--name", "man", "--base-url", server.baseURL.absoluteString],
                                         interruptWhenUploading: true)
            #expect(run.interruptedWhileUploading, "\(run.stderr)")
            #expect(run.code == 130, "\(run.stderr)")
            #expect(run.stderr.contains("interrupted"))
            #expect(!run.all.contains(fakeKey))
            // The server reads nothing during its delay, so the whole 80 kB body can already sit in
            // the kernel's buffers when the signal lands; reading it afterwards, the server may
            // still create the tune, as a real one would (seen once in CI). The client's side is
            // what must hold: nothing recorded, and at most that one tune, which a retry with the
            // same title finds. (A body too large for the buffers is over the 4 MB that first
            // checks the key with a GET, which the same delay holds up.)
            #expect(await server.tunes().count <= 1)
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("submission.json").path))
        }
    }

    @Test("SIGTERM and SIGHUP stop an upload as Ctrl-C does: no tune, no submission.json, exit 143 or 129",
          arguments: [(SIGTERM, Int32(143), "stopped by SIGTERM"), (SIGHUP, Int32(129), "stopped by SIGHUP")])
    func stopSignalsStopCleanly(_ signal: Int32, _ status: Int32, _ words: String) async throws {
        try await withServer(serverOptions(faults: FaultPlan(latency: .seconds(60), scope: .allRequests))) { server in
            let dir = try stagedSet()
            let run = try await tuneprep(["submit", dir.path, "--name", "man", "--base-url", server.baseURL.absoluteString],
                                         signalWhenUploading: signal)
            #expect(run.interruptedWhileUploading, "\(run.stderr)")
            #expect(run.code == status, "\(run.stderr)")
            #expect(run.stderr.contains("tuneprep: \(words)"), "\(run.stderr)")
            #expect(!run.all.contains(fakeKey))
            #expect(await server.tunes().count <= 1)  // as in ctrlCStopsCleanly
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("submission.json").path))
        }
    }

    @Test func tunesShowsTheServiceStringsEscaped() async throws {
        try await withServer { server in
            var request = TuneRequest(title: "evil\u{1B}[2J\r\nsubmitted tune 99", name: "man")
            request.images = try writeImages(["1.jpg"], in: try temporaryFolder()).map { url throws(AstriaError) in try TuneRequest.Image(path: url.path) }
            let client = try AstriaAPI(configuration: AstriaConfiguration(baseURL: server.baseURL.absoluteString, apiKey: APIKey(fakeKey)!))
            let id = try await client.createTune(request, idempotent: true).id
            let base = ["--base-url", server.baseURL.absoluteString]
            for run in [try await tuneprep(["tunes", "list"] + base), try await tuneprep(["tunes", "show", String(id)] + base)] {
                #expect(run.code == 0, "\(run.stderr)")
                #expect(!hasControlCharacters(run.stdout.replacingOccurrences(of: "\n", with: "")), "\(run.stdout.debugDescription)")
                #expect(run.stdout.contains("evil\\u{1B}[2J\\r\\nsubmitted"))
            }
        }
    }

    @Test func tunesListNamesUnreadableEntriesAndFails() async throws {
        let badList = #"[{"id": 1, "title": "fine"}, {"id": 9223372036854775808, "title": "big"}, {"id": "abc"}, "nope", {"title": "no id"}, {"id": 2.5}]"#
        let server = try await ScriptedServer.start { _ in ScriptedServer.Answer(body: Data(badList.utf8)) }
        let run = try await tuneprep(["tunes", "list", "--base-url", server.baseURL, "--max-attempts", "1"])
        #expect(run.code == 1, "\(run.stderr)")
        #expect(run.stdout.contains("fine"))
        #expect(run.stderr.contains("entry 2: id 9223372036854775808 is above"))
        #expect(run.stderr.contains("5 tunes of the service's answer could not be read"))
        let allBad = try await ScriptedServer.start { _ in ScriptedServer.Answer(body: Data(#"[{"id": "x"}]"#.utf8)) }
        let none = try await tuneprep(["tunes", "list", "--base-url", allBad.baseURL, "--max-attempts", "1"])
        #expect(none.code == 1 && !none.stderr.contains("(no entries)"), "\(none.stderr)")
        await server.stop()
        await allBad.stop()
    }

    @Test func tunesListShowDelete() async throws {
        try await withServer { server in
            let base = ["--base-url", server.baseURL.absoluteString]
            for _ in 1...3 { #expect(try await tuneprep(["submit", try stagedSet().path, "--name", "dog"] + base).code == 0) }
            let ids = await server.tunes().map(\.id)
            let table = try await tuneprep(["tunes", "list"] + base)
            #expect(table.code == 0 && table.stdout.hasPrefix("ID"))
            #expect(table.stdout.split(separator: "\n").count == 4)
            let json = try await tuneprep(["tunes", "list", "--all", "--limit", "2", "--json"] + base)
            let listed = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
            #expect(listed?.compactMap { $0["id"] as? Int } == ids)
            let show = try await tuneprep(["tunes", "show", String(ids[0])] + base)
            #expect(show.code == 0 && show.stdout.contains("id          \(ids[0])"))
            let delete = try await tuneprep(["tunes", "delete", String(ids[0])] + base)
            #expect(delete.code == 0 && delete.stdout.contains("deleted tune \(ids[0])"))
            let missing = try await tuneprep(["tunes", "show", String(ids[0])] + base)
            #expect(missing.code == 1 && missing.stderr.contains("404"))
            let unauthorized = try await tuneprep(["tunes", "list"] + base, key: "sd_FAKE_other")
            #expect(unauthorized.code == 4 && !unauthorized.all.contains("sd_FAKE_other"))
            for run in [table, json, show, delete, missing] { #expect(!run.all.contains(fakeKey)) }
        }
    }
}
