import AstriaClient
import Foundation
import Testing

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
        #expect(overdue.code == 9 && overdue.stderr.contains("tune 2 is not trained 3 h 0 min after its eta"), "\(overdue.all)")
        let notOverdueYet = try await runner.tuneprep(["tunes", "wait", "2", "--overdue-after", "240", "--timeout", "1"] + base)
        #expect(notOverdueYet.code == 11 && notOverdueYet.stderr.contains("stopped waiting for tune 2 after 1 s"), "\(notOverdueYet.all)")
        let gone = try await runner.tuneprep(["tunes", "wait", "4"] + base)
        #expect(gone.code == 10 && gone.stderr.contains("tune 4 does not exist (404)"), "\(gone.all)")
        // Several ids: each is waited for; the first failure decides the status.
        let several = try await runner.tuneprep(["tunes", "wait", "1", "4"] + base)
        #expect(several.code == 10 && several.stdout.contains("tune 1 trained"), "\(several.all)")
        // A tune whose eta is an hour away is not polled again before it: one request, then the timeout.
        let before = server.hits.filter { $0.target == "/tunes/3" }.count
        let early = try await runner.tuneprep(["tunes", "wait", "3", "--timeout", "2", "--json"] + base)
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
}
