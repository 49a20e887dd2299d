import Foundation

/// Everything that can go wrong starting or configuring the mock server.
public enum MockServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A fault script or rate that does not parse.
    case invalidFault(String, reason: String)
    /// The data folder cannot be created or written.
    case dataDirectory(path: String, reason: String)
    /// An option that cannot work (a pictures folder without JPEGs, an image base URL that is no HTTP URL).
    case invalidOption(String, reason: String)
    /// The server could not bind or stopped before it was listening.
    case startFailed(host: String, port: Int, reason: String)

    public var description: String {
        switch self {
        case .invalidFault(let text, let reason):
            return "invalid fault '\(text)': \(reason)"
        case .dataDirectory(let path, let reason):
            return "data folder \(path): \(reason)"
        case .invalidOption(let option, let reason):
            return "\(option): \(reason)"
        case .startFailed(let host, let port, let reason):
            return "cannot listen on \(host):\(port): \(reason)"
        }
    }
}
