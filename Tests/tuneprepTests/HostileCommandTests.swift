import Foundation
import Testing
import TunePrep
import TunePrepSamples

/// Drills run as a user runs the command, in a child process with a deadline and a memory cap,
/// so that a regression (a FIFO that blocks, /dev/zero read for ever, a trap) fails the test
/// instead of hanging or exhausting the machine.
@Suite("hostile inputs through the command")
struct HostileCommandTests {
    /// Runs `tuneprep` under bash with `limits` (ulimit lines, traps) applied first; kills it
    /// after `deadline` seconds (then `timedOut` is true).
    private func run(
        _ arguments: [String], in directory: URL, limits: String = "ulimit -v 8388608", deadline: Double = 60
    ) throws -> (result: CommandResult, timedOut: Bool) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "\(limits); exec \"$0\" \"$@\"", TuneprepBinary.executable.path] + arguments
        process.currentDirectoryURL = directory
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        nonisolated(unsafe) var outData = Data(), errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let timedOut = finished.wait(timeout: .now() + deadline) == .timedOut
        if timedOut {
            kill(process.processIdentifier, SIGKILL)
            finished.wait()
        }
        group.wait()
        return (CommandResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                              stderr: String(decoding: errData, as: UTF8.self)), timedOut)
    }

    private func samples() throws -> URL {
        let folder = try TuneprepBinary.temporaryDirectory()
        try SampleSet.write(to: folder.appendingPathComponent("photos"))
        return folder
    }

    @Test("a FIFO, a link to /dev/zero, a dangling link and a link to a folder: named, never opened or read")
    func notFiles() throws {
        let folder = try samples()
        defer { try? FileManager.default.removeItem(at: folder) }
        let photos = folder.appendingPathComponent("photos")
        #expect(mkfifo(photos.appendingPathComponent("10-pipe").path, 0o644) == 0)
        let manager = FileManager.default
        try manager.createSymbolicLink(atPath: photos.appendingPathComponent("11-zero.jpg").path, withDestinationPath: "/dev/zero")
        try manager.createSymbolicLink(atPath: photos.appendingPathComponent("12-dangling.jpg").path, withDestinationPath: "nowhere.jpg")
        try manager.createSymbolicLink(atPath: photos.appendingPathComponent("13-folder").path, withDestinationPath: "/tmp")
        // 4 GB of address space: reading /dev/zero for ever would die of it, not take the machine.
        let (result, timedOut) = try run(["check", "--no-person-checks", "photos"], in: folder, limits: "ulimit -v 4194304", deadline: 60)
        #expect(!timedOut, "check blocked (a FIFO opened or read?)")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("photos/10-pipe") && $0.contains("not-a-file") && $0.contains("FIFO") }, "\(result.stdout)")
        #expect(lines.contains { $0.hasPrefix("photos/11-zero.jpg") && $0.contains("not-a-file") && $0.contains("character device") })
        #expect(lines.contains { $0.hasPrefix("photos/12-dangling.jpg") && $0.contains("broken-link") && $0.contains("nowhere.jpg") })
        #expect(lines.contains { $0.hasPrefix("photos/13-folder") && $0.contains("not-a-file") })
        #expect(lines.last?.hasPrefix("13 photos: 6 usable, 7 rejected") == true, "\(lines.last ?? "")")

        // Given by name too.
        let (named, namedTimedOut) = try run(["check", "--no-person-checks", "photos/10-pipe", "photos/11-zero.jpg", "--min-images", "0"], in: folder, deadline: 30)
        #expect(!namedTimedOut)
        #expect(named.status == 0 && named.stdout.components(separatedBy: "not-a-file").count == 3, "\(named.stdout) \(named.stderr)")
    }

    /// A previous set at `set`, then `prepare --force` that cannot write. The old set must stay
    /// byte for byte, the run must exit 2 naming the write, and no photo may be blamed.
    private func expectWriteFailureLeavesSet(in folder: URL, parent: URL, limits: String, reason: String) throws {
        let set = parent.appendingPathComponent("set")
        let first = try run(["prepare", "--no-person-checks", "photos", "--out", set.path, "--max-side", "256", "--min-side", "200", "--quiet"], in: folder).result
        try #require(first.status == 0, "\(first.stderr)")
        let before = try FileManager.default.contentsOfDirectory(atPath: set.path).sorted().map { name in
            name + fingerprint(try Data(contentsOf: set.appendingPathComponent(name)))
        }
        let (result, timedOut) = try run(["prepare", "--no-person-checks", "photos", "--out", set.path, "--force"], in: folder, limits: limits)
        #expect(!timedOut)
        #expect(result.status == 2, "exit \(result.status): \(result.stdout) \(result.stderr)")
        #expect(result.stderr.contains("cannot write") && result.stderr.contains(reason), "\(result.stderr)")
        #expect(!result.stderr.contains("unreadable") && !result.stderr.contains("set is usable"), "\(result.stderr)")
        #expect(result.stdout.isEmpty, "no set path printed: \(result.stdout)")
        let after = try FileManager.default.contentsOfDirectory(atPath: set.path).sorted().map { name in
            name + fingerprint(try Data(contentsOf: set.appendingPathComponent(name)))
        }
        #expect(after == before, "the previous set was changed")
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent.path) == ["set"], "no partial folders left")
    }

    @Test("a write that fails while staging (file size limit) is a run-level I/O error; the old set stays")
    func writeFailure() throws {
        let folder = try samples()
        defer { try? FileManager.default.removeItem(at: folder) }
        let parent = folder.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        // RLIMIT_FSIZE of 64 kB: every full-size output (about 200 kB) fails with EFBIG, as a full
        // disk fails with ENOSPC; SIGXFSZ ignored (inherited through exec) so write(2) returns the error.
        try expectWriteFailureLeavesSet(in: folder, parent: parent, limits: "trap '' XFSZ; ulimit -f 64", reason: "too large")
    }

    @Test("a full disk (a 1 MB tmpfs) while staging: exit 2, the old set untouched, no photo blamed",
          .enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func diskFull() throws {
        let folder = try samples()
        defer { try? FileManager.default.removeItem(at: folder) }
        let mountPoint = folder.appendingPathComponent("disk")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        let mount = try run(["--version"], in: folder, limits: "mount -t tmpfs -o size=1m tmpfs '\(mountPoint.path)' || exit 99")
        guard mount.result.status == 0 else {
            // A container without CAP_SYS_ADMIN: the file-size drill above covers the same path.
            print("diskFull: cannot mount a tmpfs here (\(mount.result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))); skipped")
            return
        }
        defer { _ = try? run(["--version"], in: folder, limits: "umount '\(mountPoint.path)'") }
        try expectWriteFailureLeavesSet(in: folder, parent: mountPoint, limits: "true", reason: "No space left on device")
    }

    @Test("every numeric option is range-checked: out of range is a usage error (exit 2), never a trap",
          arguments: [
              ["tunes", "list", "--max-time", "1e19"], ["tunes", "list", "--retry-wait", "1e300"],
              ["tunes", "list", "--idempotent-wait", "1e300"], ["tunes", "list", "--max-time", "inf"],
              ["tunes", "list", "--retry-wait", "nan"], ["tunes", "list", "--stall-time", "99999999999"],
              ["tunes", "list", "--before-id", "-1"], ["tunes", "show", "0"],
              ["submit", "set", "--name", "man", "--max-time", "1e19"], ["submit", "set", "--name", "man", "--steps", "-1"],
              ["submit", "set", "--name", "man", "--pack", "0"],
              ["check", "--no-person-checks", "photos", "--max-megapixels", "1e300"], ["check", "--no-person-checks", "photos", "--max-megapixels", "inf"],
              ["check", "--no-person-checks", "photos", "--max-megapixels", "nan"], ["check", "--no-person-checks", "photos", "--workers", "0"],
              ["check", "--no-person-checks", "photos", "--workers", "1000000"], ["check", "--no-person-checks", "photos", "--max-side", "9223372036854775807"],
              ["check", "--no-person-checks", "photos", "--min-side", "-1"], ["check", "--no-person-checks", "photos", "--max-bytes", "9223372036854775807"],
              ["check", "--no-person-checks", "photos", "--max-total", "-5"], ["check", "--no-person-checks", "photos", "--max-images", "9223372036854775807"],
              ["check", "--no-person-checks", "photos", "--min-sharpness", "nan"], ["check", "--no-person-checks", "photos", "--min-brightness", "1e300"],
              ["check", "--no-person-checks", "photos", "--min-colorfulness", "-1"], ["check", "--no-person-checks", "photos", "--near-duplicate-bits", "-9"],
              ["prepare", "--no-person-checks", "photos", "--out", "x", "--max-megapixels", "1e300"],
              ["serve-mock", "--training-seconds", "1e300"], ["serve-mock", "--fast-training-seconds", "inf"],
              ["serve-mock", "--latency-ms", "9223372036854775807"], ["serve-mock", "--max-body-bytes", "-1"],
              ["serve-mock", "--retry-after", "-1"],
          ])
    func numericRanges(arguments: [String]) throws {
        let folder = try TuneprepBinary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("photos"), withIntermediateDirectories: true)
        // With a key and a local address, so that only the range check can stop the command.
        let (result, timedOut) = try run(arguments, in: folder, limits: "ulimit -v 8388608; export ASTRIA_API_KEY=sd_test ASTRIA_BASE_URL=http://127.0.0.1:9", deadline: 30)
        #expect(!timedOut)
        #expect(result.status == 2, "\(arguments): exit \(result.status) \(result.stderr)")
        #expect(!result.stderr.contains("Fatal error"), "\(result.stderr)")
    }
}

private func fingerprint(_ data: Data) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a: enough to see a change
    for byte in data { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return String(hash, radix: 16)
}
