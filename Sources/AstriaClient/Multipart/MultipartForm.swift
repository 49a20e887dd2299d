import Foundation

/// A `multipart/form-data` form as Rails (Rack) parses it: text fields and file parts, encoded
/// into a streamed `RequestBody`. Files are not read here, only measured.
public struct MultipartForm: Sendable {
    /// One part of the form, sent in the order added.
    public enum Part: Sendable, Equatable {
        /// A text field.
        case field(name: String, value: String)
        /// A file, read from `path` when the body is sent.
        case file(name: String, path: String, filename: String, contentType: String)
    }

    /// The parts, in send order.
    public private(set) var parts: [Part] = []
    /// The string that separates parts; it must not occur in any part.
    public let boundary: String

    /// An empty form; the default boundary is random.
    public init(boundary: String = MultipartForm.randomBoundary()) {
        self.boundary = boundary
    }

    /// Adds a text field.
    public mutating func add(_ name: String, _ value: String) {
        parts.append(.field(name: name, value: value))
    }

    /// Adds a file part, read from `path` while the body is sent and named `filename` to the server.
    public mutating func addFile(_ name: String, path: String, filename: String, contentType: String) {
        parts.append(.file(name: name, path: path, filename: filename, contentType: contentType))
    }

    /// 24 random letters and digits after a fixed prefix, as browsers do: a collision with file
    /// content is vanishingly unlikely, and nothing in the body needs to be scanned for it.
    public static func randomBoundary() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var generator = SystemRandomNumberGenerator()
        return "----TunePrepFormBoundary" + String((0..<24).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// Escapes a field name or filename for a quoted `Content-Disposition` parameter the way the
    /// HTML form algorithm (and RFC 7578) does: `"` → %22, CR → %0D, LF → %0A, UTF-8 kept as is.
    /// A `%` is also escaped (%25) because Rack percent-decodes a filename whose every `%` starts a
    /// valid escape; escaping `%` makes that decoding give back exactly the original name.
    public static func escapeQuoted(_ text: String, escapingPercent: Bool) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "%22"
            case "\r": out += "%0D"
            case "\n": out += "%0A"
            case "%" where escapingPercent: out += "%25"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Builds the body, measuring every file now so the total size is exact.
    public func encode() throws(AstriaError) -> RequestBody {
        var segments: [RequestBody.Segment] = []
        let crlf = "\r\n"
        for part in parts {
            var head = "--\(boundary)\(crlf)"
            switch part {
            case .field(let name, let value):
                head += "Content-Disposition: form-data; name=\"\(Self.escapeQuoted(name, escapingPercent: false))\"\(crlf)\(crlf)"
                segments.append(.bytes(Array(head.utf8)))
                segments.append(.bytes(Array(value.utf8)))
            case .file(let name, let path, let filename, let contentType):
                let size = try Self.regularFileSize(path)
                head += "Content-Disposition: form-data; name=\"\(Self.escapeQuoted(name, escapingPercent: false))\"; filename=\"\(Self.escapeQuoted(filename, escapingPercent: true))\"\(crlf)"
                head += "Content-Type: \(contentType)\(crlf)\(crlf)"
                segments.append(.bytes(Array(head.utf8)))
                segments.append(.file(path: path, size: size, name: filename))
            }
            segments.append(.bytes(Array(crlf.utf8)))
        }
        segments.append(.bytes(Array("--\(boundary)--\(crlf)".utf8)))
        return RequestBody(contentType: "multipart/form-data; boundary=\(boundary)", segments: segments)
    }

    static func regularFileSize(_ path: String) throws(AstriaError) -> Int64 {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw .file(path: path, reason: "cannot read: \((error as NSError).localizedDescription)")
        }
        guard attributes[.type] as? FileAttributeType == .typeRegular else {
            throw .file(path: path, reason: "not a regular file")
        }
        guard let size = (attributes[.size] as? NSNumber)?.int64Value else {
            throw .file(path: path, reason: "cannot tell its size")
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw .file(path: path, reason: "not readable")
        }
        return size
    }
}
