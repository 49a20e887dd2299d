@testable import AstriaClient
import AstriaMockServer
import TunePrepDigest
import Foundation
import MultipartKit
import NIOCore
import Synchronization
import TunePrepTestSupport
import Testing
import TunePrep

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
