import Foundation
import Hummingbird

/// A request body as Rails would see it: nested `params`, plus the flat fields and files it arrived as.
struct ParsedBody: Sendable {
    var params: ParamHash
    var fields: [FormField]
    var files: [UploadedFile]
    /// Spool files written for this body; whatever is still there when the request ends is removed.
    var spooled: [URL] = []
}

enum BodyParser {
    /// A body that cannot be read as parameters (Rails answers 400).
    struct BadBody: Error {
        var reason: String
        /// 400, or 413 for too many multipart parts (as Rails maps Rack's part limit).
        var status: HTTPResponse.Status = .badRequest
    }

    /// Rack's `params_limit` and multipart part limit: more parameters than this are refused
    /// before any nesting work, so a flood of fields costs a count, not a parse.
    static let parameterLimit = 4096

    /// Bodies that are not multipart are read whole; Rack buffers at most this much of them.
    static let bufferedBodyLimit = 16 * 1024 * 1024

    /// Reads and parses a request body. A multipart body is parsed as it arrives, its files
    /// written to `spool` (see ``MultipartBody/Reader``); any other body is read whole, up to
    /// ``bufferedBodyLimit``. More than `limit` bytes in all answer 413. A JSON object without
    /// `wrapKey` is taken as that object itself.
    static func parse(_ request: Request, limit: Int, spool: URL, wrapKey: String = "tune") async throws -> ParsedBody {
        let contentType = request.headers[.contentType]
        guard HeaderParameters.parse(contentType ?? "").value.lowercased() == "multipart/form-data" else {
            let body = try await read(request, limit: min(limit, bufferedBodyLimit))
            return try parse(contentType: contentType, body: body, spool: spool, wrapKey: wrapKey)
        }
        guard let boundary = MultipartBody.boundary(contentType: contentType ?? "") else {
            throw BadBody(reason: "multipart/form-data without a boundary")
        }
        let reader = MultipartBody.Reader(boundary: boundary, spool: spool, partLimit: parameterLimit)
        var total = 0
        var malformed: MultipartBody.Malformed?
        var parts: [MultipartBody.Part]?
        do {
            for try await chunk in request.body {
                total += chunk.readableBytes
                guard total <= limit else { throw HTTPError(.contentTooLarge) }
                // After a refusal the rest is read and dropped, so the client gets its answer
                // instead of a reset connection.
                guard malformed == nil else { continue }
                do throws(MultipartBody.Malformed) { try reader.feed(chunk) } catch { malformed = error }
            }
            if malformed == nil {
                do throws(MultipartBody.Malformed) {
                    parts = try reader.finish()
                } catch {
                    malformed = error
                }
            }
            if let parts { return try assemble(parts, spooled: reader.spooled) }
        } catch {
            reader.discard()
            throw error
        }
        reader.discard()
        let error = malformed!
        throw BadBody(reason: error.reason, status: error.tooManyParts ? .contentTooLarge : .badRequest)
    }

    private static func assemble(_ parts: [MultipartBody.Part], spooled: [URL]) throws(BadBody) -> ParsedBody {
        var pairs: [(String, ParamValue)] = []
        var fields: [FormField] = []
        var files: [UploadedFile] = []
        for part in parts {
            switch part {
            case .field(let name, let value):
                pairs.append((name, .string(value)))
                fields.append(FormField(name: name, value: value))
            case .file(let file):
                pairs.append((file.fieldName, .file(file)))
                files.append(file)
            }
        }
        return ParsedBody(params: try nest(pairs), fields: fields, files: files, spooled: spooled)
    }

    /// Reads the whole body, refusing more than `limit` bytes with 413.
    static func read(_ request: Request, limit: Int) async throws -> Data {
        var data = Data()
        for try await chunk in request.body {
            guard data.count + chunk.readableBytes <= limit else { throw HTTPError(.contentTooLarge) }
            data.append(contentsOf: chunk.readableBytesView)
        }
        return data
    }

    static func parse(contentType: String?, body: Data, spool: URL, wrapKey: String = "tune") throws(BadBody) -> ParsedBody {
        let type = HeaderParameters.parse(contentType ?? "").value.lowercased()
        if body.isEmpty && !type.hasPrefix("multipart/") {
            return ParsedBody(params: ParamHash(), fields: [], files: [])
        }
        switch type {
        case "multipart/form-data":
            guard let boundary = MultipartBody.boundary(contentType: contentType ?? "") else {
                throw BadBody(reason: "multipart/form-data without a boundary")
            }
            let reader = MultipartBody.Reader(boundary: boundary, spool: spool, partLimit: parameterLimit)
            let parts: [MultipartBody.Part]
            do throws(MultipartBody.Malformed) {
                try reader.feed(ByteBuffer(bytes: body))
                parts = try reader.finish()
            } catch {
                reader.discard()
                throw BadBody(reason: error.reason, status: error.tooManyParts ? .contentTooLarge : .badRequest)
            }
            do {
                return try assemble(parts, spooled: reader.spooled)
            } catch {
                reader.discard()
                throw error
            }
        case "application/x-www-form-urlencoded":
            let count = body.reduce(1) { $0 + ($1 == UInt8(ascii: "&") ? 1 : 0) }
            guard count <= parameterLimit else {
                throw BadBody(reason: "too many parameters (\(count); at most \(parameterLimit))")
            }
            let pairs = RailsParameters.formPairs(String(decoding: body, as: UTF8.self))
            return ParsedBody(
                params: try nest(pairs.map { ($0, .string($1)) }),
                fields: pairs.map { FormField(name: $0, value: $1) }, files: []
            )
        case _ where type == "application/json" || type.hasSuffix("+json"):
            // Counted on the raw bytes first, so a flood is refused before it is parsed.
            if JSONValue.widestLevel(of: body, over: parameterLimit) {
                throw BadBody(reason: "too many parameters (over \(parameterLimit) in one object or array)")
            }
            // JSON is UTF-8 (RFC 8259): say where it is not, rather than that it is no object.
            if let offset = Self.firstInvalidUTF8(body) {
                throw BadBody(reason: "the body is not valid UTF-8 at byte \(offset)")
            }
            guard let json = JSONValue.parse(body), case .object(let pairs) = json else {
                throw BadBody(reason: "the body is not a JSON object")
            }
            // Rails' wrap_parameters: a JSON body without a `tune` (`prompt`) key is taken as the tune (prompt) itself.
            let wrapped: JSONValue = pairs.contains { $0.0 == wrapKey } ? json : .object([(wrapKey, json)])
            guard case .hash(let params) = ParamValue(json: wrapped) else {
                throw BadBody(reason: "the body is not a JSON object")
            }
            let fields = RailsParameters.flatten(json).map { FormField(name: $0, value: $1) }
            return ParsedBody(params: params, fields: fields, files: [])
        default:
            throw BadBody(reason: "unsupported Content-Type '\(type)'; use multipart/form-data or application/json")
        }
    }

    /// The offset of the first byte that does not begin a valid UTF-8 sequence; nil when all are valid.
    static func firstInvalidUTF8<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded): offset += encoded.count
            case .error: return offset
            case .emptyInput: return nil
            }
        }
    }

    private static func nest(_ pairs: [(String, ParamValue)]) throws(BadBody) -> ParamHash {
        do {
            return try RailsParameters.nest(pairs)
        } catch {
            throw BadBody(reason: error.message)
        }
    }
}
