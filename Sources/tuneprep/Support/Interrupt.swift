import ArgumentParser
import Dispatch
import Foundation

/// The signals that stop a run cleanly: SIGINT (Ctrl-C), SIGTERM (how a service manager, a job
/// worker or a container runtime stops a process) and SIGHUP (the terminal went away). Each exits
/// with 128 + its number, as a shell reports a process that signal killed, so a caller can still
/// tell who stopped the run; the set is never half-written whichever it is.
enum StopSignal {
    static let all: [Int32] = [SIGHUP, SIGINT, SIGTERM]

    /// The documented exit status for a run stopped by `signal`.
    static func status(_ signal: Int32) -> ExitStatus {
        switch signal {
        case SIGHUP: .hangup
        case SIGTERM: .terminated
        default: .interrupted
        }
    }

    /// How the stop is named on stderr.
    static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGHUP: "SIGHUP"
        case SIGTERM: "SIGTERM"
        default: "Ctrl-C"
        }
    }

    /// After SIGHUP the terminal is gone and a write to it fails with EIO, which Foundation's
    /// `FileHandle.write` turns into a crash (and a crash would leave the staging folder behind):
    /// stdout and stderr that were a terminal are pointed at /dev/null instead.
    static func detachFromLostTerminal() {
        let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
        guard null >= 0 else { return }
        defer { close(null) }
        for fd in [STDOUT_FILENO, STDERR_FILENO] where isatty(fd) != 0 || errno == EIO {
            _ = dup2(null, fd)
        }
    }

    /// Writes straight to fd 2, ignoring failures: safe on any stderr.
    static func say(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}

/// SIGINT, SIGTERM or SIGHUP → cancel the running task; a second one exits at once with its code.
final class InterruptWatcher: @unchecked Sendable {
    private var sources: [any DispatchSourceSignal] = []
    private let lock = NSLock()
    private var received: [Int32] = []

    init(onInterrupt: @escaping @Sendable () -> Void) {
        for sig in StopSignal.all {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [unowned self] in
                let seen = lock.withLock { received.append(sig); return received.count }
                if sig == SIGHUP { StopSignal.detachFromLostTerminal() }
                if seen == 1 {
                    let again = sig == SIGINT ? "Ctrl-C again" : "send it again"
                    StopSignal.say("\ntuneprep: stopping on \(StopSignal.name(sig)) (\(again) to quit at once)…\n")
                    onInterrupt()
                } else {
                    // Quit at once; a staging folder left behind is removed by the next prepare.
                    exit(StopSignal.status(sig).rawValue)
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    /// The exit status for the stop that was asked for: the first signal's (130 when none came,
    /// as for a cancellation from elsewhere).
    var status: ExitStatus {
        lock.withLock { received.first.map(StopSignal.status) ?? .interrupted }
    }

    func stop() {
        sources.forEach { $0.cancel() }
        for sig in StopSignal.all { signal(sig, SIG_DFL) }
    }
}

extension InterruptWatcher {
    /// Installs the handlers first, then starts the task: a signal at any moment cancels it.
    static func watching<T: Sendable>(
        _ operation: @escaping @Sendable () async throws -> T
    ) -> (Task<T, any Error>, InterruptWatcher) {
        let pending = PendingCancel()
        let watcher = InterruptWatcher { pending.cancel() }
        let task = Task { try await operation() }
        pending.attach { task.cancel() }
        return (task, watcher)
    }
}

/// Holds a cancellation asked for before the task it is meant for exists.
private final class PendingCancel: @unchecked Sendable {
    private let lock = NSLock()
    private var action: (@Sendable () -> Void)?
    private var requested = false

    func cancel() {
        let action = lock.withLock { requested = true; return self.action }
        action?()
    }

    func attach(_ action: @escaping @Sendable () -> Void) {
        let already = lock.withLock { self.action = action; return requested }
        if already { action() }
    }
}
