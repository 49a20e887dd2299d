import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1

/// What stands in front of the API, in the order a proxy and the app would apply it:
/// latency, the body-size limit (413), injected faults, the Bearer key (401), then the poll rate (429).
/// It also records every request and writes its log line.
struct GateMiddleware: RouterMiddleware {
    typealias Context = MockRequestContext

    /// Thrown to drop the connection on purpose: nothing is answered, the connection is closed.
    struct DroppedConnection: Error {}

    let options: MockServerOptions
    let faults: FaultInjector
    let journal: RequestJournal
    /// Set when ``MockServerOptions/minPollInterval`` is.
    let polls: PollLimiter?

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let started = ContinuousClock.now
        var fault: FaultPlan.Fault?
        let response: Response?
        do {
            response = try await gate(request, context: context, fault: &fault, next: next)
        } catch is DroppedConnection {
            response = nil
        } catch let error as HTTPParserError {
            // The body broke HTTP's framing (shorter than its Content-Length, a chunk size that
            // overflows): the client's fault, so 400, and the connection cannot be reused.
            response = Responses.error(.badRequest, "Bad Request: \(error)", headers: [.connection: "close"])
        } catch let error as any HTTPResponseError {
            response = Responses.error(error.status, error.status.reasonPhrase)
        } catch {
            context.logger.error("request failed: \(error)")
            response = Responses.error(.internalServerError, "Internal Server Error")
        }
        await record(request, context: context, status: response?.status.code, fault: fault, started: started)
        guard let response else {
            // Hang up only once the drop is recorded: a client that sees the connection close
            // then always finds the request in the journal.
            try? await context.channel.close(mode: .all)
            throw DroppedConnection()
        }
        // HEAD is GET without the body (RFC 9110), as Rails answers it; the headers stay.
        return request.method == .head ? response.createHeadResponse() : response
    }

    private func gate(
        _ request: Request, context: Context, fault: inout FaultPlan.Fault?,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let path = request.uri.path
        // Served files and the callback sink are the "CDN" and the user's side, not the API.
        let isAPI = !path.hasPrefix("/files/") && !path.hasPrefix("/_mock/")
        guard isAPI else { return try await next(request, context) }

        if options.faults.latency > .zero {
            try await Task.sleep(for: options.faults.latency)
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > options.maxBodyBytes {
            return Responses.error(.contentTooLarge, "Request Entity Too Large", headers: [.connection: "close"])
        }
        if options.faults.scope.covers(method: request.method.rawValue, path: path) { fault = await faults.next() }

        switch fault {
        case .status(let code)?:
            var headers: HTTPFields = [:]
            if code == 429 { headers[.retryAfter] = String(options.faults.retryAfterSeconds) }
            let status = HTTPResponse.Status(code: code)
            return Responses.error(status, "\(status.reasonPhrase.isEmpty ? "Error" : status.reasonPhrase) (injected fault)", headers: headers)
        case .drop?:
            // Read a little of the body so that the client is mid-upload; `handle` records the
            // request, then hangs up.
            var iterator = request.body.makeAsyncIterator()
            _ = try? await iterator.next()
            throw DroppedConnection()
        case .timeoutAfterProcessing?:
            // The work is done (a tune may be created), only the answer is lost, as with the service's 30 s limit.
            _ = try await authorized(request, context: context, next: next)
            return Responses.error(.gatewayTimeout, "Gateway Timeout (injected fault: the request was processed)")
        case .ok?, nil:
            return try await authorized(request, context: context, next: next)
        }
    }

    private func authorized(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let key = Self.bearerKey(request), Self.accepts(key, expected: options.apiKey) else {
            return Responses.error(.unauthorized, "Unauthorized: send Authorization: Bearer <your API key>")
        }
        if let polls, let object = PollLimiter.object(method: request.method, path: request.uri.path),
            let wait = await polls.admit(object)
        {
            context.notes.markRateLimited()
            return Responses.error(
                .tooManyRequests,
                "Too Many Requests: \(object) polled again within \(polls.intervalText); retry after \(wait) s, or use callbacks",
                headers: [.retryAfter: String(wait)])
        }
        return try await next(request, context)
    }

    static func bearerKey(_ request: Request) -> String? {
        guard let header = request.headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let key = parts[1].trimmingCharacters(in: .whitespaces)
        return key.isEmpty ? nil : key
    }

    /// Compares in time independent of where the keys differ.
    static func accepts(_ key: String, expected: String?) -> Bool {
        guard let expected else { return true }
        let a = Array(key.utf8), b = Array(expected.utf8)
        var diff = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) {
            diff |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return diff == 0
    }

    private func record(
        _ request: Request, context: Context, status: Int?, fault: FaultPlan.Fault?, started: ContinuousClock.Instant
    ) async {
        let notes = context.notes.snapshot
        let entry = RecordedRequest(
            method: request.method.rawValue,
            path: request.uri.description,
            status: status,
            fault: fault,
            rateLimited: notes.rateLimited,
            hadBearerKey: Self.bearerKey(request) != nil,
            contentType: request.headers[.contentType],
            fields: notes.fields,
            files: notes.files
        )
        await journal.append(entry)
        if let log = options.requestLog {
            let ms = (ContinuousClock.now - started).seconds * 1000
            var line = "\(entry.method) \(entry.path) \(status.map(String.init) ?? "dropped") \(String(format: "%.0f", ms))ms"
            if !notes.files.isEmpty { line += " files=\(notes.files.count)" }
            if let fault { line += " fault=\(fault)" }
            if notes.rateLimited { line += " rate-limited" }
            log(line)
        }
    }
}
