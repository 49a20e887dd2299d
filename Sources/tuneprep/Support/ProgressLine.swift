import Foundation
import TunePrep

/// Progress on stderr: one live, rewritten line on a terminal; plain lines otherwise (logs, CI).
final class ProgressLine: @unchecked Sendable {
    private let enabled: Bool
    private let live: Bool
    private let lock = NSLock()
    private var lastWidth = 0

    init(quiet: Bool) {
        enabled = !quiet
        live = isatty(STDERR_FILENO) == 1
    }

    func update(_ progress: PrepareProgress) {
        guard enabled else { return }
        let mark = progress.accepted ? "ok" : "rejected"
        let text = "[\(progress.completed)/\(progress.total)] \(progress.path): \(mark)"
        lock.withLock {
            if live {
                let clipped = text.count > 100 ? "…" + text.suffix(99) : text
                let padding = String(repeating: " ", count: max(0, lastWidth - clipped.count))
                lastWidth = clipped.count
                FileHandle.standardError.write(Data(("\r" + clipped + padding).utf8))
            } else {
                FileHandle.standardError.write(Data((text + "\n").utf8))
            }
        }
    }

    func finish() {
        guard enabled, live else { return }
        lock.withLock {
            if lastWidth > 0 { FileHandle.standardError.write(Data("\r\(String(repeating: " ", count: lastWidth))\r".utf8)) }
            lastWidth = 0
        }
    }
}
