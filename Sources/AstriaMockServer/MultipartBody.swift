import Foundation
import MultipartKit

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

    static func parse(_ body: Data, boundary: String, partLimit: Int = .max) throws(Malformed) -> [Part] {
        // MultipartKit stops quietly at a truncated body; a body cut short must not pass as complete.
        guard body.range(of: Data("--\(boundary)--".utf8), options: .backwards) != nil else {
            throw Malformed(reason: "multipart body is incomplete (no closing boundary)")
        }
        let parser = MultipartParser(boundary: boundary)
        var parts: [Part] = []
        var headers: [(String, String)] = []
        var current = Data()
        var count = 0
        var unreadable: String?
        parser.onHeader = { name, value in headers.append((name, value)) }
        parser.onBody = { buffer in
            if count < partLimit { current.append(contentsOf: buffer.readableBytesView) }
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        }
        parser.onPartComplete = {
            count += 1
            if count <= partLimit, unreadable == nil {
                switch makePart(headers: headers, body: current) {
                case .success(let part?): parts.append(part)
                case .success(nil): break
                case .failure(let why): unreadable = "part \(count): \(why.reason)"
                }
            }
            headers = []
            current = Data()
        }
        do {
            try parser.execute([UInt8](body))
        } catch {
            throw Malformed(reason: "multipart body is malformed")
        }
        guard count <= partLimit else {
            throw Malformed(reason: "too many multipart parts (\(count); at most \(partLimit))", tooManyParts: true)
        }
        // A part that cannot be read is refused with the request, never dropped from it.
        if let unreadable { throw Malformed(reason: unreadable) }
        return parts
    }

    /// The part, nil for one Rails ignores (an empty file input), or why it cannot be read.
    private static func makePart(headers: [(String, String)], body: Data) -> Result<Part?, PartFailure> {
        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name }?.1
        }
        // MultipartKit hands over a header that is not UTF-8 (a Latin-1 filename, say) as "".
        guard let disposition = header("content-disposition"), !disposition.isEmpty else {
            return .failure(PartFailure(reason: "no readable Content-Disposition header (header values must be UTF-8)"))
        }
        let (_, params) = HeaderParameters.parse(disposition)
        guard let name = params["name"], !name.isEmpty else {
            return .failure(PartFailure(reason: "Content-Disposition has no name"))
        }
        if let raw = params["filename"] {
            // A browser sends an empty file input as filename=""; Rails ignores it too.
            if raw.isEmpty && body.isEmpty { return .success(nil) }
            let filename = rackFilename(raw)
            let type = header("content-type") ?? "application/octet-stream"
            return .success(.file(UploadedFile(fieldName: name, filename: filename, contentType: type, bytes: body)))
        }
        return .success(.field(name: name, value: String(decoding: body, as: UTF8.self)))
    }

    struct PartFailure: Error {
        var reason: String
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
