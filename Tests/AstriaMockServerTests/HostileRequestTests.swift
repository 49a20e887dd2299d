@testable import AstriaMockServer
import Foundation
import Testing

/// Requests that break framing, flood parameters or carry unreadable parts: each gets the 4xx
/// Rails would give, never a 500, a silent drop or a parse that grows with the square of the input.
@Suite struct HostileRequestTests {
    /// Sends `bytes` as they are on a fresh connection (optionally closing our sending side) and
    /// returns what the server answered, on a plain thread: no concurrency thread is blocked.
    static func rawExchange(port: Int, _ bytes: Data, halfClose: Bool = false) async -> String {
        await withCheckedContinuation { continuation in
            Thread {
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                defer { close(fd) }
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                address.sin_port = UInt16(port).bigEndian
                var timeout = timeval(tv_sec: 30, tv_usec: 0)  // bounds a hang only
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                let connected = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
                }
                guard connected else { continuation.resume(returning: "connect failed"); return }
                _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
                if halfClose { shutdown(fd, Int32(SHUT_WR)) }
                var answer = Data()
                var buffer = [UInt8](repeating: 0, count: 65536)
                while true {
                    let n = recv(fd, &buffer, buffer.count, 0)
                    guard n > 0 else { break }
                    answer.append(contentsOf: buffer[..<n])
                }
                continuation.resume(returning: String(decoding: answer, as: UTF8.self))
            }.start()
        }
    }

    static func post(_ headers: [String], body: Data) -> Data {
        var data = Data(("POST /tunes HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer \(testKey)\r\n"
            + headers.map { $0 + "\r\n" }.joined() + "\r\n").utf8)
        data.append(body)
        return data
    }

    @Test func aBodyShorterThanItsContentLengthIs400() async throws {
        try await withServer { server in
            let request = Self.post(["Content-Type: application/x-www-form-urlencoded", "Content-Length: 100"],
                                    body: Data("tune[title]=x&tune[name]=man".utf8))
            let answer = await Self.rawExchange(port: server.port, request, halfClose: true)
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer)")
            #expect(await server.tunes().isEmpty)
        }
    }

    @Test func anOverflowingChunkSizeIs400() async throws {
        try await withServer { server in
            let request = Self.post(["Content-Type: application/x-www-form-urlencoded", "Transfer-Encoding: chunked"],
                                    body: Data("FFFFFFFFFFFFFFFFFFFF\r\nabc\r\n0\r\n\r\n".utf8))
            let answer = await Self.rawExchange(port: server.port, request)
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer)")
        }
    }

    @Test func aMultipartBodyCutBeforeItsClosingDelimiterIs400() async throws {
        try await withServer { server throws in
            var body = Data("--XyZ\r\nContent-Disposition: form-data; name=\"tune[title]\"\r\n\r\ncut\r\n".utf8)
            body.append(Data("--XyZ\r\nContent-Disposition: form-data; name=\"tune[images][]\"; filename=\"a.jpg\"\r\n\r\n".utf8))
            body.append(fixtureJPEG(1, size: 20_000))  // no closing --XyZ--
            let request = Self.post(["Content-Type: multipart/form-data; boundary=XyZ", "Content-Length: \(body.count)"], body: body)
            let answer = await Self.rawExchange(port: server.port, request)
            #expect(answer.hasPrefix("HTTP/1.1 400") && answer.contains("incomplete"), "\(answer)")
            #expect(await server.tunes().isEmpty)
            let spool = server.dataDirectory.appendingPathComponent(".spool")
            #expect(try FileManager.default.contentsOfDirectory(atPath: spool.path).isEmpty, "spooled parts are removed")
        }
    }

    @Test func headIsAnsweredLikeGetWithoutTheBody() async throws {
        try await withServer { server in
            // With -I, curl's output holds only the headers: the pack list's text must not be there.
            let head = try await curl(["-I"] + auth + [server.baseURL.absoluteString + "/packs"])
            #expect(head.status == 200 && !head.text.contains("Corporate"), "\(head.text)")
            #expect(head.headers["content-type"]?.hasPrefix("application/json") == true)
            #expect((head.headers["content-length"].flatMap { Int($0) } ?? 0) > 100, "the length of the GET answer")
            #expect(try await curl(["-I"] + auth + [server.baseURL.absoluteString + "/tunes/99"]).status == 404)
            #expect(try await curl(["-I", server.baseURL.absoluteString + "/tunes"]).status == 401)
        }
    }

    @Test func aFilenameThatIsNotUTF8IsRefusedNotDropped() async throws {
        try await withServer { server in
            let boundary = "XyZ"
            var body = Data()
            func add(_ text: String) { body.append(Data(text.utf8)) }
            for (name, value) in [("tune[title]", "latin1"), ("tune[name]", "man")] {
                add("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
            }
            for (index, filename) in [Data("a.jpg".utf8), Data([0x62, 0xE9, 0x2E, 0x6A, 0x70, 0x67])].enumerated() {  // "bé.jpg" in Latin-1
                add("--\(boundary)\r\nContent-Disposition: form-data; name=\"tune[images][]\"; filename=\"")
                body.append(filename)
                add("\"\r\nContent-Type: image/jpeg\r\n\r\n")
                body.append(fixtureJPEG(index + 1, size: 500))
                add("\r\n")
            }
            add("--\(boundary)--\r\n")
            let request = Self.post(["Content-Type: multipart/form-data; boundary=\(boundary)", "Content-Length: \(body.count)"], body: body)
            let answer = await Self.rawExchange(port: server.port, request)
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer)")
            #expect(answer.contains("part 4") && answer.contains("UTF-8"), "\(answer)")
            #expect(await server.tunes().isEmpty)
        }
    }

    @Test func parameterFloodsAreRefusedWithA4xx() async throws {
        try await withServer { server in
            let folder = try fixtureFolder()
            defer { try? FileManager.default.removeItem(at: folder) }
            let url = server.baseURL.absoluteString + "/tunes"
            // 100,000 url-encoded fields: over Rack's 4096, refused before any nesting.
            let form = folder.appendingPathComponent("form")
            try Data((0..<100_000).map { "tune[characteristics][k\($0)]=v" }.joined(separator: "&").utf8).write(to: form)
            let flood = try await curl(auth + ["-H", "Content-Type: application/x-www-form-urlencoded", "--data-binary", "@\(form.path)", url])
            #expect(flood.status == 400 && flood.text.contains("too many parameters"), "\(flood.text)")
            // 100,000 keys in one JSON object.
            let json = folder.appendingPathComponent("json")
            try Data(("{\"tune\":{\"title\":\"t\",\"name\":\"man\",\"characteristics\":{"
                + (0..<100_000).map { "\"k\($0)\":\"v\"" }.joined(separator: ",") + "}}}").utf8).write(to: json)
            let wide = try await curl(auth + ["-H", "Content-Type: application/json", "--data-binary", "@\(json.path)", url])
            #expect(wide.status == 400 && wide.text.contains("too many parameters"), "\(wide.text)")
            // 5,000 multipart parts: over the part limit, 413 as Rails maps Rack's.
            let parts = (0..<5000).flatMap { ["-F", "tune[characteristics][k\($0)]=v"] }
            let many = try await curl(auth + parts + [url], cwd: folder)
            #expect(many.status == 413, "\(many.text)")
            // 4,000 distinct nested fields, under the limit, are nested and accepted.
            try Data((["tune[title]=wide", "tune[name]=man", "tune[image_urls][]=https://example.com/1.jpg"]
                + (0..<4000).map { "tune[characteristics][k\($0)]=v\($0)" }).joined(separator: "&").utf8).write(to: form)
            let fine = try await curl(auth + ["-H", "Content-Type: application/x-www-form-urlencoded", "--data-binary", "@\(form.path)", url])
            #expect(fine.status == 201, "\(fine.text)")
            #expect((fine.object["title"] as? String) == "wide")
            #expect(await server.tunes().count == 1)
        }
    }

    @Test func nestingStaysLinear() throws {
        // Many keys in one hash and many items in one array: the result is right and each value
        // lands once (timing is the benchmark's job; this guards the shape).
        let pairs: [(String, ParamValue)] = (0..<20_000).map { ("t[c][k\($0)]", .string("v\($0)")) }
            + (0..<20_000).map { ("t[a][]", .string("\($0)")) }
        let nested = try RailsParameters.nest(pairs)
        let t = try #require(nested["t"]?.hash)
        #expect(t["c"]?.hash?.pairs.count == 20_000)
        #expect(t["c"]?.hash?["k19999"] == .string("v19999"))
        #expect(t["a"]?.list?.count == 20_000)
        #expect(t.keys == ["c", "a"])
    }
}
