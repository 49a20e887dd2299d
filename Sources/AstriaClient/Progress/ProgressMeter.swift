import Foundation

/// Turns libcurl's raw upload counter into `UploadProgress` events: monotonic, throttled, with a
/// windowed rate and the current file. Lives on the transfer thread.
final class ProgressMeter {
    private let body: RequestBody
    private let attempt: Int
    private let report: @Sendable (UploadProgress) -> Void
    private let clock = ContinuousClock()
    private var startedAt: ContinuousClock.Instant
    private var lastReportAt: ContinuousClock.Instant?
    private var lastReported: Int64 = -1
    private var highest: Int64 = 0
    /// (time, bytes) samples of about the last few seconds, for the rate.
    private var samples: [(ContinuousClock.Instant, Int64)] = []
    private let window: Duration = .seconds(3)
    private let interval: Duration = .milliseconds(100)

    init(body: RequestBody, attempt: Int, report: @escaping @Sendable (UploadProgress) -> Void) {
        self.body = body
        self.attempt = attempt
        self.report = report
        self.startedAt = clock.now
    }

    func start() {
        startedAt = clock.now
        samples = [(startedAt, 0)]
        emit(0, now: startedAt)
    }

    /// libcurl's count of bytes uploaded so far.
    func update(sent: Int64) {
        // Clamp: never report less than before, nor more than the body.
        let sent = min(max(sent, highest), body.totalBytes)
        highest = sent
        let now = clock.now
        // Sample at most every 50 ms: libcurl calls this thousands of times a second on loopback.
        if let last = samples.last, now - last.0 >= .milliseconds(50) {
            samples.append((now, sent))
            while samples.count > 2, let first = samples.first, now - first.0 > window { samples.removeFirst() }
        }
        let due = lastReportAt.map { now - $0 >= interval } ?? true
        if sent > lastReported, due || sent == body.totalBytes {
            emit(sent, now: now)
        }
    }

    /// The transfer succeeded: the whole body went out; make sure the last event says so.
    func finish() {
        if lastReported != body.totalBytes {
            highest = body.totalBytes
            emit(body.totalBytes, now: clock.now)
        }
    }

    private func emit(_ sent: Int64, now: ContinuousClock.Instant) {
        lastReported = sent
        lastReportAt = now
        let file = body.file(atOffset: sent)
        report(UploadProgress(
            attempt: attempt,
            bytesSent: sent,
            totalBytes: body.totalBytes,
            bytesPerSecond: rate(now: now),
            elapsed: seconds(now - startedAt),
            currentFile: file?.span.name,
            fileIndex: file?.index,
            fileCount: body.files.count
        ))
    }

    private func rate(now: ContinuousClock.Instant) -> Double {
        guard let first = samples.first, let last = samples.last else { return 0 }
        let span = seconds(last.0 - first.0)
        guard span > 0.05 else { return 0 }
        return Double(last.1 - first.1) / span
    }
}

func seconds(_ duration: Duration) -> Double {
    let parts = duration.components
    return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
}
