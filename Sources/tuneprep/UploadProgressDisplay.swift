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
            let width = 24
            let filled = min(width, Int(p.fraction * Double(width)))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            var line = "\r\u{1B}[2K[\(bar)] \(percent(p))  \(megabytes(p.bytesSent))/\(megabytes(p.totalBytes)) MB  \(rate(p))"
            if !final, let eta = p.secondsRemaining { line += "  ETA \(clock(eta))" }
            if let file = p.currentFile, let index = p.fileIndex, !final { line += "  \(index)/\(p.fileCount) \(file)" }
            stderr(line)
            barOpen = true
            if final { endBar() }
        case .lines:
            guard final || now.timeIntervalSince(lastDraw) >= lineInterval else { return }
            if final {
                stderr("upload: \(megabytes(p.totalBytes)) MB sent in \(String(format: "%.1f", p.elapsed)) s\n")
            } else {
                var line = "upload: \(megabytes(p.bytesSent)) of \(megabytes(p.totalBytes)) MB (\(percent(p))), \(rate(p))"
                if let eta = p.secondsRemaining { line += ", about \(clock(eta)) left" }
                if let file = p.currentFile, let index = p.fileIndex { line += ", file \(index)/\(p.fileCount) \(file)" }
                stderr(line + "\n")
            }
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
            stderr("tuneprep: attempt \(notice.failedAttempt) of \(notice.maxAttempts) failed: \(notice.reason); retrying in \(clock(wait))\n")
        case .json:
            JSONLines.write(["event": "retry", "failed_attempt": notice.failedAttempt, "max_attempts": notice.maxAttempts,
                             "wait_seconds": (wait * 1000).rounded() / 1000, "reason": notice.reason])
        }
        lastDraw = .distantPast
    }

    private func endBar() {
        if barOpen { stderr("\n"); barOpen = false }
    }

    private func stderr(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
    private func percent(_ p: UploadProgress) -> String { "\(Int((p.fraction * 100).rounded(.down)))%" }
    private func megabytes(_ bytes: Int64) -> String { String(format: "%.1f", Double(bytes) / 1_000_000) }
    private func rate(_ p: UploadProgress) -> String {
        p.bytesPerSecond > 0 ? String(format: "%.1f MB/s", p.bytesPerSecond / 1_000_000) : "-- MB/s"
    }
    private func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.up))
        return s >= 60 ? String(format: "%d:%02d", s / 60, s % 60) : "\(s) s"
    }
}
