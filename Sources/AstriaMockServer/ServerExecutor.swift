import Foundation
import Hummingbird
import NIOCore

/// Threads of the mock server's own, on which its tasks (connections, handlers, training timers,
/// callbacks) and the actors they call run instead of Swift's global cooperative pool.
///
/// The server usually lives inside a test process. That pool has one thread per core, so on a
/// small CI machine a few tests doing long synchronous work (decoding images, say) can occupy it
/// for minutes; a server on the pool would then stop answering and its clients would time out.
/// On these threads it keeps answering however busy the pool is.
package final class ServerExecutor: TaskExecutor, @unchecked Sendable {
    /// Shared by every server in the process (the tests' scripted peers too); the threads live as
    /// long as the process.
    package static let shared = ServerExecutor(threads: max(4, ProcessInfo.processInfo.activeProcessorCount))

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var next = 0

    private init(threads: Int) {
        for index in 0..<threads {
            let thread = Thread { [unowned self] in self.work() }
            thread.name = "astria-mock-\(index)"
            thread.start()
        }
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while next == jobs.count { condition.wait() }
            let job = jobs[next]
            next += 1
            if next == jobs.count {  // drained: drop the consumed slots
                jobs.removeAll(keepingCapacity: true)
                next = 0
            } else if next >= 1024 {
                jobs.removeFirst(next)
                next = 0
            }
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}

extension ServerExecutor {
    /// Runs the application `makeApp` builds on these threads and waits until it listens.
    /// `makeApp` is given the `onServerRunning` its application must call. Returns the port (nil
    /// when the application stopped first: the task's result says why) and the task running it.
    /// The mock server and the tests' scripted peers both start this way.
    package static func launch<App: ApplicationProtocol>(
        _ makeApp: (_ onServerRunning: @escaping @Sendable (any Channel) async -> Void) -> App
    ) async -> (port: Int?, task: Task<Void, any Error>) {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = makeApp { channel in
            continuation.yield(channel.localAddress?.port ?? 0)
            continuation.finish()
        }
        // The application's child tasks (every connection) and the actors they call follow this
        // preference, so a busy cooperative pool in the host process cannot stall the server.
        let task = Task(executorPreference: shared) {
            defer { continuation.finish() }
            try await app.run()
        }
        var iterator = ports.makeAsyncIterator()
        let port = await iterator.next()
        return (port.flatMap { $0 > 0 ? $0 : nil }, task)
    }
}
