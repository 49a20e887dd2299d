@testable import AstriaClient
import CCurl
import AstriaMockServer
import Foundation
import Testing
import TunePrepTestSupport

/// What the client shows of the server's answers: control characters escaped, honest 504
/// messages, and list entries that cannot be read named rather than dropped.
@Suite struct ServerTextTests {
    @Test func controlCharactersAreEscapedForTheTerminal() {
        #expect(sanitizedForTerminal("plain Zoë 🙂") == "plain Zoë 🙂")
        #expect(sanitizedForTerminal("a\u{1B}[2Jb\r\nc\td\u{7}\u{9B}e") == "a\\u{1B}[2Jb\\r\\nc\\td\\u{7}\\u{9B}e")
        #expect(sanitizedForTerminal("abc\u{202E}gpj.exe") == "abc\\u{202E}gpj.exe")
        // Escaping twice changes nothing more.
        let once = sanitizedForTerminal("x\u{1B}y")
        #expect(sanitizedForTerminal(once) == once)
    }

    @Test func aValidationMessageWithEscapeSequencesIsShownEscaped() async throws {
        try await withServer { server in
            let dir = try temporaryFolder()
            let notImage = dir.appendingPathComponent("x.jpg")
            try Data("not an image".utf8).write(to: notImage)
            var request = TuneRequest(title: "t", name: "man")
            request.images = [try TuneRequest.Image(path: notImage.path, filename: "evil\u{1B}[31m\u{7}.jpg", contentType: "image/jpeg")]
            let error = await #expect(throws: AstriaError.self) { try await makeClient(server).createTune(request, idempotent: true) }
            guard case .validation(let message, let body)? = error else { Issue.record("got \(String(describing: error))"); return }
            #expect(body.contains("evil\\u001b"), "the body is kept as sent, JSON escapes and all")
            #expect(!hasControlCharacters(message) && message.contains("evil\\u{1B}[31m\\u{7}.jpg"), "\(message.debugDescription)")
            let text = error.map { "\($0)" } ?? ""
            #expect(!text.isEmpty && !hasControlCharacters(text))
        }
    }

    @Test func a504OnAResentIdempotentCreateDoesNotSayItWasNotResent() async throws {
        let script: [FaultPlan.Fault] = [.status(504), .status(504), .status(504)]
        try await withServer(serverOptions(faults: FaultPlan(script: script))) { server in
            let dir = try temporaryFolder()
            var request = TuneRequest(title: "t", name: "man")
            request.images = try writeImages(["1.jpg"], in: dir).map { url throws(AstriaError) in try TuneRequest.Image(path: url.path) }
            let error = await #expect(throws: AstriaError.self) {
                try await makeClient(server, maxAttempts: 3).createTune(request, idempotent: true)
            }
            let text = error?.description ?? ""
            #expect(!text.contains("not resent"), "\(text)")
            #expect(text.contains("was resent") && text.contains("gave up after 3 attempts"), "\(text)")
            #expect(await server.requests().count == 3)
        }
    }

    @Test func a504OnAGetDoesNotTalkAboutCreatingATune() async throws {
        let plan = FaultPlan(script: [.status(504)], scope: .allRequests)
        try await withServer(serverOptions(faults: plan)) { server in
            let error = await #expect(throws: AstriaError.self) { try await makeClient(server, maxAttempts: 1).listTunes() }
            let text = error?.description ?? ""
            #expect(!text.contains("created") && text.contains("GET /tunes"), "\(text)")
        }
    }

    @Test func aNetworkFailureNamesTheHostAndPort() async throws {
        let server = try CannedServer(status: 200, body: "[]")
        server.stop()  // nothing listens there any more
        let client = try AstriaAPI(configuration: AstriaConfiguration(baseURL: server.baseURL, apiKey: APIKey(fakeKey)!, retry: .none))
        let error = await #expect(throws: AstriaError.self) { try await client.listTunes() }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("127.0.0.1 port \(server.port)"), "\(text)")
        // Named, not only numbered: a caller can tell "nothing listens" from other failures.
        guard case .transport(let failure, let bodySent)? = error?.underlying else {
            Issue.record("not a transport failure: \(text)"); return
        }
        #expect(failure.kind == .cannotConnect)
        #expect(!bodySent)
    }

    @Test func transportFailuresAreNamed() {
        #expect(CurlFailure(CURLE_COULDNT_RESOLVE_HOST).kind == .hostNotFound)
        #expect(CurlFailure(CURLE_OPERATION_TIMEDOUT).kind == .timedOut)
        #expect(CurlFailure(CURLE_PEER_FAILED_VERIFICATION).kind == .tls)
        #expect(CurlFailure(CURLE_RECV_ERROR).kind == .connectionLost)
        #expect(CurlFailure(CURLE_ABORTED_BY_CALLBACK).kind == .aborted)
        #expect(CurlFailure(CURLE_FILESIZE_EXCEEDED).kind == .badResponse)
        #expect(CurlFailure(CURLE_READ_ERROR).kind == .uploadFileUnreadable)
        #expect(CurlFailure(CURLE_TFTP_NOTFOUND).kind == .other)
    }

    @Test func theTransientFailuresAreTheNetworksNotOurs() {
        // The codes a request is retried after (the list AstriaAPI kept before Kind had it).
        let transient: [CURLcode] = [
            CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT,
            CURLE_WEIRD_SERVER_REPLY, CURLE_HTTP2, CURLE_PARTIAL_FILE, CURLE_OPERATION_TIMEDOUT,
            CURLE_SSL_CONNECT_ERROR, CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR,
            CURLE_HTTP2_STREAM, CURLE_HTTP3, CURLE_QUIC_CONNECT_ERROR, CURLE_SEND_FAIL_REWIND,
        ]
        for raw in 1...100 {
            let code = CURLcode(UInt32(raw))
            #expect(CurlFailure(code).kind.isTransient == transient.contains(code), "curl error \(raw)")
        }
    }

    static let badList = """
        [{"id": 1, "title": "fine"}, {"id": 9223372036854775808, "title": "big"}, {"id": "abc"}, "nope", {"title": "no id"}, {"id": 2.5}]
        """

    @Test func unreadableListEntriesAreNamedNotDropped() async throws {
        let server = try CannedServer(status: 200, body: Self.badList)
        defer { server.stop() }
        let client = try AstriaAPI(configuration: AstriaConfiguration(baseURL: server.baseURL, apiKey: APIKey(fakeKey)!, retry: .none))
        let listing = try await client.tuneListing()
        #expect(listing.items.map(\.id) == [1])
        #expect(listing.unreadable.map(\.index) == [2, 3, 4, 5, 6])
        let reasons = listing.unreadable.map(\.description)
        try #require(reasons.count == 5)
        #expect(reasons[0] == "entry 2: id 9223372036854775808 is above the largest id this client reads (9223372036854775807)")
        #expect(reasons[1].contains("\"abc\" is not a number"))
        #expect(reasons[2].contains("not an object"))
        #expect(reasons[3] == "entry 5: no id")
        #expect(reasons[4].contains("not a whole number"))
        let error = await #expect(throws: AstriaError.self) { try await client.listTunes() }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("entry 2: id 9223372036854775808"), "\(text)")
    }
}

/// Whether `text` holds a C0 or C1 control character (the scalars themselves, not their escapes).

/// A one-answer HTTP server on loopback: every request gets the same status and JSON body, for
/// answers the mock server never gives (malformed lists).
final class CannedServer: @unchecked Sendable {
    let port: Int
    private let socketFD: Int32
    var baseURL: String { "http://127.0.0.1:\(port)" }

    init(status: Int, body: String) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        socketFD = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.EADDRNOTAVAIL) }
        port = Int(UInt16(bigEndian: address.sin_port))
        let response = Array("HTTP/1.1 \(status) Canned\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)".utf8)
        let listener = fd
        let finished = DispatchSemaphore(value: 0)
        self.finished = finished
        // The thread owns the descriptor and closes it only after its last accept: closing it in
        // stop() let the number be reused by another test's socket while this thread could still
        // accept on it, answering that test's request with this server's body.
        Thread {
            defer { close(listener); finished.signal() }
            while true {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { return }
                var request: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 4096)
                while !request.suffix(4).elementsEqual(Array("\r\n\r\n".utf8)) {
                    let n = read(client, &buffer, buffer.count)
                    guard n > 0 else { break }
                    request += buffer[..<n]
                }
                _ = response.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
                close(client)
            }
        }.start()
    }

    private let finished: DispatchSemaphore
    private let stopped = NSLock()
    private var isStopped = false

    /// Stops listening and waits until the descriptor is closed, so nothing listens on the port
    /// afterwards. Safe to call twice.
    func stop() {
        stopped.lock(); defer { stopped.unlock() }
        guard !isStopped else { return }
        isStopped = true
        shutdown(socketFD, Int32(SHUT_RDWR))  // wakes the accept, which then fails
        finished.wait()
    }
}
