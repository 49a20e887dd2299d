import Foundation
import HTTPTypes
import HummingbirdCore
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// The server's open connections, shared by its event loops: which ones wait for a request (for
/// their headers, or between requests) and since when, so that a new connection at the limit can
/// close the one that has waited longest. A request in progress is never closed to make room.
final class ConnectionRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var waiting: [ObjectIdentifier: (channel: any Channel, since: ContinuousClock.Instant)] = [:]
    /// The limit asked for room when no connection had registered yet (their handlers are added on
    /// their event loops, after the count went up): the next one to register pays it, or accepting
    /// would stay paused until a header timeout.
    private var owed = false

    func waitingForRequest(_ channel: any Channel) {
        let victim = lock.withLock { () -> (any Channel)? in
            waiting[ObjectIdentifier(channel)] = (channel, .now)
            guard owed, let oldest = waiting.min(by: { $0.value.since < $1.value.since }) else { return nil }
            owed = false
            waiting[oldest.key] = nil
            return oldest.value.channel
        }
        victim?.close(promise: nil)
    }

    func busyOrClosed(_ channel: any Channel) {
        lock.withLock { waiting[ObjectIdentifier(channel)] = nil }
    }

    /// Closes the connection waiting longest for a request; false when every one is busy.
    @discardableResult
    func closeLongestWaiting() -> Bool {
        let victim = lock.withLock { () -> (any Channel)? in
            guard let oldest = waiting.min(by: { $0.value.since < $1.value.since }) else {
                owed = true
                return nil
            }
            waiting[oldest.key] = nil
            return oldest.value.channel
        }
        victim?.close(promise: nil)
        return victim != nil
    }
}

/// At most `limit` open connections, so that stalled clients cannot use up the process's file
/// descriptors (which stopped the server answering anyone). At the limit, accepting pauses and the
/// connection waiting longest for a request is closed; accepting resumes once it is gone, so a
/// normal request is answered even while hundreds of stalled sockets hold the rest.
struct ConnectionLimit: AvailableConnectionsDelegate {
    let limit: Int
    let registry: ConnectionRegistry
    var open = 0

    mutating func connectionOpened() { open += 1 }
    mutating func connectionClosed() { open -= 1 }

    func isAcceptingNewConnections() -> Bool {
        if open < limit { return true }
        // Its close calls connectionClosed, and Hummingbird's handler then accepts again.
        registry.closeLongestWaiting()
        return false
    }
}

/// Per connection: the request's headers must arrive within `headerTimeout` of the connection
/// opening (a client sending one header byte a second is closed, not waited for), and after the
/// 400 answered to headers the parser refused (too large, malformed) the rest of the request is
/// read and dropped for a moment, then the connection is closed, so a client still sending a
/// 10 MB header line gets its answer instead of blocking. Waits between requests are
/// Hummingbird's idle timeout.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// How long the rest of a refused request is read before the connection is closed anyway.
    static let linger: TimeAmount = .seconds(2)

    private let headerTimeout: TimeAmount
    private let registry: ConnectionRegistry
    private var headerDeadline: Scheduled<Void>?
    private var parseFailed = false
    private var draining = false

    init(headerTimeout: TimeAmount, registry: ConnectionRegistry) {
        self.headerTimeout = headerTimeout
        self.registry = registry
    }

    func handlerAdded(context: ChannelHandlerContext) {
        registry.waitingForRequest(context.channel)
        let channel = context.channel
        headerDeadline = context.eventLoop.scheduleTask(in: headerTimeout) { channel.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        headerDeadline?.cancel()
        registry.busyOrClosed(context.channel)
    }

    func channelInactive(context: ChannelHandlerContext) {
        headerDeadline?.cancel()
        registry.busyOrClosed(context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) {
            headerDeadline?.cancel()
            headerDeadline = nil
            registry.busyOrClosed(context.channel)
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Draining: keep reading (and the decoder, in its error state, keeps dropping) until the
        // client stops sending or the linger ends.
        if draining { context.read() }
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if draining { return }  // the decoder's "data received in error state", once per read
        if error is HTTPParserError { parseFailed = true }
        context.fireErrorCaught(error)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        if parseFailed {
            let written = promise ?? context.eventLoop.makePromise()
            context.writeAndFlush(data, promise: written)
            let channel = context.channel
            // On the channel's event loop, where the handler and its context live.
            written.futureResult.assumeIsolated().whenComplete { _ in
                self.draining = true
                context.read()
                _ = context.eventLoop.scheduleTask(in: Self.linger) { channel.close(promise: nil) }
            }
            return
        }
        registry.waitingForRequest(context.channel)
        context.write(data, promise: promise)
    }
}
