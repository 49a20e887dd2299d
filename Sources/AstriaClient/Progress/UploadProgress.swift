import Foundation

/// How far an upload has got. Within one attempt `bytesSent` never decreases, and a successful
/// upload always ends with an event whose `bytesSent == totalBytes`.
public struct UploadProgress: Sendable, Equatable, Codable {
    /// 1 for the first attempt; a retry starts again from 0 bytes with the next number.
    public var attempt: Int
    /// Bytes of the body sent so far in this attempt.
    public var bytesSent: Int64
    /// Size of the whole request body in bytes.
    public var totalBytes: Int64
    /// Recent rate (a few seconds' window), bytes per second.
    public var bytesPerSecond: Double
    /// Seconds since this attempt started.
    public var elapsed: Double
    /// The file being sent (its upload name) and its 1-based index among `fileCount`.
    public var currentFile: String?
    /// 1-based index of `currentFile` among `fileCount`; nil while no file's bytes are being sent.
    public var fileIndex: Int?
    /// Number of files in the body.
    public var fileCount: Int

    /// True once the whole body has been sent.
    public var isComplete: Bool { bytesSent == totalBytes }

    /// Share of the body sent, 0 to 1; 1 for an empty body.
    public var fraction: Double { totalBytes > 0 ? Double(bytesSent) / Double(totalBytes) : 1 }

    /// Estimated seconds left at the recent rate; nil while the rate is unknown.
    public var secondsRemaining: Double? {
        guard bytesPerSecond > 0 else { return nil }
        return Double(totalBytes - bytesSent) / bytesPerSecond
    }

    /// A progress report with every field given.
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
    /// Number of the attempt that failed, 1 for the first.
    public var failedAttempt: Int
    /// Most attempts the retry policy allows.
    public var maxAttempts: Int
    /// How long the client waits before the next attempt.
    public var wait: Duration
    /// What went wrong, in plain words.
    public var reason: String
}

/// What a long request reports while it runs.
public enum TransferEvent: Sendable {
    /// Sent as the body goes out, throttled; a successful upload ends with one for the whole body.
    case progress(UploadProgress)
    /// Sent when an attempt failed and another will follow after a wait.
    case retrying(RetryNotice)
}
