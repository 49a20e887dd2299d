import Foundation
import Testing
import TunePrep
import TunePrepSamples

/// `prepare` stopped the ways services are stopped: SIGTERM, SIGHUP and Ctrl-C leave nothing
/// beside the output, and what SIGKILL leaves is removed by the next run, only once its owner is gone.
@Suite("stop signals and leftovers of killed runs", .serialized)
struct StopSignalTests {
    /// Distinct photos (no duplicates, so each is worked on), enough that the run is still going
    /// when the first output is written.
    private func photos(count: Int = 24) throws -> URL {
        let folder = try TuneprepBinary.temporaryDirectory()
        let photos = folder.appendingPathComponent("photos")
        try FileManager.default.createDirectory(at: photos, withIntermediateDirectories: true)
        for i in 0..<count {
            let image = SampleSet.render(width: 1200, height: 900, seed: UInt64(100 + i))
            try FixtureEncoder.jpeg(samples: image.bytes, width: image.width, height: image.height)
                .write(to: photos.appendingPathComponent(String(format: "%02d.jpg", i)))
        }
        return folder
    }

    /// Starts `prepare photos --out set` in `folder`, with stdout and stderr in files.
    private func startPrepare(in folder: URL) throws -> (Process, err: URL) {
        let err = folder.appendingPathComponent("stderr.txt")
        FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = TuneprepBinary.executable
        process.arguments = ["prepare", "--no-person-checks", "--workers", "1", "photos", "--out", "out/set"]
        process.currentDirectoryURL = folder
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, err)
    }

    /// Waits (a minute at most, which only bounds a hang) until the run has written its first
    /// output into its staging folder: an event, not a guess at timing. The handlers are
    /// installed before the staging folder is made. Returns the staging folder.
    private func waitForFirstOutput(_ process: Process, in out: URL) -> URL? {
        let deadline = ContinuousClock.now + .seconds(60)
        while process.isRunning && ContinuousClock.now < deadline {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? []
            for name in names where name.hasPrefix(".set.partial-") {
                let staging = out.appendingPathComponent(name)
                let files = (try? FileManager.default.contentsOfDirectory(atPath: staging.path)) ?? []
                if files.contains(where: { $0.hasPrefix("pending-") }) { return staging }
            }
            usleep(5_000)
        }
        return nil
    }

    private func wait(_ process: Process) {
        let deadline = ContinuousClock.now + .seconds(60)
        while process.isRunning && ContinuousClock.now < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    @Test("SIGTERM, SIGHUP and Ctrl-C: the staging folder removed, nothing beside the output, exit 128 + signal",
          arguments: [(SIGTERM, 143, "stopped by SIGTERM"), (SIGHUP, 129, "stopped by SIGHUP"), (SIGINT, 130, "interrupted")])
    func stopsCleanly(_ signal: Int32, _ status: Int32, _ words: String) throws {
        let folder = try photos()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try Data("before".utf8).write(to: out.appendingPathComponent("earlier.txt"))
        let (process, err) = try startPrepare(in: folder)
        let staging = waitForFirstOutput(process, in: out)
        #expect(staging != nil, "the run wrote an output before it ended")
        kill(process.processIdentifier, signal)
        wait(process)
        let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        #expect(process.terminationReason == .exit, "exited, not killed by the signal: \(stderr)")
        #expect(process.terminationStatus == status, "\(stderr)")
        #expect(stderr.contains("tuneprep: \(words); nothing was written"), "\(stderr)")
        // Only what was there before: no set, no hidden staging folder.
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path) == ["earlier.txt"])
    }

    @Test("after a SIGKILL the next prepare removes the killed run's staging folder and says so")
    func nextRunRemovesWhatSIGKILLLeft() throws {
        let folder = try photos(count: 12)
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let (process, _) = try startPrepare(in: folder)
        let staging = try #require(waitForFirstOutput(process, in: out))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(FileManager.default.fileExists(atPath: staging.path), "SIGKILL leaves the staging folder")

        let next = try TuneprepBinary.run(["prepare", "--no-person-checks", "photos", "--out", "out/set"], in: folder)
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.stderr.contains("removed 1 folder left by an earlier run that was killed: \(staging.lastPathComponent)"), "\(next.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path) == ["set"])
        let manifest = try StagedSet.load(from: out.appendingPathComponent("set")).manifest
        #expect(manifest.removedLeftovers == [staging.lastPathComponent])
        let json = try String(contentsOf: out.appendingPathComponent("set/manifest.json"), encoding: .utf8)
        #expect(json.contains("\"removed_leftovers\""))
    }

    @Test("a leftover whose process is alive is kept; a dead or reused pid's is removed")
    func keepsALiveOwnersFolder() throws {
        let folder = try photos(count: 4)
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("out")
        let manager = FileManager.default
        // A pid that was surely used and is gone: a child that has exited and been reaped.
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        let dead = child.processIdentifier
        let own = ProcessInfo.processInfo.processIdentifier
        let deadName = ".set.partial-\(dead)-abc123", liveName = ".set.partial-\(own)-def456"
        let reusedName = ".set.partial-\(own)-old789", otherSet = ".other.partial-\(dead)-abc123"
        for name in [deadName, liveName, reusedName, otherSet] {
            try manager.createDirectory(at: out.appendingPathComponent(name), withIntermediateDirectories: true)
            try Data(count: 1000).write(to: out.appendingPathComponent(name).appendingPathComponent("pending-0.jpg"))
        }
        // Last written long before this test process started: its pid is only reused.
        try manager.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_000_000_000)],
                                  ofItemAtPath: out.appendingPathComponent(reusedName).path)

        let run = try TuneprepBinary.run(["prepare", "--no-person-checks", "photos", "--out", "out/set"], in: folder)
        #expect(run.status == 0, "\(run.stderr)")
        let left = Set(try manager.contentsOfDirectory(atPath: out.path))
        #expect(left == ["set", liveName, otherSet], "\(left)")
        #expect(run.stderr.contains("removed 2 folders left by an earlier run that was killed: \(deadName), \(reusedName)")
                || run.stderr.contains("removed 2 folders left by an earlier run that was killed: \(reusedName), \(deadName)"), "\(run.stderr)")
        let manifest = try StagedSet.load(from: out.appendingPathComponent("set")).manifest
        #expect(Set(manifest.removedLeftovers ?? []) == [deadName, reusedName])
    }
}
