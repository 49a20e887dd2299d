import AstriaClient
import Foundation

// Upload benchmark: the same multipart upload (N JPEG-like files) over loopback to a discarding
// server, by the curl command line and by AstriaClient, with AstriaClient's peak memory for a
// small and the full body (it should not grow with the body).
//
//   swift run -c release tuneprep-upload-bench [--megabytes 240] [--files 20] [--runs 9]
//
// Internal modes: --serve (the discard server), --client URL FILE... (one upload by AstriaClient).

let arguments = Array(CommandLine.arguments.dropFirst())

func option(_ name: String, _ fallback: Int) -> Int {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count, let v = Int(arguments[i + 1]), v > 0 else { return fallback }
    return v
}

/// Peak resident memory of this process, from the kernel (VmHWM), in KiB.
func peakMemoryKiB() -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? -1
    }
    return -1
}

func clientMode(url: String, files: [String]) async -> Never {
    do {
        var policy = RetryPolicy.none
        policy.maxAttempts = 1
        let api = try AstriaAPI(configuration: AstriaConfiguration(baseURL: url, apiKey: APIKey("sd_FAKE_bench")!, retry: policy))
        var request = TuneRequest(title: "bench", name: "man")
        request.images = try files.map { path throws(AstriaError) in try TuneRequest.Image(path: path, contentType: "image/jpeg") }
        let start = ContinuousClock.now
        _ = try await api.createTune(request, idempotent: true)
        let elapsed = (ContinuousClock.now - start).components
        print(Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18, peakMemoryKiB())
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("client: \(error)\n".utf8))
        exit(1)
    }
}

struct Timed { var seconds: Double; var output: String }

func run(_ command: (String, [String])) throws -> Timed {
    let (executable, args) = command
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = args
    let pipe = Pipe()
    process.standardOutput = pipe
    let start = DispatchTime.now()
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    guard process.terminationStatus == 0 else {
        throw NSError(domain: "bench", code: Int(process.terminationStatus), userInfo: [NSLocalizedDescriptionKey: "\(executable) failed"])
    }
    return Timed(seconds: seconds, output: String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
}

func makeFiles(in dir: URL, count: Int, bytesEach: Int) throws -> [String] {
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    var block = [UInt8](repeating: 0, count: 1 << 20)
    var x: UInt64 = 0x9E37_79B9_7F4A_7C15
    for i in block.indices { x = x &* 6364136223846793005 &+ 1442695040888963407; block[i] = UInt8(truncatingIfNeeded: x >> 33) }
    return try (1...count).map { index in
        let path = dir.appendingPathComponent(String(format: "%02d.jpg", index)).path
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var written = 0
        block[0] = 0xFF; block[1] = 0xD8; block[2] = 0xFF; block[3] = UInt8(truncatingIfNeeded: index)
        while written < bytesEach {
            let n = min(block.count, bytesEach - written)
            try handle.write(contentsOf: block[..<n])
            written += n
        }
        return path
    }
}

/// On a small machine the client and the server otherwise trade cores at random, and the timings
/// with them: with taskset (util-linux), clients run on CPU 0 and the server on the last CPU.
let cpus = ProcessInfo.processInfo.activeProcessorCount
let taskset = "/usr/bin/taskset"
let pinning = cpus > 1 && FileManager.default.isExecutableFile(atPath: taskset)

func pinned(_ executable: String, _ args: [String], cpu: Int) -> (String, [String]) {
    pinning ? (taskset, ["-c", String(cpu), executable] + args) : (executable, args)
}

if arguments.first == "--serve" { DiscardServer.run() }
if arguments.first == "--client", arguments.count >= 3 { await clientMode(url: arguments[1], files: Array(arguments.dropFirst(2))) }

let megabytes = option("--megabytes", 240)
let fileCount = option("--files", 20)
let runs = option("--runs", 9)
let bytesEach = megabytes * 1_000_000 / fileCount
let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tuneprep-bench-\(getpid())")
defer { try? FileManager.default.removeItem(at: dir) }

do {
    let files = try makeFiles(in: dir, count: fileCount, bytesEach: bytesEach)
    let total = Double(bytesEach * fileCount)

    let server = Process()
    let (serverExe, serverArgs) = pinned(me, ["--serve"], cpu: cpus - 1)
    server.executableURL = URL(fileURLWithPath: serverExe)
    server.arguments = serverArgs
    let serverOut = Pipe()
    server.standardOutput = serverOut
    try server.run()
    defer { server.terminate() }
    var portLine = Data()
    while !portLine.contains(UInt8(ascii: "\n")) {
        let chunk = serverOut.fileHandleForReading.availableData
        if chunk.isEmpty { break }
        portLine += chunk
    }
    guard let port = Int(String(decoding: portLine, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
        throw NSError(domain: "bench", code: 1, userInfo: [NSLocalizedDescriptionKey: "the discard server did not start"])
    }
    let url = "http://127.0.0.1:\(port)"
    // Same form as the client sends; no Expect round trip for either (our client never sends it).
    let curlArgs = ["-sS", "-o", "/dev/null", "-w", "%{time_total}", "-H", "Expect:", "-H", "Authorization: Bearer sd_FAKE_bench",
                    "-F", "tune[title]=bench", "-F", "tune[name]=man"]
        + files.flatMap { ["-F", "tune[images][]=@\($0);type=image/jpeg"] } + ["\(url)/tunes"]

    if pinning { print("clients pinned to CPU 0, server to CPU \(cpus - 1) (taskset)") }
    print("upload of \(fileCount) files, \(String(format: "%.1f", total / 1e6)) MB, over loopback to a discarding server; \(runs) runs each, alternating")
    // Transfer time as each reports it (curl's time_total, our createTune call), and the whole
    // process's wall time, start-up included.
    var curlTimes: [Double] = [], ourTimes: [Double] = [], curlWall: [Double] = [], ourWall: [Double] = []
    var peakFull = 0
    for _ in 1...runs {
        let theirs = try run(pinned("/usr/bin/curl", curlArgs, cpu: 0))
        curlTimes.append(Double(theirs.output) ?? .nan)
        curlWall.append(theirs.seconds)
        let ours = try run(pinned(me, ["--client", url] + files, cpu: 0))
        let fields = ours.output.split(separator: " ")
        ourTimes.append(Double(fields.first ?? "") ?? .nan)
        ourWall.append(ours.seconds)
        peakFull = max(peakFull, Int(fields.last ?? "") ?? -1)
    }
    let small = Array(files.prefix(max(1, fileCount / 10)))
    let peakSmall = Int(try run(pinned(me, ["--client", url] + small, cpu: 0)).output.split(separator: " ").last ?? "") ?? -1
    let smallMB = Double(small.count * bytesEach) / 1e6

    func report(_ label: String, _ times: [Double]) -> Double {
        let sorted = times.sorted()
        let median = sorted[sorted.count / 2]
        print(String(format: "%-24@ median %7.1f MB/s  best %7.1f MB/s  (%.3f s median)", label as NSString,
                     total / median / 1e6, total / sorted[0] / 1e6, median))
        return total / median
    }
    print("transfer (as timed by each):")
    let curlRate = report("  curl command line", curlTimes)
    let ourRate = report("  AstriaClient (libcurl)", ourTimes)
    print(String(format: "  ratio (ours / curl, median): %.3fx", ourRate / curlRate))
    print("whole process (start-up included):")
    let curlWallRate = report("  curl command line", curlWall)
    let ourWallRate = report("  AstriaClient (libcurl)", ourWall)
    print(String(format: "  ratio (ours / curl, median): %.3fx", ourWallRate / curlWallRate))
    print("AstriaClient peak memory (VmHWM): \(peakSmall) KiB for \(String(format: "%.1f", smallMB)) MB, \(peakFull) KiB for \(String(format: "%.1f", total / 1e6)) MB")
} catch {
    FileHandle.standardError.write(Data("bench: \(error.localizedDescription)\n".utf8))
    exit(1)
}
