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
        // Find out first whether the address can be bound at all. When Hummingbird's own bind fails,
        // its service group is cancelled, and that cancellation can deadlock (about one run in five
        // or ten: ServiceGroup's merged signal stream, swift-async-algorithms' MergeStorage lock and
        // the task status lock taken in opposite orders, seen with gdb), so the process hung silently.
        // A bind failure found here never starts the group.
        if let reason = probeBind(host: options.host, port: options.port) {
            throw .startFailed(host: options.host, port: options.port, reason: reason)
        }
        try checkPictureOptions(options)
        let (dataDirectory, temporary) = try prepareDataDirectory(options.dataDirectory)
        let address = BaseAddress()
        let store = TuneStore(dataDirectory: dataDirectory, address: address, options: options)
        let journal = RequestJournal()
        let router = Router(context: MockRequestContext.self)
        // Middleware first: Hummingbird wraps only the routes added after it.
        router.add(
            middleware: GateMiddleware(
                options: options, faults: FaultInjector(plan: options.faults), journal: journal,
                polls: options.minPollInterval.flatMap { $0 > .zero ? PollLimiter(interval: $0) : nil }))
        Routes(options: options, store: store, journal: journal, dataDirectory: dataDirectory, address: address, startedAt: Date())
            .register(on: router)

        let maxBody = options.maxBodyBytes
        let connections = ConnectionRegistry()
        let headerTimeout = TimeAmount(options.headerTimeout)
        let (listening, task) = await ServerExecutor.launch { onServerRunning in
            Application(
                router: router,
                server: .http1(configuration: .init(
                    additionalChannelHandlers: [
                        ExpectContinueHandler(maxBodyBytes: maxBody),
                        ConnectionGuard(headerTimeout: headerTimeout, registry: connections),
                    ],
                    // A body held back by the injected latency (read after it) is not an idle client.
                    idleTimeout: TimeAmount(options.idleTimeout + options.faults.latency))),
                configuration: .init(
                    address: .hostname(options.host, port: options.port), serverName: nil,
                    // Room for a burst of connections while the limit closes stalled ones.
                    backlog: max(256, options.maxConnections),
                    availableConnectionsDelegate: ConnectionLimit(limit: options.maxConnections, registry: connections)),
                onServerRunning: onServerRunning,
                logger: Logger(label: "astria-mock", factory: { _ in SwiftLogNoOpLogHandler() })
            )
        }
        guard let port = listening else {
            let reason: String
            switch await task.result {
            case .failure(let error): reason = Self.plainStartFailure(error, host: options.host, port: options.port)
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

    /// The live prompts of every tune, newest first.
    public func prompts() async -> [StoredPrompt] {
        let base = baseURL.absoluteString
        return await store.allPrompts().map { $0.stored(baseURL: base) }
    }

    /// Makes a tune that is still training overdue: it never trains, `trained_at` stays null past
    /// its `eta`, and its prompts never finish. False when there is no such tune or it has trained.
    @discardableResult
    public func makeTuneOverdue(_ tuneID: Int) async -> Bool { await store.makeOverdue(tuneID) }

    /// Ends a tune's training now instead of at its `eta` (an overdue tune's too): `trained_at` is
    /// set, its callback sent, and its prompts start. For tests that must not race the timer.
    /// False when there is no such tune or it has trained.
    @discardableResult
    public func finishTraining(_ tuneID: Int) async -> Bool { await store.trainNow(tuneID) }

    /// Makes a prompt that has not finished fail: when its time comes it gets `user_error` and no
    /// images (its callback is still sent). False when there is no such prompt or it has finished.
    @discardableResult
    public func failPrompt(_ promptID: Int, userError: String) async -> Bool {
        await store.failPrompt(promptID, userError: userError)
    }

    /// Callback POSTs made (or attempted) after training and generation, in order.
    public func callbackDeliveries() async -> [CallbackDelivery] { await store.callbackDeliveries() }

    /// Bodies POSTed to this server's sink, `baseURL/_mock/callbacks/...`.
    public func receivedCallbacks() async -> [ReceivedCallback] { await journal.receivedCallbacks }

    /// Binds (and closes) a socket to `host:port` as the server will, with SO_REUSEADDR; nil when
    /// that works, else why not in plain words.
    static func probeBind(host: String, port: Int) -> String? {
        let address: SocketAddress
        do {
            address = try SocketAddress.makeAddressResolvingHost(host, port: port)
        } catch {
            return plainStartFailure(error, host: host, port: port)
        }
        let fd = socket(address.protocol.rawValue, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        defer { close(fd) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let result = address.withSockAddr { pointer, size in bind(fd, pointer, socklen_t(size)) }
        guard result != 0 else { return nil }
        return plainStartFailure(IOError(errnoCode: errno, reason: "bind"), host: host, port: port)
    }

    /// Why binding failed, in plain words: `port 8080 is already in use` rather than NIO's
    /// `bind(descriptor:ptr:bytes:): Address already in use (errno: 98)`.
    static func plainStartFailure(_ error: any Error, host: String, port: Int) -> String {
        if let io = error as? IOError {
            switch io.errnoCode {
            case EADDRINUSE: return "port \(port) is already in use"
            case EADDRNOTAVAIL: return "\(host) is not an address of this machine"
            case EACCES: return "permission denied (ports below 1024 need privileges)"
            default: return String(cString: strerror(io.errnoCode))
            }
        }
        if error is SocketAddressError.UnknownHost { return "cannot resolve host \(host)" }
        if let address = error as? SocketAddressError {
            switch address {
            case .failedToParseIPString: return "\(host) is not a valid address"
            default: return "cannot resolve host \(host)"
            }
        }
        return "\(error)"
    }

    /// A pictures folder that gives nothing, or an image base URL no client can use, is said at start.
    private static func checkPictureOptions(_ options: MockServerOptions) throws(MockServerError) {
        if let folder = options.promptImagesDirectory {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
                throw .invalidOption("prompt images folder \(folder.path)", reason: "not a folder")
            }
            guard !PromptImages.files(in: folder).isEmpty else {
                throw .invalidOption("prompt images folder \(folder.path)", reason: "has no .jpg or .jpeg file")
            }
        }
        if let base = options.imageBaseURL {
            guard let scheme = base.scheme?.lowercased(), ["http", "https"].contains(scheme), base.host != nil,
                base.query == nil, base.fragment == nil
            else {
                throw .invalidOption("image base URL \(base.absoluteString)", reason: "expected http(s)://HOST[:PORT][/PATH]")
            }
        }
    }

    private static func prepareDataDirectory(_ requested: URL?) throws(MockServerError) -> (URL, Bool) {
        let url = requested ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("astria-mock-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            // Uploads are written here as they arrive, then renamed into a tune's folder.
            try FileManager.default.createDirectory(at: url.appendingPathComponent(".spool"), withIntermediateDirectories: true)
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
