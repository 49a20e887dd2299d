@testable import AstriaClient
import AstriaMockServer
import TunePrepDigest
import Foundation
import MultipartKit
import NIOCore
import Synchronization
import Testing
import TunePrep

/// Obviously fake; every test that produces output asserts it is absent.
let fakeKey = "sd_FAKE_tuneprep_test_key_0000"

func temporaryFolder(_ label: String = "client") throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// A JPEG-looking file: SOI/APP0 header, then deterministic bytes, then EOI.
func fixtureJPEG(_ index: Int, size: Int = 3000) -> Data {
    var bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Array("JFIF".utf8) + [0x00]
    bytes.reserveCapacity(size)
    var x = UInt32(truncatingIfNeeded: index &* 2_654_435_761 &+ 1)
    while bytes.count < size - 2 {
        x = x &* 1_103_515_245 &+ 12345
        bytes.append(UInt8(truncatingIfNeeded: x >> 16))
    }
    return Data(bytes + [0xFF, 0xD9])
}

func writeImages(_ names: [String], in dir: URL, size: Int = 3000) throws -> [URL] {
    try names.enumerated().map { index, name in
        let url = dir.appendingPathComponent(name)
        try fixtureJPEG(index + 1, size: size).write(to: url)
        return url
    }
}

func sha256Hex(_ data: some DataProtocol) -> String {
    SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
}

func sha256Hex(file url: URL) throws -> String { sha256Hex(try Data(contentsOf: url)) }

/// A client for a mock server with tiny waits, recording every wait instead of sleeping long.
func makeClient(_ server: MockAstriaServer, key: String = fakeKey, waits: WaitRecorder? = nil,
                maxAttempts: Int = 5, configure: (inout AstriaConfiguration) -> Void = { _ in }) throws -> AstriaAPI {
    var policy = RetryPolicy()
    policy.firstWait = .milliseconds(10)
    policy.idempotentWait = .milliseconds(20)
    policy.maxAttempts = maxAttempts
    if let waits { policy.sleep = { duration in waits.record(duration) } }
    var configuration = AstriaConfiguration(baseURL: server.baseURL.absoluteString, apiKey: APIKey(key)!, retry: policy)
    configure(&configuration)
    return try AstriaAPI(configuration: configuration)
}

func serverOptions(faults: FaultPlan = FaultPlan(), idempotency: Bool = true) -> MockServerOptions {
    MockServerOptions(apiKey: fakeKey, idempotency: idempotency, deliverCallbacks: false, faults: faults)
}

/// Starts a mock server for one test and always stops it.
func withServer<T>(
    _ options: MockServerOptions = serverOptions(),
    _ body: (MockAstriaServer) async throws -> T
) async throws -> T {
    let server = try await MockAstriaServer.start(options)
    do {
        let value = try await body(server)
        await server.stop()
        return value
    } catch {
        await server.stop()
        throw error
    }
}

/// Records waits (the retry loop's sleeps) without sleeping.
final class WaitRecorder: Sendable {
    private let waits = Mutex<[Duration]>([])
    func record(_ duration: Duration) { waits.withLock { $0.append(duration) } }
    var all: [Duration] { waits.withLock { $0 } }
}

/// Collects transfer events from libcurl's thread.
final class EventRecorder: Sendable {
    private let events = Mutex<[TransferEvent]>([])
    func record(_ event: TransferEvent) { events.withLock { $0.append(event) } }
    var progress: [UploadProgress] {
        events.withLock { $0.compactMap { if case .progress(let p) = $0 { p } else { nil } } }
    }
    var retries: [RetryNotice] {
        events.withLock { $0.compactMap { if case .retrying(let r) = $0 { r } else { nil } } }
    }
}

/// One part as MultipartKit's parser saw it.
struct ParsedPart {
    var headers: [(String, String)]
    var body: [UInt8]
    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name }?.1 }
    var text: String { String(decoding: body, as: UTF8.self) }
    var name: String? { header("content-disposition").flatMap { dispositionParameter($0, "name") } }
    var filename: String? { header("content-disposition").flatMap { dispositionParameter($0, "filename") } }
}

/// Reads a whole RequestBody (tests only: small bodies) through the reader libcurl uses.
func materialize(_ body: RequestBody, chunk: Int = 4096) throws -> [UInt8] {
    let reader = BodyReader(body)
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: chunk)
    while true {
        let n = try buffer.withUnsafeMutableBytes { raw throws(BodyReader.Failure) in try reader.read(into: raw) }
        if n == 0 { break }
        out += buffer[..<n]
    }
    return out
}

/// Parses a multipart body with MultipartKit (never our own parser).
func parseMultipart(_ bytes: [UInt8], boundary: String) throws -> [ParsedPart] {
    let parser = MultipartParser(boundary: boundary)
    var parts: [ParsedPart] = []
    var headers: [(String, String)] = []
    var body: [UInt8] = []
    parser.onHeader = { name, value in headers.append((name, value)) }
    parser.onBody = { buffer in
        body += buffer.readableBytesView
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
    }
    parser.onPartComplete = {
        parts.append(ParsedPart(headers: headers, body: body))
        headers = []
        body = []
    }
    try parser.execute(bytes)
    return parts
}

/// `name="..."` / `filename="..."` out of a Content-Disposition value (quoted, no escapes).
func dispositionParameter(_ disposition: String, _ key: String) -> String? {
    guard let range = disposition.range(of: "; \(key)=\"") else { return nil }
    let rest = disposition[range.upperBound...]
    guard let end = rest.firstIndex(of: "\"") else { return nil }
    return String(rest[..<end])
}

/// Rack's rule for a multipart filename: percent-decoded when every `%` starts a valid escape.
func rackFilename(_ raw: String) -> String {
    raw.removingPercentEncoding ?? raw
}

/// A staged set written by hand: JPEG-looking files and a manifest from Manifest's own encoder.
func writeStagedSet(usable: Bool = true, images: Int = 4, size: Int = 20_000) throws -> URL {
    let dir = try temporaryFolder("staged")
    let names = (1...images).map { String(format: "%02d.jpg", $0) }
    let files = try writeImages(names, in: dir, size: size)
    let options = try JSONSerialization.jsonObject(with: Manifest.makeEncoder().encode(PrepareOptions()))
    let imageEntries: [[String: Any]] = try files.map { file in
        let data = try Data(contentsOf: file)
        return ["source": "/photos/\(file.lastPathComponent)", "verdict": "staged", "orientation_applied": 1, "findings": [],
                "output": ["name": file.lastPathComponent, "sha256": sha256Hex(data), "width": 1024, "height": 1024,
                           "bytes": data.count, "quality": 92]]
    }
    let object: [String: Any] = [
        "schema_version": 1, "tool": ["name": "tuneprep", "version": "0.1.0"], "set_id": "tp-\(UUID().uuidString.prefix(12).lowercased())",
        "options": options, "images": imageEntries, "findings": [],
        "summary": ["inputs": images, "staged": images, "rejected": 0, "warnings": 0, "total_bytes": images * size, "usable": usable],
    ]
    let manifest = try Manifest.makeDecoder().decode(Manifest.self, from: JSONSerialization.data(withJSONObject: object))
    try Manifest.makeEncoder().encode(manifest).write(to: dir.appendingPathComponent(Manifest.fileName))
    return dir
}

