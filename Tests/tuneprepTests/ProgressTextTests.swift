import AstriaClient
import Foundation
import Testing
import TunePrep
@testable import tuneprep
import TunePrepSamples

/// The progress displays as pure functions, so no test needs a terminal.
@Suite("progress text")
struct ProgressTextTests {
    @Test("prepare/check bar: count, rate, elapsed, ETA and the photos in flight, within the width")
    func prepareBar() {
        let bar = PrepareProgressText.bar(
            completed: 10, total: 40, elapsed: 5, inFlight: ["photos/a/IMG_0011.jpg", "photos/IMG_0012.heic"], width: 200)
        #expect(bar.hasPrefix("[#####---------------] 10/40 photos"), "\(bar)")
        #expect(bar.contains("2.0/s"), "rate: \(bar)")
        #expect(bar.contains("0:05 elapsed"), "\(bar)")
        #expect(bar.contains("ETA 0:15"), "30 left at 2/s: \(bar)")
        #expect(bar.hasSuffix("now: IMG_0011.jpg, IMG_0012.heic"), "\(bar)")

        let start = PrepareProgressText.bar(completed: 0, total: 40, elapsed: 0.2, inFlight: ["a.jpg"], width: 200)
        #expect(start.contains("--/s") && !start.contains("ETA"), "no rate or ETA before the first photo: \(start)")
        let done = PrepareProgressText.bar(completed: 40, total: 40, elapsed: 3725, inFlight: [], width: 200)
        #expect(done.contains("1:02:05 elapsed") && !done.contains("ETA") && !done.contains("now:"), "\(done)")

        let narrow = PrepareProgressText.bar(completed: 10, total: 40, elapsed: 5, inFlight: ["a-long-name.jpg"], width: 50)
        #expect(narrow.count == 50 && narrow.hasSuffix("…"))
    }

    @Test("a photo that passed its own checks is \"decoded\", never \"ok\"; started photos print no plain line")
    func plainLines() {
        func event(_ stage: PrepareProgress.Stage, accepted: Bool) -> PrepareProgress {
            PrepareProgress(stage: stage, completed: 3, total: 9, path: "photos/08.jpg", accepted: accepted, inFlight: [])
        }
        #expect(PrepareProgressText.line(event(.finished, accepted: true)) == "[3/9] photos/08.jpg: decoded")
        #expect(PrepareProgressText.line(event(.finished, accepted: false)) == "[3/9] photos/08.jpg: rejected")
        #expect(PrepareProgressText.line(event(.started, accepted: false)) == nil)
    }

    @Test("submit's bar says it waits for the service once the body is sent, and ends with the average rate")
    func uploadBar() {
        func progress(_ sent: Int64, rate: Double, elapsed: Double) -> UploadProgress {
            UploadProgress(attempt: 1, bytesSent: sent, totalBytes: 60_000_000, bytesPerSecond: rate, elapsed: elapsed,
                           currentFile: "03.jpg", fileIndex: 3, fileCount: 8)
        }
        let sending = UploadProgressText.bar(progress(30_000_000, rate: 10_000_000, elapsed: 3), width: 200)
        #expect(sending.contains("50%") && sending.contains("30.0/60.0 MB") && sending.contains("10.0 MB/s"), "\(sending)")
        #expect(sending.contains("ETA 3 s") && sending.contains("3/8 03.jpg") && !sending.contains("waiting"), "\(sending)")

        // The last few seconds ran at 30 MB/s, but 60 MB took 5 s: 12 MB/s on average.
        let sent = progress(60_000_000, rate: 30_000_000, elapsed: 5)
        let waiting = UploadProgressText.bar(sent, width: 200)
        #expect(waiting.contains("100%") && waiting.contains("sent in 5.0 s; waiting for the service"), "\(waiting)")
        #expect(!waiting.contains("ETA") && !waiting.contains("03.jpg"))
        let final = UploadProgressText.finalBar(sent, width: 200)
        #expect(final.contains("60.0 MB sent in 5.0 s (12.0 MB/s average)"), "\(final)")
        #expect(!final.contains("waiting"))
        let line = UploadProgressText.line(sent)
        #expect(line == "upload: 60.0 MB sent in 5.0 s (12.0 MB/s average); waiting for the service", "\(line)")
        #expect(UploadProgressText.line(progress(30_000_000, rate: 10_000_000, elapsed: 3)).contains("about 3 s left"))
    }

    @Test("check's progress names photos \"decoded\", so a duplicate dropped at the end is never called ok")
    func checkNeverSaysOk() throws {
        let folder = try TuneprepBinary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try SampleSet.write(to: folder.appendingPathComponent("photos"))
        let result = try TuneprepBinary.run(["check", "photos", "--no-person-checks", "--workers", "2"], in: folder)
        let progress = result.stderr.split(separator: "\n").map(String.init).filter { $0.hasPrefix("[") }
        #expect(progress.count == 9, "\(result.stderr)")
        #expect(progress.contains("[\(progress.firstIndex { $0.contains("08-duplicate-of-01.jpg") }.map { $0 + 1 } ?? 0)/9] photos/08-duplicate-of-01.jpg: decoded"))
        #expect(!progress.contains { $0.hasSuffix(": ok") })
        // The table, after the set-level checks, rejects the duplicate.
        #expect(result.stdout.split(separator: "\n").contains { $0.hasPrefix("photos/08-duplicate-of-01.jpg") && $0.contains("duplicate") })
    }

    @Test("the library reports each photo's start and finish, with the photos in flight")
    func libraryEvents() async throws {
        let folder = try TuneprepBinary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try SampleSet.write(to: folder.appendingPathComponent("photos"))
        var options = PrepareOptions()
        options.personChecks = .off
        let events = EventLog()
        _ = try await Preparer(options: options, workers: 2).check([folder.appendingPathComponent("photos").path]) { events.add($0) }
        let all = events.all
        #expect(all.filter { $0.stage == .started }.count == 9 && all.filter { $0.stage == .finished }.count == 9)
        for event in all where event.stage == .started { #expect(event.inFlight.contains(event.path) && event.inFlight.count <= 2) }
        for event in all where event.stage == .finished { #expect(!event.inFlight.contains(event.path)) }
        #expect(all.first?.stage == .started && all.last?.stage == .finished && all.last?.completed == 9)
    }
}

final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [PrepareProgress] = []
    func add(_ event: PrepareProgress) { lock.withLock { events.append(event) } }
    var all: [PrepareProgress] { lock.withLock { events } }
}
