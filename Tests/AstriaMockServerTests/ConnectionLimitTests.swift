@testable import AstriaMockServer
import Foundation
import Testing

/// Connections that stall, flood or overflow: closed in bounded time, and a normal request is
/// still answered while they are open. Also the body and field limits a Rails app would have.
@Suite struct ConnectionLimitTests {
    /// A blocking socket to the server on 127.0.0.1, or -1.
    static func connectTo(_ port: Int) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        if !connected { close(fd); return -1 }
        return fd
    }

    /// On a plain thread, sends `request`, then waits until the server ends the connection (EOF
    /// or reset) and returns how long that took from the send, or nil when it stayed open for
    /// `bound` seconds (which only bounds a hang). Send and clock on one thread: a busy cooperative
    /// pool in the test process cannot come between them.
    static func timeUntilClosed(_ fd: Int32, sendingFirst request: String, bound: Int = 60) async -> Duration? {
        await withCheckedContinuation { continuation in
            Thread {
                var timeout = timeval(tv_sec: bound, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                let start = ContinuousClock.now
                _ = request.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
                var buffer = [UInt8](repeating: 0, count: 65536)
                while true {
                    let n = recv(fd, &buffer, buffer.count, 0)
                    if n > 0 { continue }
                    if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { continuation.resume(returning: nil); return }
                    continuation.resume(returning: ContinuousClock.now - start)
                    return
                }
            }.start()
        }
    }

    /// Watches a socket on a plain thread started at once, and notes when the server ended the
    /// connection (EOF or reset), or nil when it stayed open for `bound` seconds. Thread and clock
    /// are the watcher's own, so a busy cooperative pool in the test process cannot delay either.
    final class CloseWatch: @unchecked Sendable {
        private let condition = NSCondition()
        private var finished = false
        private var instant: ContinuousClock.Instant?

        init(_ fd: Int32, bound: Int = 90) {
            Thread { [self] in
                var timeout = timeval(tv_sec: bound, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                var buffer = [UInt8](repeating: 0, count: 4096)
                var closed: ContinuousClock.Instant?
                while true {
                    let n = recv(fd, &buffer, buffer.count, 0)
                    if n > 0 { continue }
                    if !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) { closed = .now }
                    break
                }
                condition.lock()
                instant = closed
                finished = true
                condition.broadcast()
                condition.unlock()
            }.start()
        }

        /// When the connection closed, once the watch has ended.
        var closedAt: ContinuousClock.Instant? {
            get async {
                await withCheckedContinuation { continuation in
                    Thread { [self] in
                        condition.lock()
                        while !finished { condition.wait() }
                        let result = instant
                        condition.unlock()
                        continuation.resume(returning: result)
                    }.start()
                }
            }
        }
    }

    /// `GET /tunes` over a plain socket on a plain thread: the status line and the instant its
    /// first byte arrived, both seen on that thread (curl's process, awaited on a loaded pool,
    /// once took 50 s to report an answer the server had given at once).
    static func rawGet(_ port: Int, path: String = "/tunes") async -> (statusLine: String, at: ContinuousClock.Instant, took: Duration) {
        await withCheckedContinuation { continuation in
            Thread {
                let start = ContinuousClock.now
                let fd = connectTo(port)
                defer { if fd >= 0 { close(fd) } }
                guard fd >= 0 else { continuation.resume(returning: ("(no connection)", .now, .zero)); return }
                var timeout = timeval(tv_sec: 60, tv_usec: 0)  // bounds a hang only
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(testKey)\r\nConnection: close\r\n\r\n"
                _ = request.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
                var received: [UInt8] = []
                var firstByte: ContinuousClock.Instant?
                var buffer = [UInt8](repeating: 0, count: 4096)
                while !received.contains(UInt8(ascii: "\n")) {
                    let n = recv(fd, &buffer, buffer.count, 0)
                    guard n > 0 else { break }
                    if firstByte == nil { firstByte = .now }
                    received += buffer[..<n]
                }
                let line = String(decoding: received, as: UTF8.self).components(separatedBy: "\r\n").first ?? ""
                let at = firstByte ?? .now
                continuation.resume(returning: (line, at, at - start))
            }.start()
        }
    }

    @Test("a connection stalled in its headers is closed after the header timeout; a normal request is answered meanwhile")
    func stalledHeadersAreClosed() async throws {
        try await withServer(MockServerOptions(apiKey: testKey, headerTimeout: .seconds(15), idleTimeout: .seconds(600))) { server in
            let opened = ContinuousClock.now
            let stalled = (0..<20).map { _ in Self.connectTo(server.port) }
            defer { stalled.forEach { if $0 >= 0 { close($0) } } }
            try #require(stalled.allSatisfy { $0 >= 0 })
            for fd in stalled { _ = send(fd, "G", 1, Int32(MSG_NOSIGNAL)) }  // one header byte, then nothing
            let watchers = stalled.map { CloseWatch($0) }

            let normal = await Self.rawGet(server.port)
            #expect(normal.statusLine == "HTTP/1.1 200 OK", "\(normal.statusLine)")

            var closings: [ContinuousClock.Instant] = []
            for watcher in watchers {
                let closed = await watcher.closedAt
                #expect(closed != nil, "a stalled connection stayed open")
                if let closed { closings.append(closed) }
            }
            // Compared with the instants the connections closed, not with a wall-clock budget:
            // the answer came while every stalled one was still open.
            if let first = closings.min() {
                #expect(normal.at < first, "answered \(normal.at - opened) after opening; a stalled one closed after \(first - opened)")
            }
            // Closed by the header timeout: not at once, and long before the 600 s idle timeout
            // (nothing else closes them; 90 s only bounds a loaded machine's lateness).
            for closed in closings {
                let after = closed - opened
                #expect(after >= .milliseconds(14_900) && after < .seconds(90), "closed \(after) after opening")
            }
        }
    }

    @Test("a connection idle after its answer is closed after the idle timeout")
    func idleKeepAliveIsClosed() async throws {
        try await withServer(MockServerOptions(apiKey: testKey, headerTimeout: .seconds(30), idleTimeout: .seconds(1))) { server in
            let fd = Self.connectTo(server.port)
            defer { close(fd) }
            let request = "GET /tunes HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(testKey)\r\n\r\n"
            let closedAfter = await Self.timeUntilClosed(fd, sendingFirst: request)
            let after = try #require(closedAfter, "the idle connection stayed open")
            // From the request's send (the idle time starts at the answer, a little later).
            #expect(after >= .milliseconds(900) && after < .seconds(15), "\(after)")
        }
    }

    @Test("at the connection limit, stalled connections make room: a normal request is answered at once")
    func limitClosesTheLongestWaiting() async throws {
        // The header timeout is long: only the limit can explain a prompt answer.
        try await withServer(MockServerOptions(apiKey: testKey, headerTimeout: .seconds(120), maxConnections: 8)) { server in
            let stalled = (0..<24).map { _ in Self.connectTo(server.port) }
            defer { stalled.forEach { close($0) } }
            for fd in stalled where fd >= 0 { _ = send(fd, "P", 1, Int32(MSG_NOSIGNAL)) }
            let normal = await Self.rawGet(server.port)
            #expect(normal.statusLine == "HTTP/1.1 200 OK", "\(normal.statusLine)")
            #expect(normal.took < .seconds(60), "answered without waiting for the 120 s header timeout: \(normal.took)")
        }
    }

    @Test("after the 400 for a 10 MB header line, the rest is read and the connection closed: the client never blocks")
    func oversizedHeaderIsAnsweredAndClosed() async throws {
        try await withServer { server in
            let fd = Self.connectTo(server.port)
            defer { close(fd) }
            let answer: (String, Duration, blocked: Bool) = await withCheckedContinuation { continuation in
                Thread {
                    var timeout = timeval(tv_sec: 30, tv_usec: 0)  // bounds a hang only
                    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                    let start = ContinuousClock.now
                    let request = Array("GET /tunes HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ".utf8)
                        + [UInt8](repeating: UInt8(ascii: "a"), count: 10 * 1024 * 1024) + Array("\r\n\r\n".utf8)
                    var offset = 0, blocked = false
                    while offset < request.count {
                        let n = request[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                        if n > 0 { offset += n; continue }
                        blocked = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
                        break  // EPIPE or a reset: the server closed, which is allowed
                    }
                    var received = Data()
                    var buffer = [UInt8](repeating: 0, count: 65536)
                    while true {
                        let n = recv(fd, &buffer, buffer.count, 0)
                        guard n > 0 else { break }
                        received.append(contentsOf: buffer[..<n])
                    }
                    continuation.resume(returning: (String(decoding: received, as: UTF8.self), ContinuousClock.now - start, blocked))
                }.start()
            }
            #expect(!answer.blocked, "the server stopped reading and the client blocked")
            #expect(answer.0.hasPrefix("HTTP/1.1 400"), "\(answer.0.prefix(200))")
            #expect(answer.1 < .seconds(20), "\(answer.1)")
            // And the server goes on answering.
            let normal = try await curl(auth + [server.baseURL.absoluteString + "/tunes"])
            #expect(normal.status == 200)
        }
    }

    @Test("invalid UTF-8 in a JSON body is named with its byte offset")
    func invalidUTF8IsNamed() async throws {
        let folder = try fixtureFolder(images: 0)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data([UInt8]("{\"title\":\"".utf8) + [0xC3, 0x28] + [UInt8]("\",\"name\":\"man\"}".utf8))
            .write(to: folder.appendingPathComponent("bad.json"))
        try await withServer { server in
            let r = try await curl(["-X", "POST", "-H", "Content-Type: application/json"] + auth
                                   + ["--data-binary", "@bad.json", server.baseURL.absoluteString + "/tunes"], cwd: folder)
            #expect(r.status == 400)
            #expect(r.text.contains("the body is not valid UTF-8 at byte 10"), "\(r.text)")
        }
        #expect(BodyParser.firstInvalidUTF8(Array("héllo ✓ 🙂".utf8)) == nil)
        #expect(BodyParser.firstInvalidUTF8([0x61, 0xF0, 0x9F, 0x99]) == 1)  // cut in the middle of a scalar
        #expect(BodyParser.firstInvalidUTF8([0x61, 0x62, 0x80]) == 2)
    }

    @Test("strings longer than their Rails columns answer 422 naming the field; at the limit they are accepted")
    func fieldLimits() async throws {
        let folder = try fixtureFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withServer { server in
            let url = server.baseURL.absoluteString + "/tunes"
            let tooLong = "é" + String(repeating: "t", count: 255)  // 256 characters, 257 bytes
            var r = try await curl(["-X", "POST"] + auth + tuneForm(title: tooLong) + [url], cwd: folder)
            #expect(r.status == 422)
            #expect(r.text == #"{"title":["is too long (maximum is 255 characters)"]}"#, "\(r.text)")

            r = try await curl(["-X", "POST"] + auth + tuneForm(title: "t", name: String(repeating: "n", count: 300),
                                                                 extra: ["tune[characteristics][eye_color]=" + String(repeating: "b", count: 256),
                                                                         "tune[prompts_attributes][][text]=" + String(repeating: "p", count: 65_536)]) + [url], cwd: folder)
            #expect(r.status == 422)
            #expect(r.object["name"] as? [String] == ["is too long (maximum is 255 characters)"], "\(r.text)")
            #expect(r.object["characteristics"] as? [String] == ["is too long (maximum is 255 characters)"], "\(r.text)")
            #expect(r.object["prompts.text"] as? [String] == ["is too long (maximum is 65535 characters)"], "\(r.text)")
            #expect(await server.tunes().isEmpty)

            let atLimit = String(repeating: "é", count: 255)
            r = try await curl(["-X", "POST"] + auth + tuneForm(title: atLimit) + [url], cwd: folder)
            #expect(r.status == 201, "\(r.text)")
        }
    }
}
