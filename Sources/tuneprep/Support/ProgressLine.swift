import Foundation
import TunePrep

/// What `check` and `prepare` show while they work, as pure functions of the state (tested
/// without a terminal). A photo that passed its own checks is "decoded", never "ok": the
/// set-level checks (duplicates, limits) run after the last one and may still leave it out.
enum PrepareProgressText {
    /// The plain line for a finished photo (logs, CI); nil for a photo that just started.
    static func line(_ progress: PrepareProgress) -> String? {
        guard progress.stage == .finished else { return nil }
        return "[\(progress.completed)/\(progress.total)] \(progress.path): \(progress.accepted ? "decoded" : "rejected")"
    }

    /// The terminal's one live line: bar, count, rate, elapsed time, ETA and the photos in
    /// flight (file names), cut to `width` columns.
    static func bar(completed: Int, total: Int, elapsed: Double, inFlight: [String], width: Int) -> String {
        let cells = 20
        let filled = total > 0 ? min(cells, completed * cells / total) : 0
        var text = "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: cells - filled) + "]"
        text += " \(completed)/\(total) photos"
        let rate = elapsed > 0 ? Double(completed) / elapsed : 0
        text += completed > 0 && elapsed > 0 ? String(format: "  %.1f/s", rate) : "  --/s"
        text += "  \(clock(elapsed)) elapsed"
        if completed > 0, completed < total, rate > 0 { text += "  ETA \(clock((Double(total - completed) / rate).rounded(.up)))" }
        if !inFlight.isEmpty {
            text += "  now: " + inFlight.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: ", ")
        }
        return clip(text, to: width)
    }

    /// `m:ss` (or `h:mm:ss`), seconds rounded down.
    static func clock(_ seconds: Double) -> String {
        let s = max(0, Int(seconds.isFinite ? seconds : 0))
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }

    static func clip(_ text: String, to width: Int) -> String {
        let width = max(width, 10)
        return text.count <= width ? text : String(text.prefix(width - 1)) + "…"
    }
}

/// Progress on stderr: one live line on a terminal, redrawn on every event and twice a second
/// (so elapsed time moves during a slow photo); plain lines otherwise (logs, CI).
final class ProgressLine: @unchecked Sendable {
    private let enabled: Bool
    private let live: Bool
    private let lock = NSLock()
    private let start = Date()
    private var latest: PrepareProgress?
    private var drawn = false
    private var timer: DispatchSourceTimer?

    init(quiet: Bool) {
        enabled = !quiet
        live = isatty(STDERR_FILENO) == 1
        if enabled && live {
            let timer = DispatchSource.makeTimerSource(queue: .global())
            timer.schedule(deadline: .now() + 0.5, repeating: 0.5)
            timer.setEventHandler { [weak self] in self?.redraw() }
            timer.resume()
            self.timer = timer
        }
    }

    func update(_ progress: PrepareProgress) {
        guard enabled else { return }
        if live {
            lock.withLock { latest = progress }
            redraw()
        } else if let line = PrepareProgressText.line(progress) {
            lock.withLock { FileHandle.standardError.write(Data((line + "\n").utf8)) }
        }
    }

    private func redraw() {
        lock.withLock {
            guard let p = latest else { return }
            let text = PrepareProgressText.bar(
                completed: p.completed, total: p.total, elapsed: Date().timeIntervalSince(start), inFlight: p.inFlight,
                width: terminalColumns() - 1)
            FileHandle.standardError.write(Data(("\r\u{1B}[2K" + text).utf8))
            drawn = true
        }
    }

    /// Clears the live line, so the report starts on a clean line.
    func finish() {
        timer?.cancel()
        timer = nil
        guard enabled, live else { return }
        lock.withLock {
            if drawn { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
            drawn = false
            latest = nil
        }
    }
}

/// The terminal's width (stderr), else $COLUMNS, else 80.
func terminalColumns() -> Int {
    var size = winsize()
    if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
    return ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init) ?? 80
}
