import Foundation
import Hummingbird
import Logging
import NIOCore

/// A local, Astria-compatible API server for tests, the quick start and users' integration tests.
///
/// ```swift
/// let server = try await MockAstriaServer.start(MockServerOptions(apiKey: "sd_test"))
/// // point a client at server.baseURL ...
/// let seen = await server.requests()
/// await server.stop()
/// ```
public final class MockAstriaServer: Sendable {
    /// The port bound (useful with port 0).
    public let port: Int
    /// `http://HOST:PORT`, to use in place of `https://api.astria.ai`.
    public let baseURL: URL
    /// Where uploaded images are stored.
    public let dataDirectory: URL

    private let store: TuneStore
    private let journal: RequestJournal
    private let task: Task<Void, any Error>
    private let removeDataOnStop: Bool

    private init(
        port: Int, baseURL: URL, dataDirectory: URL, store: TuneStore, journal: RequestJournal,
        task: Task<Void, any Error>, removeDataOnStop: Bool
    ) {
        self.port = port
        self.baseURL = baseURL
        self.dataDirectory = dataDirectory
        self.store = store
        self.journal = journal
        self.task = task
        self.removeDataOnStop = removeDataOnStop
    }

    /// Starts listening and returns once the port is bound.
    public static func start(_ options: MockServerOptions = MockServerOptions()) async throws(MockServerError)
        -> MockAstriaServer
    {
        let (dataDirectory, temporary) = try prepareDataDirectory(options.dataDirectory)
        let address = BaseAddress()
        let store = TuneStore(dataDirectory: dataDirectory, address: address, options: options)
        let journal = RequestJournal()
        let router = Router(context: MockRequestContext.self)
        // Middleware first: Hummingbird wraps only the routes added after it.
        router.add(middleware: GateMiddleware(options: options, faults: FaultInjector(plan: options.faults), journal: journal))
        Routes(options: options, store: store, journal: journal, dataDirectory: dataDirectory, address: address, startedAt: Date())
            .register(on: router)

        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let maxBody = options.maxBodyBytes
        let app = Application(
            router: router,
            server: .http1(configuration: .init(additionalChannelHandlers: [ExpectContinueHandler(maxBodyBytes: maxBody)])),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: nil),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: Logger(label: "astria-mock", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let task = Task {
            defer { portContinuation.finish() }
            try await app.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            let reason: String
            switch await task.result {
            case .failure(let error): reason = "\(error)"
            case .success: reason = "the server stopped before listening"
            }
            if temporary { try? FileManager.default.removeItem(at: dataDirectory) }
            throw .startFailed(host: options.host, port: options.port, reason: reason)
        }
        let host = options.host.contains(":") ? "[\(options.host)]" : options.host
        let baseURL = URL(string: "http://\(host):\(port)")!
        address.set(baseURL.absoluteString)
        return MockAstriaServer(
            port: port, baseURL: baseURL, dataDirectory: dataDirectory, store: store, journal: journal,
            task: task, removeDataOnStop: temporary
        )
    }

    /// Stops listening and training; removes the data folder if the server made a temporary one.
    public func stop() async {
        task.cancel()
        _ = await task.result
        await store.stopTraining()
        if removeDataOnStop { try? FileManager.default.removeItem(at: dataDirectory) }
    }

    /// Every request received so far, oldest first.
    public func requests() async -> [RecordedRequest] { await journal.requests }

    /// The live tunes, newest first.
    public func tunes() async -> [StoredTune] {
        let base = baseURL.absoluteString
        return await store.all().map { $0.stored(baseURL: base) }
    }

    /// Callback POSTs made (or attempted) after training, in order.
    public func callbackDeliveries() async -> [CallbackDelivery] { await store.callbackDeliveries() }

    /// Bodies POSTed to this server's sink, `baseURL/_mock/callbacks/...`.
    public func receivedCallbacks() async -> [ReceivedCallback] { await journal.receivedCallbacks }

    private static func prepareDataDirectory(_ requested: URL?) throws(MockServerError) -> (URL, Bool) {
        let url = requested ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("astria-mock-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw .dataDirectory(path: url.path, reason: "cannot create it (\(error.localizedDescription))")
        }
        guard FileManager.default.isWritableFile(atPath: url.path) else {
            throw .dataDirectory(path: url.path, reason: "not writable")
        }
        return (url, requested == nil)
    }
}

/// The server's own base URL, known only once the port is bound, read by routes to build URLs.
final class BaseAddress: @unchecked Sendable {
    private let lock = NSLock()
    private var value = "http://127.0.0.1"

    func set(_ url: String) { lock.withLock { value = url } }
    var url: String { lock.withLock { value } }
}
