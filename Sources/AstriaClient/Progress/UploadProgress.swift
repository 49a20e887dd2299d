import Foundation

/// How far an upload has got. Within one attempt `bytesSent` never decreases, and a successful
/// upload always ends with an event whose `bytesSent == totalBytes`.
public struct UploadProgress: Sendable, Equatable, Codable {
    /// 1 for the first attempt; a retry starts again from 0 bytes with the next number.
    public var attempt: Int
    public var bytesSent: Int64
    public var totalBytes: Int64
    /// Recent rate (a few seconds' window), bytes per second.
    public var bytesPerSecond: Double
    /// Seconds since this attempt started.
    public var elapsed: Double
    /// The file being sent (its upload name) and its 1-based index among `fileCount`.
    public var currentFile: String?
    public var fileIndex: Int?
    public var fileCount: Int

    public var isComplete: Bool { bytesSent == totalBytes }

    public var fraction: Double { totalBytes > 0 ? Double(bytesSent) / Double(totalBytes) : 1 }

    /// Estimated seconds left at the recent rate; nil while the rate is unknown.
    public var secondsRemaining: Double? {
        guard bytesPerSecond > 0 else { return nil }
        return Double(totalBytes - bytesSent) / bytesPerSecond
    }

    public init(
        attempt: Int, bytesSent: Int64, totalBytes: Int64, bytesPerSecond: Double, elapsed: Double,
        currentFile: String?, fileIndex: Int?, fileCount: Int
    ) {
        self.attempt = attempt
        self.bytesSent = bytesSent
        self.totalBytes = totalBytes
        self.bytesPerSecond = bytesPerSecond
        self.elapsed = elapsed
        self.currentFile = currentFile
        self.fileIndex = fileIndex
        self.fileCount = fileCount
    }
}

/// Why an attempt failed and how long the client waits before the next one.
public struct RetryNotice: Sendable, Equatable {
    public var failedAttempt: Int
    public var maxAttempts: Int
    public var wait: Duration
    public var reason: String
}

/// What a long request reports while it runs.
public enum TransferEvent: Sendable {
    case progress(UploadProgress)
    case retrying(RetryNotice)
}
