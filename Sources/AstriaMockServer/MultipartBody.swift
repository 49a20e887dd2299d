import Foundation
import MultipartKit
import NIOCore

/// Splits a `multipart/form-data` body into named fields and files with MultipartKit's parser.
enum MultipartBody {
    struct Malformed: Error {
        var reason: String
        var tooManyParts = false
    }

    enum Part {
        case field(name: String, value: String)
        case file(UploadedFile)
    }

    /// The `boundary` parameter of a multipart Content-Type, or nil when it is not multipart.
    static func boundary(contentType: String) -> String? {
        let (type, params) = HeaderParameters.parse(contentType)
        guard type.lowercased().hasPrefix("multipart/") else { return nil }
        return params["boundary"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Parses a multipart body as it arrives, chunk by chunk: field values are kept (at most
    /// `fieldBytesLimit` in all, Rack's limit for buffered parts), file parts go straight to files
    /// in `spool` with their SHA-256 computed on the way, so memory stays flat however large the
    /// upload. The caller moves the files it keeps and calls `discard()` for the rest.
    final class Reader {
        private let parser: MultipartParser
        private let spool: URL
        private let partLimit: Int
        private let fieldBytesLimit: Int
        private let closing: [UInt8]
        /// The body's last bytes (at least `tailSize` of them once that many arrived).
        private var tail: [UInt8] = []
        private static let tailSize = 4096
        private var headers: [(String, String)] = []
        private var current: Current?
        private var parts: [Part] = []
        private var count = 0
        private var fieldBytes = 0
        private var failure: Malformed?
        private(set) var spooled: [URL] = []

        private enum Current {
            case field(name: String, value: Data)
            case file(SpoolFile, field: String, filename: String, rawFilename: String, type: String)
            case skip
        }

        init(boundary: String, spool: URL, partLimit: Int = .max, fieldBytesLimit: Int = 16 * 1024 * 1024) {
            parser = MultipartParser(boundary: boundary)
            self.spool = spool
            self.partLimit = partLimit
            self.fieldBytesLimit = fieldBytesLimit
            closing = Array("--\(boundary)--".utf8)
            parser.onHeader = { [unowned self] name, value in headers.append((name, value)) }
            parser.onBody = { [unowned self] buffer in
                body(buffer.readableBytesView)
                buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            }
            parser.onPartComplete = { [unowned self] in complete() }
        }

        func feed(_ buffer: ByteBuffer) throws(Malformed) {
            // MultipartKit stops quietly at a truncated body. The closing delimiter ends the body
            // (an epilogue after it is rare and short), so only the last bytes are kept to look
            // for it at the end: a scan of every chunk would cost more than the parse in a debug build.
            let keep = Self.tailSize
            tail.append(contentsOf: buffer.readableBytesView.suffix(keep))
            if tail.count > 2 * keep { tail.removeFirst(tail.count - keep) }
            do {
                try parser.execute(buffer)
            } catch {
                throw Malformed(reason: "multipart body is malformed")
            }
            if let failure { throw failure }
        }

        func finish() throws(Malformed) -> [Part] {
            if let failure { throw failure }
            guard tail.suffix(Self.tailSize).firstRange(of: closing) != nil else {
                throw Malformed(reason: "multipart body is incomplete (no closing boundary)")
            }
            return parts
        }

        /// Removes every spooled file still in the spool (those the caller did not move away).
        func discard() {
            if case .file(let file, _, _, _, _)? = current { file.close() }
            current = nil
            for url in spooled { try? FileManager.default.removeItem(at: url) }
        }

        private func fail(_ reason: String, tooManyParts: Bool = false) {
            if failure == nil { failure = Malformed(reason: reason, tooManyParts: tooManyParts) }
            if case .file(let file, _, _, _, _)? = current { file.close() }
            current = .skip
        }

        private func start() {
            guard failure == nil else { current = .skip; return }
            guard count < partLimit else {
                return fail("too many multipart parts (more than \(partLimit))", tooManyParts: true)
            }
            func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name }?.1 }
            // MultipartKit hands over a header that is not UTF-8 (a Latin-1 filename, say) as "";
            // such a part is refused with the request, never dropped from it.
            guard let disposition = header("content-disposition"), !disposition.isEmpty else {
                return fail("part \(count + 1): no readable Content-Disposition header (header values must be UTF-8)")
            }
            let (_, params) = HeaderParameters.parse(disposition)
            guard let name = params["name"], !name.isEmpty else {
                return fail("part \(count + 1): Content-Disposition has no name")
            }
            if let raw = params["filename"] {
                let url = spool.appendingPathComponent("upload-\(UUID().uuidString)")
                do {
                    let file = try SpoolFile(url)
                    spooled.append(url)
                    current = .file(file, field: name, filename: rackFilename(raw), rawFilename: raw,
                                    type: header("content-type") ?? "application/octet-stream")
                } catch {
                    fail("cannot store an upload: \(error)")
                }
            } else {
                current = .field(name: name, value: Data())
            }
        }

        private func body(_ bytes: ByteBufferView) {
            if current == nil { start() }
            switch current {
            case .field(let name, var value)?:
                fieldBytes += bytes.count
                guard fieldBytes <= fieldBytesLimit else {
                    return fail("form fields over \(fieldBytesLimit) bytes in all", tooManyParts: true)
                }
                current = .skip  // drop the enum's reference so the append does not copy
                value.append(contentsOf: bytes)
                current = .field(name: name, value: value)
            case .file(let file, _, _, _, _)?:
                do { try file.write(bytes) } catch { fail("cannot store an upload: \(error)") }
            case .skip?, nil:
                break
            }
        }

        private func complete() {
            if current == nil { start() }  // a part with no body at all
            count += 1
            switch current {
            case .field(let name, let value)?:
                parts.append(.field(name: name, value: String(decoding: value, as: UTF8.self)))
            case .file(let file, let field, let filename, let raw, let type)?:
                do {
                    let stored = try file.finish()
                    // A browser sends an empty file input as filename=""; Rails ignores it too.
                    if !(raw.isEmpty && stored.byteCount == 0) {
                        parts.append(.file(UploadedFile(
                            fieldName: field, filename: filename, contentType: type, path: file.url,
                            byteCount: stored.byteCount, sha256: stored.sha256, head: stored.head)))
                    }
                } catch {
                    fail("cannot store an upload: \(error)")
                }
            case .skip?, nil:
                break
            }
            headers = []
            current = nil
        }
    }

    /// A filename as Rack::Multipart hands it to Rails: when every `%` starts a valid escape
    /// (`%` and two hex digits) the name is percent-decoded (`+` stays a plus), with invalid UTF-8
    /// replaced; otherwise it is kept exactly as sent. Browsers and the client send `"` as %22,
    /// CR/LF as %0D%0A (and the client `%` as %25), so the original name comes back.
    static func rackFilename(_ raw: String) -> String {
        let bytes = Array(raw.utf8)
        guard bytes.contains(UInt8(ascii: "%")) else { return raw }
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "%") else {
                decoded.append(bytes[i])
                i += 1
                continue
            }
            guard i + 2 < bytes.count, let high = hex(bytes[i + 1]), let low = hex(bytes[i + 2]) else { return raw }
            decoded.append(high << 4 | low)
            i += 3
        }
        return String(decoding: decoded, as: UTF8.self)
    }
}

/// `value; key=token; key="quoted \" string"` header parameters.
enum HeaderParameters {
    static func parse(_ header: String) -> (value: String, params: [String: String]) {
        var chars = Array(header)[...]
        func skipSpaces() { while let c = chars.first, c == " " || c == "\t" { chars.removeFirst() } }
        func token(until stops: Set<Character>) -> String {
            var out = ""
            while let c = chars.first, !stops.contains(c) { out.append(c); chars.removeFirst() }
            return out.trimmingCharacters(in: .whitespaces)
        }
        let value = token(until: [";"])
        var params: [String: String] = [:]
        while chars.first == ";" {
            chars.removeFirst()
            skipSpaces()
            let key = token(until: ["=", ";"]).lowercased()
            var val = ""
            if chars.first == "=" {
                chars.removeFirst()
                skipSpaces()
                if chars.first == "\"" {
                    chars.removeFirst()
                    while let c = chars.first {
                        chars.removeFirst()
                        if c == "\\", let next = chars.first {
                            val.append(next)
                            chars.removeFirst()
                        } else if c == "\"" {
                            break
                        } else {
                            val.append(c)
                        }
                    }
                    _ = token(until: [";"])
                } else {
                    val = token(until: [";"])
                }
            }
            if !key.isEmpty && params[key] == nil { params[key] = val }
        }
        return (value, params)
    }
}
