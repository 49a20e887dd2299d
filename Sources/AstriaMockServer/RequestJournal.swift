import Foundation
import Hummingbird
import NIOCore

/// The requests received and the callbacks received on the sink, for tests to inspect.
actor RequestJournal {
    private(set) var requests: [RecordedRequest] = []
    private(set) var receivedCallbacks: [ReceivedCallback] = []

    func append(_ request: RecordedRequest) { requests.append(request) }
    func append(_ callback: ReceivedCallback) { receivedCallbacks.append(callback) }
}

/// What a handler learned about a request (its fields and files, whether the poll limit refused
/// it), passed back to the
/// middleware that records it. Handlers get the context by value, hence the shared box.
final class RequestNotes: @unchecked Sendable {
    private let lock = NSLock()
    private var _fields: [FormField] = []
    private var _files: [RecordedFile] = []
    private var _rateLimited = false

    func set(fields: [FormField], files: [RecordedFile]) {
        lock.withLock {
            _fields = fields
            _files = files
        }
    }

    func markRateLimited() { lock.withLock { _rateLimited = true } }

    var snapshot: (fields: [FormField], files: [RecordedFile], rateLimited: Bool) {
        lock.withLock { (_fields, _files, _rateLimited) }
    }
}

/// Hummingbird's per-request context, plus the connection (to drop it) and the notes.
struct MockRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel
    let notes = RequestNotes()

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
