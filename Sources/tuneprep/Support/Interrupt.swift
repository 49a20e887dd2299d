import Dispatch
import Foundation

/// Turns Ctrl-C (SIGINT) and SIGTERM into cancellation of a task, so work stops between photos
/// and cleans up (no half-written set) instead of dying mid-write.
enum Interrupt {
    static func cancelling<T: Sendable>(
        _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let task = Task { try await operation() }
        var sources: [DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                FileHandle.standardError.write(Data("\ntuneprep: interrupted; stopping and cleaning up\n".utf8))
                task.cancel()
            }
            source.resume()
            sources.append(source)
        }
        defer {
            for source in sources { source.cancel() }
            signal(SIGINT, SIG_DFL)
            signal(SIGTERM, SIG_DFL)
        }
        return try await task.value
    }
}
