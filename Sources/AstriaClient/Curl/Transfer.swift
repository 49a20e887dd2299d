import CTunePrepCurl
import Foundation
import Synchronization
import SystemPackage

/// One HTTP exchange as libcurl should perform it.
struct HTTPRequest: Sendable {
    var method: String
    var url: String
    /// Full header lines; may hold the Authorization header, so never print a request.
    var headers: [String]
    var body: RequestBody?
    /// Set for a picture download: the 2xx body goes to this file, redirects are followed.
    var download: DownloadTarget? = nil
}

/// Where a download's body goes: an open file, written as it arrives (never whole in memory).
struct DownloadTarget: Sendable {
    /// An open, writable file; the caller closes it.
    var file: FileDescriptor
    /// A larger body fails the transfer.
    var maxBytes: Int64
    /// Judges the answer's headers before its first byte is written: why it is not wanted, or nil.
    var accept: @Sendable (_ headers: [String: String]) -> String?
    /// Bytes received so far, from libcurl's progress callback.
    var onBytes: (@Sendable (Int64) -> Void)?
}

struct HTTPResponse: Sendable {
    var status: Int
    /// Lower-cased names; the last value wins.
    var headers: [String: String]
    var body: Data
}

/// How one attempt ended, with how much of the body left (which decides whether a retry is safe).
struct TransferOutcome: Sendable {
    enum Failure: Error, Sendable {
        case curl(CurlFailure)
        case file(path: String, reason: String)
        case cancelled
        case responseTooLarge(Int)
        /// A download whose headers its `accept` refused; nothing was written.
        case refused(String)
    }

    var result: Result<HTTPResponse, Failure>
    var bytesSent: Int64
    var bodyBytes: Int64
    /// A download's bytes written to its file.
    var bytesWritten: Int64 = 0

    /// True when every byte of the body was handed to the network (the server may have acted).
    var bodySent: Bool { bytesSent >= bodyBytes && bodyBytes > 0 }
}

/// Settings of the libcurl transfer itself.
public struct TransferOptions: Sendable {
    /// Give up connecting after this long.
    public var connectTimeout: Duration = .seconds(30)
    /// A transfer slower than `lowSpeedLimit` bytes/s for `lowSpeedTime` is a stall and fails;
    /// there is deliberately no total timeout, which would kill a slow but healthy big upload.
    /// The time must exceed the service's own 30 s processing limit, when nothing moves.
    public var lowSpeedLimit: Int = 1024
    /// How long the rate may stay below `lowSpeedLimit` before the transfer fails.
    public var lowSpeedTime: Duration = .seconds(75)
    /// libcurl's upload buffer (its default is 64 KiB): 1 MiB means 16 times fewer read callbacks
    /// and socket writes, for 1 MiB more memory.
    public var uploadBufferSize: Int = 1024 * 1024
    /// A response larger than this is refused (a tune list is a few hundred KB).
    public var maxResponseBytes: Int = 64 * 1024 * 1024
    /// The `User-Agent` header sent with every request.
    public var userAgent: String = "tuneprep-astria-client/0.1"
    /// Path of a CA bundle, when not the system's.
    public var caBundlePath: String? = nil

    /// The defaults: 30 s to connect, a stall after 75 s below 1 KiB/s, no total timeout.
    public init() {}
}

/// A thread-safe flag the progress callback polls to abort a transfer.
final class CancelFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .relaxed) }
    var isSet: Bool { value.load(ordering: .relaxed) }
}

/// Runs one request with libcurl on a dedicated thread, so the blocking curl_easy_perform never
/// occupies a thread of Swift's cooperative pool. Task cancellation aborts it through the
/// progress callback.
enum Transfer {
    static func perform(
        _ request: HTTPRequest,
        options: TransferOptions,
        attempt: Int,
        onProgress: (@Sendable (UploadProgress) -> Void)?
    ) async -> TransferOutcome {
        let flag = CancelFlag()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<TransferOutcome, Never>) in
                let thread = Thread {
                    let outcome = run(request, options: options, attempt: attempt, cancel: flag, onProgress: onProgress)
                    continuation.resume(returning: outcome)
                }
                thread.name = "tuneprep-curl"
                thread.start()
            }
        } onCancel: {
            flag.set()
        }
    }

    /// Everything the C callbacks need, found through the opaque owner pointer.
    final class Context {
        let reader: BodyReader?
        let cancel: CancelFlag
        let meter: ProgressMeter?
        let maxResponseBytes: Int
        let download: DownloadTarget?
        var headers: [String: String] = [:]
        /// The status of the latest response head (a redirect's, then the final one's).
        var status = 0
        var body = Data()
        var written: Int64 = 0
        var failure: TransferOutcome.Failure?

        init(reader: BodyReader?, cancel: CancelFlag, meter: ProgressMeter?, maxResponseBytes: Int, download: DownloadTarget?) {
            self.reader = reader
            self.cancel = cancel
            self.meter = meter
            self.maxResponseBytes = maxResponseBytes
            self.download = download
        }

        static func from(_ owner: UnsafeMutableRawPointer?) -> Context {
            Unmanaged<Context>.fromOpaque(owner!).takeUnretainedValue()
        }
    }

    static func run(
        _ request: HTTPRequest,
        options: TransferOptions,
        attempt: Int,
        cancel: CancelFlag,
        onProgress: (@Sendable (UploadProgress) -> Void)?
    ) -> TransferOutcome {
        let bodyBytes = request.body?.totalBytes ?? 0
        func failed(_ failure: TransferOutcome.Failure, sent: Int64 = 0) -> TransferOutcome {
            TransferOutcome(result: .failure(failure), bytesSent: sent, bodyBytes: bodyBytes)
        }
        if cancel.isSet { return failed(.cancelled) }

        let handle: EasyHandle
        do { handle = try EasyHandle() } catch { return failed(.curl(error)) }

        let meter = request.body.flatMap { body in
            onProgress.map { ProgressMeter(body: body, attempt: attempt, report: $0) }
        }
        let context = Context(
            reader: request.body.map(BodyReader.init),
            cancel: cancel,
            meter: meter,
            maxResponseBytes: options.maxResponseBytes,
            download: request.download
        )
        var headerLines = request.headers
        // No `Expect: 100-continue`: it costs a round trip (up to 1 s against servers that ignore
        // it) on every upload, and an early rejection is handled by the status anyway.
        headerLines.append("Expect:")
        if let body = request.body { headerLines.append("Content-Type: \(body.contentType)") }
        let headerList = HeaderList(headerLines)

        let owner = Unmanaged.passUnretained(context).toOpaque()
        let outcome: TransferOutcome = withExtendedLifetime((context, headerList)) {
            do throws(CurlFailure) {
                try configure(handle, request, options: options, headers: headerList, owner: owner)
            } catch {
                return failed(.curl(error))
            }
            meter?.start()
            let code = handle.perform()
            let sent = handle.infoOffset(CURLINFO_SIZE_UPLOAD_T)
            if let failure = context.failure { return failed(failure, sent: sent) }
            if code == CURLE_FILESIZE_EXCEEDED { return failed(.responseTooLarge(Int(request.download?.maxBytes ?? 0)), sent: sent) }
            if code == CURLE_ABORTED_BY_CALLBACK, cancel.isSet { return failed(.cancelled, sent: sent) }
            guard code == CURLE_OK else { return failed(.curl(CurlFailure(code, transferMessage: handle.transferMessage)), sent: sent) }
            let status = handle.infoLong(CURLINFO_RESPONSE_CODE)
            if (200..<300).contains(status) { meter?.finish() }
            let response = HTTPResponse(status: status, headers: context.headers, body: context.body)
            return TransferOutcome(result: .success(response), bytesSent: sent, bodyBytes: bodyBytes, bytesWritten: context.written)
        }
        return outcome
    }

    private static func configure(
        _ handle: EasyHandle,
        _ request: HTTPRequest,
        options: TransferOptions,
        headers: HeaderList,
        owner: UnsafeMutableRawPointer
    ) throws(CurlFailure) {
        try handle.set(CURLOPT_URL, request.url)
        // Only HTTP(S): a base URL can never make libcurl open a file:// or other scheme.
        try handle.set(CURLOPT_PROTOCOLS_STR, "http,https")
        try handle.set(CURLOPT_NOSIGNAL, true)  // required when libcurl runs on non-main threads
        try handle.set(CURLOPT_USERAGENT, options.userAgent)
        try handle.set(CURLOPT_CONNECTTIMEOUT_MS, Int(options.connectTimeout.components.seconds * 1000))
        try handle.set(CURLOPT_LOW_SPEED_LIMIT, options.lowSpeedLimit)
        try handle.set(CURLOPT_LOW_SPEED_TIME, max(1, Int(options.lowSpeedTime.components.seconds)))
        try handle.set(CURLOPT_ACCEPT_ENCODING, "")  // whatever libcurl can decode
        try handle.set(CURLOPT_TCP_KEEPALIVE, true)
        if let ca = options.caBundlePath { try handle.set(CURLOPT_CAINFO, ca) }
        try handle.set(CURLOPT_HTTPHEADER, pointer: UnsafeRawPointer(headers.raw))

        if let download = request.download {
            // Pictures live on object storage, which may redirect; the request carries no key
            // (the caller sends none to any host but the API's), so following is safe.
            try handle.set(CURLOPT_FOLLOWLOCATION, true)
            try handle.set(CURLOPT_MAXREDIRS, 5)
            try handle.set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
            // A declared size above the cap fails before any byte is written.
            try handle.set(CURLOPT_MAXFILESIZE_LARGE, offset: download.maxBytes)
        }
        try check(CTunePrepCurl_set_write_callback(handle.raw, writeCallback, owner))
        try check(CTunePrepCurl_set_header_callback(handle.raw, headerCallback, owner))
        try check(CTunePrepCurl_set_xferinfo_callback(handle.raw, progressCallback, owner))

        switch request.method {
        case "GET":
            try handle.set(CURLOPT_HTTPGET, true)
        case "POST":
            try handle.set(CURLOPT_POST, true)
        default:
            try handle.set(CURLOPT_CUSTOMREQUEST, request.method)
        }
        if let body = request.body {
            if request.method != "POST" { try handle.set(CURLOPT_POST, true); try handle.set(CURLOPT_CUSTOMREQUEST, request.method) }
            // A known size makes libcurl send Content-Length rather than chunked encoding,
            // which Rails front ends handle best.
            try handle.set(CURLOPT_POSTFIELDSIZE_LARGE, offset: body.totalBytes)
            try handle.set(CURLOPT_UPLOAD_BUFFERSIZE, options.uploadBufferSize)
            try check(CTunePrepCurl_set_read_callback(handle.raw, readCallback, owner))
            try check(CTunePrepCurl_set_seek_callback(handle.raw, seekCallback, owner))
        }
    }

    private static func check(_ code: CURLcode) throws(CurlFailure) {
        guard code == CURLE_OK else { throw CurlFailure(code, detail: "installing a callback") }
    }
}

// The C callbacks. They capture nothing (so they convert to C function pointers) and find their
// Context through the owner pointer.

private let readCallback: CTunePrepCurl_data_callback = { buffer, size, count, owner in
    let context = Transfer.Context.from(owner)
    guard let reader = context.reader, let buffer else { return 0 }
    if context.cancel.isSet { return CTunePrepCurl_read_abort() }
    do throws(BodyReader.Failure) {
        return try reader.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: size * count))
    } catch {
        context.failure = .file(path: error.path, reason: error.reason)
        return CTunePrepCurl_read_abort()
    }
}

private let seekCallback: CTunePrepCurl_seek_callback = { owner, offset, origin in
    let context = Transfer.Context.from(owner)
    guard origin == SEEK_SET, let reader = context.reader else { return CTunePrepCurl_seek_cantseek() }
    return reader.seek(to: offset) ? CTunePrepCurl_seek_ok() : CTunePrepCurl_seek_fail()
}

private let writeCallback: CTunePrepCurl_data_callback = { buffer, size, count, owner in
    let context = Transfer.Context.from(owner)
    let length = size * count
    guard let buffer else { return 0 }
    if let download = context.download, (200..<300).contains(context.status) {
        if context.written == 0, let refusal = download.accept(context.headers) {
            context.failure = .refused(refusal)
            return 0
        }
        guard context.written + Int64(length) <= download.maxBytes else {
            context.failure = .responseTooLarge(Int(download.maxBytes))
            return 0
        }
        do {
            _ = try download.file.writeAll(UnsafeRawBufferPointer(start: buffer, count: length))
        } catch {
            context.failure = .file(path: "", reason: "\(error)")
            return 0
        }
        context.written += Int64(length)
        return length
    }
    // An error page (or any other answer) is kept, capped, for its message.
    if context.body.count + length > context.maxResponseBytes {
        context.failure = .responseTooLarge(context.maxResponseBytes)
        return 0  // a short count makes libcurl fail with CURLE_WRITE_ERROR
    }
    context.body.append(UnsafeRawPointer(buffer).assumingMemoryBound(to: UInt8.self), count: length)
    return length
}

private let headerCallback: CTunePrepCurl_data_callback = { buffer, size, count, owner in
    let context = Transfer.Context.from(owner)
    let length = size * count
    guard let buffer else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: buffer, count: length)
    let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    if line.hasPrefix("HTTP/") {
        // A new status line (after a 100 Continue or a redirect): forget earlier headers.
        context.headers = [:]
        let parts = line.split(separator: " ")
        context.status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
    } else if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        context.headers[name] = value
    }
    return length
}

private let progressCallback: CTunePrepCurl_xferinfo_callback = { owner, _, downloaded, _, uploaded in
    let context = Transfer.Context.from(owner)
    if context.cancel.isSet { return 1 }
    context.meter?.update(sent: uploaded)
    if downloaded > 0 { context.download?.onBytes?(downloaded) }
    return 0
}
