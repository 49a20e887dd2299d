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

/// Runs an operation so that Ctrl-C cancels it: `prepare` and `check` stop between photos and
/// clean up (no half-written set), then exit 130.
enum Interrupt {
    static func cancelling<T: Sendable>(
        _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let task = Task { try await operation() }
        let watcher = InterruptWatcher { task.cancel() }
        defer { watcher.stop() }
        do {
            return try await task.value
        } catch StagingError.cancelled {
            FileHandle.standardError.write(Data("tuneprep: interrupted; nothing was written\n".utf8))
            throw ExitCode(130)
        }
    }
}
