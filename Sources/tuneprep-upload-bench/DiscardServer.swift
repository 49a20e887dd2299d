import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 server on loopback that reads and discards each request body, then answers
/// a small tune JSON. Blocking sockets and a thread per connection: it must cost less than the
/// client it measures, and it treats libcurl and the curl command line identically.
enum DiscardServer {
    /// Binds 127.0.0.1 on a free port, prints the port, then serves until killed.
    static func run() -> Never {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { fail("socket") }
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 16) == 0 else { fail("bind/listen") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        FileHandle.standardOutput.write(Data("\(UInt16(bigEndian: address.sin_port))\n".utf8))
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 { continue }
            Thread.detachNewThread { serve(connection) }
        }
    }

    private static func serve(_ fd: Int32) {
        defer { close(fd) }
        let size = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        var head: [UInt8] = []
        var bodyStart = 0
        // Read until the end of the headers.
        while true {
            let n = recv(fd, buffer, size, 0)
            if n <= 0 { return }
            head += UnsafeRawBufferPointer(start: buffer, count: n)
            if let end = find(head, Array("\r\n\r\n".utf8)) { bodyStart = end + 4; break }
            if head.count > 64 * 1024 { return }
        }
        let headers = String(decoding: head[..<bodyStart], as: UTF8.self).lowercased()
        var contentLength = 0
        for line in headers.components(separatedBy: "\r\n") where line.hasPrefix("content-length:") {
            contentLength = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        if headers.contains("expect: 100-continue") { sendAll(fd, "HTTP/1.1 100 Continue\r\n\r\n") }
        var remaining = contentLength - (head.count - bodyStart)
        while remaining > 0 {
            let n = recv(fd, buffer, min(size, remaining), 0)
            if n <= 0 { return }
            remaining -= n
        }
        let body = #"{"id":1,"title":"bench","name":"man","created_at":"2023-10-02T14:32:05.067Z"}"#
        sendAll(fd, "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
    }

    private static func find(_ haystack: [UInt8], _ needle: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
        return nil
    }

    private static func sendAll(_ fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            bytes = bytes.dropFirst(n)
        }
    }

    private static func fail(_ what: String) -> Never {
        FileHandle.standardError.write(Data("discard server: \(what) failed: \(String(cString: strerror(errno)))\n".utf8))
        exit(1)
    }
}
