import CTunePrepCurl
import Foundation

/// A libcurl failure: the code and libcurl's message for it.
public struct CurlFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// libcurl's `CURLcode` number.
    public let code: Int
    /// libcurl's text for the code, with any detail it gave.
    public let message: String

    init(_ code: CURLcode, detail: String = "") {
        self.code = Int(code.rawValue)
        let text = String(cString: curl_easy_strerror(code))
        self.message = detail.isEmpty ? text : "\(text): \(detail)"
    }

    /// With libcurl's own line for this transfer when it wrote one: it names the host and port
    /// (`Failed to connect to api.astria.ai port 443 after 3 ms: Couldn't connect to server`).
    init(_ code: CURLcode, transferMessage: String) {
        self.code = Int(code.rawValue)
        self.message = transferMessage.isEmpty ? String(cString: curl_easy_strerror(code)) : transferMessage
    }

    public var description: String { "\(message) (curl error \(code))" }

    /// What went wrong, by name, for a caller that reacts to it (retry later, check the network,
    /// check the certificate store) without knowing libcurl's numbers.
    public enum Kind: Sendable, Equatable, CustomStringConvertible {
        /// The host name did not resolve (DNS, or a proxy's name).
        case hostNotFound
        /// Nothing accepted the connection: refused, unreachable, or no route.
        case cannotConnect
        /// A time limit ran out (connecting, or no progress for too long).
        case timedOut
        /// TLS failed for good: the server's certificate was not trusted, or the local TLS setup
        /// (CA file, engine, cipher) is unusable.
        case tls
        /// The TLS handshake broke off (a reset or a proxy in the way); worth another try.
        case tlsHandshake
        /// The connection broke while sending or receiving, the server closed it with no answer,
        /// or its reply was garbled.
        case connectionLost
        /// The answer was larger than this client reads, or its encoding was bad.
        case badResponse
        /// The transfer was stopped on purpose (cancelled, or a progress callback said stop).
        case aborted
        /// A file being uploaded could not be read.
        case uploadFileUnreadable
        /// The URL or an option was not usable.
        case badRequest
        /// libcurl ran out of memory.
        case outOfMemory
        /// Anything else; `code` holds libcurl's number.
        case other

        public var description: String {
            switch self {
            case .hostNotFound: "host not found"
            case .cannotConnect: "cannot connect"
            case .timedOut: "timed out"
            case .tls: "TLS failure"
            case .tlsHandshake: "TLS handshake failed"
            case .connectionLost: "connection lost"
            case .badResponse: "bad response"
            case .aborted: "aborted"
            case .uploadFileUnreadable: "upload file unreadable"
            case .badRequest: "bad request"
            case .outOfMemory: "out of memory"
            case .other: "other transport failure"
            }
        }
    }

    /// The failure by name (``Kind``), from libcurl's code.
    public var kind: Kind {
        func any(_ codes: CURLcode...) -> Bool { codes.contains { Int($0.rawValue) == code } }
        if any(CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY) { return .hostNotFound }
        if any(CURLE_COULDNT_CONNECT, CURLE_QUIC_CONNECT_ERROR) { return .cannotConnect }
        if any(CURLE_OPERATION_TIMEDOUT) { return .timedOut }
        if any(CURLE_SSL_CONNECT_ERROR) { return .tlsHandshake }
        if any(CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
               CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_SHUTDOWN_FAILED,
               CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS) {
            return .tls
        }
        if any(CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM,
               CURLE_HTTP3, CURLE_WEIRD_SERVER_REPLY, CURLE_SEND_FAIL_REWIND) {
            return .connectionLost
        }
        if any(CURLE_FILESIZE_EXCEEDED, CURLE_BAD_CONTENT_ENCODING, CURLE_TOO_MANY_REDIRECTS) {
            return .badResponse
        }
        if any(CURLE_ABORTED_BY_CALLBACK) { return .aborted }
        if any(CURLE_READ_ERROR) { return .uploadFileUnreadable }
        if any(CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_BAD_FUNCTION_ARGUMENT, CURLE_UNKNOWN_OPTION) { return .badRequest }
        if any(CURLE_OUT_OF_MEMORY) { return .outOfMemory }
        return .other
    }
}

extension CurlFailure.Kind {
    /// Failures of the network or the peer, worth another attempt; not our own setup, a
    /// certificate that is not trusted, or an answer we refused.
    public var isTransient: Bool {
        switch self {
        case .hostNotFound, .cannotConnect, .timedOut, .tlsHandshake, .connectionLost: true
        case .tls, .badResponse, .aborted, .uploadFileUnreadable, .badRequest, .outOfMemory, .other: false
        }
    }
}

/// Owns one `CURL *` easy handle: typed setters over the per-type C shims, and cleanup on deinit.
/// Not thread-safe; a handle lives on the one thread that performs its transfer.
final class EasyHandle {
    let raw: UnsafeMutableRawPointer
    /// CURLOPT_ERRORBUFFER: libcurl's message for the last failure (CURL_ERROR_SIZE is 256).
    private let errorBuffer: UnsafeMutablePointer<CChar>

    init() throws(CurlFailure) {
        let global = CTunePrepCurl_global_init_once()
        guard global == CURLE_OK else { throw CurlFailure(global, detail: "curl_global_init") }
        guard let handle = curl_easy_init() else { throw CurlFailure(CURLE_FAILED_INIT, detail: "curl_easy_init") }
        raw = handle
        errorBuffer = .allocate(capacity: 256)
        errorBuffer.initialize(repeating: 0, count: 256)
        _ = CTunePrepCurl_setopt_pointer(raw, CURLOPT_ERRORBUFFER, errorBuffer)
    }

    deinit {
        curl_easy_cleanup(raw)
        errorBuffer.deallocate()
    }

    /// libcurl's message for the transfer's failure, trimmed; empty when it wrote none.
    var transferMessage: String {
        String(cString: errorBuffer).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func set(_ option: CURLoption, _ value: Int) throws(CurlFailure) {
        try check(CTunePrepCurl_setopt_long(raw, option, value), option)
    }

    func set(_ option: CURLoption, _ value: Bool) throws(CurlFailure) {
        try set(option, value ? 1 : 0)
    }

    /// String options: libcurl copies the string, so a temporary C string is enough.
    func set(_ option: CURLoption, _ value: String) throws(CurlFailure) {
        let rc = value.withCString { CTunePrepCurl_setopt_pointer(raw, option, $0) }
        try check(rc, option)
    }

    /// Pointer options (lists, owner pointers); the caller keeps `value` alive for the transfer.
    func set(_ option: CURLoption, pointer value: UnsafeRawPointer?) throws(CurlFailure) {
        try check(CTunePrepCurl_setopt_pointer(raw, option, value), option)
    }

    func set(_ option: CURLoption, offset value: Int64) throws(CurlFailure) {
        try check(CTunePrepCurl_setopt_off_t(raw, option, value), option)
    }

    func perform() -> CURLcode { curl_easy_perform(raw) }

    func infoLong(_ info: CURLINFO) -> Int {
        var value = 0
        return CTunePrepCurl_getinfo_long(raw, info, &value) == CURLE_OK ? value : 0
    }

    func infoOffset(_ info: CURLINFO) -> Int64 {
        var value: Int64 = 0
        return CTunePrepCurl_getinfo_off_t(raw, info, &value) == CURLE_OK ? value : 0
    }

    private func check(_ code: CURLcode, _ option: CURLoption) throws(CurlFailure) {
        guard code == CURLE_OK else { throw CurlFailure(code, detail: "setting option \(option.rawValue)") }
    }
}

/// A `curl_slist` of request headers, freed on deinit.
final class HeaderList {
    private(set) var raw: UnsafeMutablePointer<curl_slist>?

    init(_ lines: [String]) {
        for line in lines {
            // curl_slist_append copies the string; on allocation failure keep what we have.
            if let next = curl_slist_append(raw, line) { raw = next }
        }
    }

    deinit { curl_slist_free_all(raw) }
}
