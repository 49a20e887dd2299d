import AstriaMockServer
import Foundation
import Testing
import TunePrepTestSupport

/// What a subprocess did.
struct ProcessResult: Sendable {
    var exitCode: Int32
    var stdout: Data
    var stderr: String
    var text: String { String(decoding: stdout, as: UTF8.self) }
}

/// Runs a program without blocking a Swift concurrency thread: the server under test answers on
/// those same threads, so a blocking wait could starve it.
func runProcess(
    _ executable: String, _ arguments: [String], cwd: URL? = nil, environment: [String: String] = [:]
) async throws -> ProcessResult {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("proc-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("out"), err = dir.appendingPathComponent("err")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    _ = FileManager.default.createFile(atPath: err.path, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let cwd { process.currentDirectoryURL = cwd }
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    process.standardOutput = try FileHandle(forWritingTo: out)
    process.standardError = try FileHandle(forWritingTo: err)
    let code: Int32 = try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
        do { try process.run() } catch { continuation.resume(throwing: error) }
    }
    return ProcessResult(
        exitCode: code, stdout: try Data(contentsOf: out),
        stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self)
    )
}

/// An answer as curl saw it.
struct CurlResponse: Sendable {
    var exitCode: Int32
    var status: Int
    var headers: [String: String]
    /// Status lines of every header block received, e.g. ["HTTP/1.1 100 Continue", "HTTP/1.1 201 Created"].
    var statusLines: [String]
    var body: Data
    var json: Any? { try? JSONSerialization.jsonObject(with: body) }
    var object: [String: Any] { (json as? [String: Any]) ?? [:] }
    var array: [[String: Any]] { (json as? [[String: Any]]) ?? [] }
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// Sends one request with the real curl command line; `arguments` are curl's own.
/// `--max-time` only bounds a hang (a loaded machine can be slow; it must not fail a test).
func curl(_ arguments: [String], cwd: URL? = nil) async throws -> CurlResponse {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("curl-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let headerFile = dir.appendingPathComponent("headers"), bodyFile = dir.appendingPathComponent("body")
    let result = try await runProcess(
        "/usr/bin/curl",
        ["-sS", "--max-time", "60", "-D", headerFile.path, "-o", bodyFile.path, "-w", "%{http_code}"] + arguments,
        cwd: cwd
    )
    var headers: [String: String] = [:]
    let headerText = (try? String(contentsOf: headerFile, encoding: .utf8)) ?? ""
    // With 100 Continue there are two header blocks; the last one is the answer.
    let blocks = headerText.components(separatedBy: "\r\n\r\n").filter { !$0.isEmpty }
    let lastBlock = blocks.last ?? ""
    for line in lastBlock.components(separatedBy: "\r\n") {
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return CurlResponse(
        exitCode: result.exitCode, status: Int(result.text) ?? 0, headers: headers,
        statusLines: blocks.compactMap { $0.components(separatedBy: "\r\n").first },
        body: (try? Data(contentsOf: bodyFile)) ?? Data()
    )
}

/// Small fixture "photos": a JPEG header, then bytes distinct per index. The server only sniffs the header.
func fixtureJPEG(_ index: Int, size: Int = 3000) -> Data {
    var bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Array("JFIF".utf8) + [0x00]
    var x = UInt32(truncatingIfNeeded: index &* 2_654_435_761 &+ 1)
    while bytes.count < size - 2 {
        x = x &* 1_103_515_245 &+ 12345
        bytes.append(UInt8(truncatingIfNeeded: x >> 16))
    }
    bytes += [0xFF, 0xD9]
    return Data(bytes)
}

/// A fresh temporary folder holding `1.jpg` ... `n.jpg`.
func fixtureFolder(images: Int = 4, size: Int = 3000) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fixtures-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    for i in 1...max(images, 1) {
        try fixtureJPEG(i, size: size).write(to: dir.appendingPathComponent("\(i).jpg"))
    }
    return dir
}

/// SHA-256 by coreutils, independent of the server's own hashing.
func sha256sum(_ file: URL) async throws -> String {
    let result = try await runProcess("/usr/bin/sha256sum", [file.path])
    return String(result.text.prefix(64))
}

/// Starts a server for one test (accepting `testKey`, callbacks on) and always stops it.
func withServer<T>(
    _ options: MockServerOptions = MockServerOptions(apiKey: testKey),
    _ body: (MockAstriaServer) async throws -> T
) async throws -> T {
    try await TunePrepTestSupport.withServer(options, body)
}

let testKey = "sd_test_0123456789abcdef"
let auth = ["-H", "Authorization: Bearer \(testKey)"]

/// Polls until `condition` holds. The deadline only bounds a hang: it is far beyond what any
/// condition needs even on a loaded 2-core CI machine, so never shorten it to test speed.
func eventually(seconds: Double = 60, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

/// A minimal valid create request as curl arguments.
func tuneForm(title: String, name: String = "man", images: [String] = ["1.jpg"], extra: [String] = []) -> [String] {
    ["-F", "tune[title]=\(title)", "-F", "tune[name]=\(name)"]
        + images.flatMap { ["-F", "tune[images][]=@\($0)"] } + extra.flatMap { ["-F", $0] }
}

/// Collects log lines from the server's threads.
final class LineCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func append(_ line: String) { lock.withLock { stored.append(line) } }
    var lines: [String] { lock.withLock { stored } }
}

/// A flag set once, from any thread.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
