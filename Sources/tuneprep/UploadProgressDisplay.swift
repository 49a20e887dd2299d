import AstriaClient
import Foundation

/// Shows upload events: a redrawn bar with rate and ETA on a terminal (stderr), a plain line every
/// few seconds otherwise, or NDJSON events on stdout. Events arrive on libcurl's thread.
final class UploadProgressDisplay: @unchecked Sendable {
    enum Mode { case bar, lines, json }

    private let mode: Mode
    private let lock = NSLock()
    private var lastDraw: Date = .distantPast
    private var barOpen = false
    /// The last event of a body sent in full, while the answer is awaited.
    private var sentBody: UploadProgress?
    private let lineInterval: TimeInterval

    init(mode: Mode, lineInterval: TimeInterval = 5) {
        self.mode = mode
        self.lineInterval = lineInterval
    }

    static func mode(json: Bool) -> Mode {
        if json { return .json }
        return isatty(STDERR_FILENO) == 1 ? .bar : .lines
    }

    func handle(_ event: TransferEvent) {
        lock.withLock {
            switch event {
            case .progress(let progress): show(progress)
            case .retrying(let notice): show(notice)
            }
        }
    }

    /// Ends an open bar line (before anything else is printed).
    func close() {
        lock.withLock { endBar() }
    }

    private func show(_ p: UploadProgress) {
        let now = Date()
        let final = p.isComplete
        switch mode {
        case .bar:
            guard final || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
            // Once the whole body is sent the bar stays open, saying the service is being waited
            // for; `close()` (the answer) or a retry ends it with the average rate.
            stderr("\r\u{1B}[2K" + UploadProgressText.bar(p, width: terminalColumns() - 1))
            barOpen = true
            sentBody = final ? p : nil
        case .lines:
            guard final || now.timeIntervalSince(lastDraw) >= lineInterval else { return }
            stderr(UploadProgressText.line(p) + "\n")
        case .json:
            guard final || now.timeIntervalSince(lastDraw) >= 0.5 || p.bytesSent == 0 else { return }
            var event: [String: Any] = [
                "event": "progress", "attempt": p.attempt, "bytes_sent": p.bytesSent, "total_bytes": p.totalBytes,
                "bytes_per_second": Int(p.bytesPerSecond), "elapsed_seconds": (p.elapsed * 1000).rounded() / 1000,
                "file_count": p.fileCount,
            ]
            if let eta = p.secondsRemaining { event["eta_seconds"] = (eta * 10).rounded() / 10 }
            if let file = p.currentFile { event["file"] = file }
            if let index = p.fileIndex { event["file_index"] = index }
            JSONLines.write(event)
        }
        lastDraw = now
    }

    private func show(_ notice: RetryNotice) {
        let wait = Double(notice.wait.components.seconds) + Double(notice.wait.components.attoseconds) / 1e18
        switch mode {
        case .bar, .lines:
            endBar()
            stderr("tuneprep: attempt \(notice.failedAttempt) of \(notice.maxAttempts) failed: \(notice.reason); retrying in \(UploadProgressText.clock(wait))\n")
        case .json:
            JSONLines.write(["event": "retry", "failed_attempt": notice.failedAttempt, "max_attempts": notice.maxAttempts,
                             "wait_seconds": (wait * 1000).rounded() / 1000, "reason": notice.reason])
        }
        lastDraw = .distantPast
    }

    private func endBar() {
        guard barOpen else { return }
        if let sent = sentBody { stderr("\r\u{1B}[2K" + UploadProgressText.finalBar(sent, width: terminalColumns() - 1)) }
        stderr("\n")
        barOpen = false
        sentBody = nil
    }

    private func stderr(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
}

/// The upload's progress as text, as pure functions of one event (tested without a terminal).
enum UploadProgressText {
    /// The live bar: while sending, size, rate, ETA and the current file; once the whole body is
    /// sent, that the service is being waited for.
    static func bar(_ p: UploadProgress, width: Int) -> String {
        var line = "[\(cells(p))] \(percent(p))  \(megabytes(p.bytesSent))/\(megabytes(p.totalBytes)) MB"
        if p.isComplete {
            line += " sent in \(seconds(p.elapsed)); waiting for the service…"
        } else {
            line += "  \(rate(p.bytesPerSecond))"
            if let eta = p.secondsRemaining { line += "  ETA \(clock(eta))" }
            if let file = p.currentFile, let index = p.fileIndex { line += "  \(index)/\(p.fileCount) \(file)" }
        }
        return PrepareProgressText.clip(line, to: width)
    }

    /// The bar's last state once the service has answered (or the attempt ended): the whole
    /// transfer's average rate, not the last few seconds'.
    static func finalBar(_ p: UploadProgress, width: Int) -> String {
        let line = "[\(cells(p))] \(percent(p))  \(megabytes(p.totalBytes)) MB sent in \(seconds(p.elapsed)) (\(rate(average(p))) average)"
        return PrepareProgressText.clip(line, to: width)
    }

    /// A plain line for logs: progress while sending; the average rate and the wait once sent.
    static func line(_ p: UploadProgress) -> String {
        if p.isComplete {
            return "upload: \(megabytes(p.totalBytes)) MB sent in \(seconds(p.elapsed)) (\(rate(average(p))) average); waiting for the service"
        }
        var line = "upload: \(megabytes(p.bytesSent)) of \(megabytes(p.totalBytes)) MB (\(percent(p))), \(rate(p.bytesPerSecond))"
        if let eta = p.secondsRemaining { line += ", about \(clock(eta)) left" }
        if let file = p.currentFile, let index = p.fileIndex { line += ", file \(index)/\(p.fileCount) \(file)" }
        return line
    }

    static func average(_ p: UploadProgress) -> Double { p.elapsed > 0 ? Double(p.bytesSent) / p.elapsed : 0 }
    static func cells(_ p: UploadProgress) -> String {
        let width = 24, filled = min(width, Int(p.fraction * Double(width)))
        return String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
    }
    static func percent(_ p: UploadProgress) -> String { "\(Int((p.fraction * 100).rounded(.down)))%" }
    static func megabytes(_ bytes: Int64) -> String { String(format: "%.1f", Double(bytes) / 1_000_000) }
    static func seconds(_ value: Double) -> String { String(format: "%.1f s", value) }
    static func rate(_ bytesPerSecond: Double) -> String {
        bytesPerSecond > 0 ? String(format: "%.1f MB/s", bytesPerSecond / 1_000_000) : "-- MB/s"
    }
    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.up))
        return s >= 60 ? String(format: "%d:%02d", s / 60, s % 60) : "\(s) s"
    }
}
