import AstriaMockServer
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A small HTTP server for tests whose answers a closure decides, recording every request with all
/// its headers: the recording peer that proves what a client sends where (the key), and the
/// scripted service for waits whose timing the mock's real timers cannot give.
public final class ScriptedServer: Sendable {
    public struct Hit: Sendable {
        public var method: String
        /// Path and query, as sent.
        public var target: String
        /// Lower-cased names.
        public var headers: [String: String]
        public var at: Date
    }

    public struct Answer: Sendable {
        public var status: Int = 200
        public var headers: [String: String] = ["Content-Type": "application/json"]
        public var body: Data = Data()

        public init(status: Int = 200, headers: [String: String] = ["Content-Type": "application/json"], body: Data = Data()) {
            self.status = status
            self.headers = headers
            self.body = body
        }

        public static func json(_ object: Any, status: Int = 200) -> Answer {
            Answer(status: status, body: (try? JSONSerialization.data(withJSONObject: object)) ?? Data())
        }
    }

    public let port: Int
    public var baseURL: String { "http://127.0.0.1:\(port)" }
    private let hitsStore: HitLog
    private let task: Task<Void, any Error>

    public var hits: [Hit] { hitsStore.all }

    final class HitLog: Sendable {
        private let hits = Mutex<[Hit]>([])
        func add(_ hit: Hit) { hits.withLock { $0.append(hit) } }
        var all: [Hit] { hits.withLock { $0 } }
    }

    private init(port: Int, hits: HitLog, task: Task<Void, any Error>) {
        self.port = port
        self.hitsStore = hits
        self.task = task
    }

    deinit { task.cancel() }

    public static func start(_ answer: @escaping @Sendable (Hit) async -> Answer) async throws -> ScriptedServer {
        let hits = HitLog()
        let router = Router()
        let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
            let hit = Hit(method: request.method.rawValue, target: request.uri.description, headers: headers, at: Date())
            hits.add(hit)
            let reply = await answer(hit)
            var fields = HTTPFields()
            for (name, value) in reply.headers {
                if let field = HTTPField.Name(name) { fields[field] = value }
            }
            return Response(
                status: .init(code: reply.status), headers: fields,
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: reply.body)))
        }
        for method in [HTTPRequest.Method.get, .post, .delete, .head] {
            router.on("/", method: method, use: handler)
            router.on("**", method: method, use: handler)
        }
        // On the mock server's threads, not the test process's cooperative pool: tests that decode
        // images can hold that pool for seconds, and a wait's timing would then measure them.
        let (listening, task) = await ServerExecutor.launch { onServerRunning in
            Application(
                router: router,
                configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
                onServerRunning: onServerRunning,
                logger: Logger(label: "scripted", factory: { _ in SwiftLogNoOpLogHandler() })
            )
        }
        guard let port = listening else {
            task.cancel()
            throw ScriptedServerError.notListening
        }
        return ScriptedServer(port: port, hits: hits, task: task)
    }

    public func stop() async {
        task.cancel()
        _ = await task.result
    }
}

public enum ScriptedServerError: Error { case notListening }

/// A clock the waits read and advance instead of sleeping: `sleep` moves `now` forward.
public final class FakeClock: Sendable {
    private let state: Mutex<(now: Date, sleeps: [Duration])>
    public init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { state = Mutex((start, [])) }
    public var now: Date { state.withLock { $0.now } }
    public var sleeps: [Duration] { state.withLock { $0.sleeps } }
    public func sleep(_ duration: Duration) {
        state.withLock {
            $0.sleeps.append(duration)
            $0.now = $0.now.addingTimeInterval(Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
        }
    }
}
