import ArgumentParser
import Dispatch
import Foundation
import TunePrep

/// SIGINT → cancel the running task; a second SIGINT exits immediately with 130.
final class InterruptWatcher: @unchecked Sendable {
    private let source: DispatchSourceSignal
    private let lock = NSLock()
    private var count = 0

    init(onInterrupt: @escaping @Sendable () -> Void) {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [unowned self] in
            let seen = lock.withLock { count += 1; return count }
            if seen == 1 {
                FileHandle.standardError.write(Data("\ntuneprep: stopping (Ctrl-C again to quit at once)…\n".utf8))
                onInterrupt()
            } else {
                exit(130)
            }
        }
        source.resume()
    }

    func stop() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}

extension InterruptWatcher {
    /// Installs the handler first, then starts the task: a Ctrl-C at any moment cancels it.
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

/// Runs an operation so that Ctrl-C cancels it: `prepare` and `check` stop between photos and
/// clean up (no half-written set), then exit 130.
enum Interrupt {
    static func cancelling<T: Sendable>(
        _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let (task, watcher) = InterruptWatcher.watching { try await operation() }
        defer { watcher.stop() }
        do {
            return try await task.value
        } catch StagingError.cancelled {
            FileHandle.standardError.write(Data("tuneprep: interrupted; nothing was written\n".utf8))
            throw ExitCode(130)
        } catch let error as StagingError {
            // Inputs that name no photo are a usage error (exit 2): one line, nothing written.
            switch error {
            case .noInputs, .inputNotFound, .noPhotosFound: throw CommandFailure(.usage, error.description)
            default: throw error
            }
        }
    }
}
