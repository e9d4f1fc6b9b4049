// A client connection of the Ingress proxy, the exchange in progress on it, and the
// connection to an endpoint that exchange uses. A session runs one exchange at a time:
// pipelined requests wait, unread, until the response before them is complete, so they
// are answered in order and a slow reader holds back only its own requests.
import HTTP1
import LinuxIO
import ServiceConfig
import TLS

/// How much of a message body is still to come.
enum BodyProgress {
    case done
    case length(UInt64)
    case chunked(HTTPChunkedBodyScanner)
    /// A response delimited by the endpoint closing its connection.
    case untilClose

    init(_ framing: HTTPBodyFraming) {
        switch framing {
        case .none: self = .done
        case .contentLength(let length): self = length == 0 ? .done : .length(length)
        case .chunked: self = .chunked(HTTPChunkedBodyScanner())
        }
    }

    init(_ framing: HTTPResponseFraming) {
        switch framing {
        case .none: self = .done
        case .contentLength(let length): self = length == 0 ? .done : .length(length)
        case .chunked: self = .chunked(HTTPChunkedBodyScanner())
        case .untilClose: self = .untilClose
        }
    }

    var isDone: Bool {
        if case .done = self { return true }
        return false
    }

    /// Takes the front of `bytes` that belongs to the body: how many bytes that is, or the
    /// framing error. The body is done when `isDone` turns true.
    mutating func take(_ bytes: UnsafeRawBufferPointer) -> Result<Int, HTTPParseError> {
        switch self {
        case .done:
            return .success(0)
        case .untilClose:
            return .success(bytes.count)
        case .length(let remaining):
            let taken = Int(min(remaining, UInt64(bytes.count)))
            self = remaining == UInt64(taken) ? .done : .length(remaining - UInt64(taken))
            return .success(taken)
        case .chunked(var scanner):
            switch scanner.scan(bytes) {
            case .needMore:
                self = .chunked(scanner)
                return .success(bytes.count)
            case .complete(let consumed):
                self = .done
                return .success(consumed)
            case .invalid(let error):
                return .failure(error)
            }
        }
    }
}

/// A connection to an endpoint: in use by one session, or idle in the worker's pool.
final class Upstream: SlotOccupant {
    let slot: UInt32
    let tag: UInt32
    let socket: FileDescriptor
    let target: HTTPEndpointTarget
    var connected = false
    var interest: EpollEvents = []
    /// Readiness learnt from epoll, cleared when a call would block.
    var readable = false
    var writable = false
    /// The session using it; nil while pooled.
    var session: HTTPSession?
    /// It has carried a complete exchange before (so a failure may be a stale keep-alive).
    var reused = false
    /// While pooled: when it is closed for idleness, in monotonic nanoseconds.
    var idleDeadline: UInt64 = 0
    /// The `HTTPProxyHandler.routerGeneration` whose router was last found to name this
    /// connection's endpoint (0: none yet): a set lookup once per reload, not per exchange.
    var wantedInRouterGeneration: UInt64 = 0

    init(slot: UInt32, tag: UInt32, socket: consuming FileDescriptor, target: HTTPEndpointTarget) {
        self.slot = slot
        self.tag = tag
        self.socket = socket
        self.target = target
    }
}

/// One request and its response, from the request head to the end of the response.
final class Exchange {
    let request: HTTPRequestHead
    let entry: IngressRouteEntry
    let startedAt: UInt64
    /// --ingress-upstream-timeout when the request arrived: a reload does not shorten the
    /// wait of a request in flight.
    let upstreamTimeout: UInt64
    /// What the forwarded head says of the client's connection, kept to write the head again
    /// for a fresh connection after a stale one (the same head: the same request ID).
    let context: HTTPForwardingContext
    var requestBody: BodyProgress
    var responseParser = HTTPResponseHeadParser()
    /// The final response's head, once received.
    var response: HTTPResponseHead?
    var responseBody: BodyProgress = .done
    /// Bytes of the final response (head included) queued for the client.
    var responseBytes: UInt64 = 0
    var requestBytes: UInt64 = 0
    /// Which endpoint of the backend, and how many endpoints were tried.
    var endpointIndex: Int
    var attempts = 1
    /// The request asked for a protocol upgrade that is to become a tunnel after 101.
    let upgrade: Bool
    /// Bytes came back from the endpoint for this request.
    var receivedAny = false
    /// Sent again once on a fresh connection after a pooled one turned out closed.
    var retriedStale = false
    /// The client connection closes after this response (`Connection: close` was sent).
    var closing = false

    init(request: HTTPRequestHead, entry: IngressRouteEntry, startedAt: UInt64, upstreamTimeout: UInt64, context: HTTPForwardingContext,
         endpointIndex: Int) {
        self.request = request
        self.upstreamTimeout = upstreamTimeout
        self.entry = entry
        self.startedAt = startedAt
        self.context = context
        self.endpointIndex = endpointIndex
        requestBody = BodyProgress(request.framing)
        upgrade = request.upgradesToWebSocket
    }

    var target: HTTPEndpointTarget { entry.backend.targets[endpointIndex] }
    var responseStarted: Bool { response != nil }
}

final class HTTPSession: SlotOccupant {
    enum Phase {
        /// HTTPS: the TLS handshake, before the first request.
        case handshaking
        /// Reading the next request head.
        case awaitingHead
        /// A request is forwarded and its response relayed.
        case exchanging
        /// After 101: bytes relayed both ways as they come.
        case tunnel
        /// Our last bytes are queued; once written, the sending half is shut and what the
        /// client still sends is read and dropped, so that an unread request does not turn
        /// our answer into a reset.
        case closing
        case lingering
        case closed
    }

    let slot: UInt32
    let tag: UInt32
    let client: FileDescriptor
    let peer: SocketAddress?
    /// The client's address as X-Forwarded-For and the access log write it: written out on
    /// first use, since a connection that never completes a request (a TLS handshake alone,
    /// a port scan) should not pay for formatting it.
    lazy var clientAddress: String = peer.map { "\(IPAddress($0))" } ?? "unknown"
    /// The same as X-Forwarded-For and X-Real-IP write it, checked once for the connection.
    lazy var clientAddressValue = HTTPFieldValue(clientAddress)
    let listenerPort: Int
    var interest: EpollEvents = []
    /// HTTPS: the client's TLS connection, through which every byte goes.
    var tls: TLSConnection?
    /// What a stalled TLS read (or handshake step) and a stalled TLS write wait for, when
    /// OpenSSL needs the socket's other direction: a read that must write, a write that
    /// must read. Kept apart so that one direction's call does not erase the other's wait.
    var tlsReadWaits: EpollEvents = []
    var tlsWriteWaits: EpollEvents = []
    /// A new connection's first request has usually arrived with it: try reading at once.
    var readable = true
    var writable = true
    var phase = Phase.awaitingHead
    /// While closing: the last request said `Connection: close` (or was HTTP/1.0 without
    /// keep-alive) and arrived whole (or had no body), so the client sends nothing more.
    var clientSendsNoMore = false
    /// What waits for the client is the last of it: the sending half is shut as soon as it
    /// is written, so it can be held for the FIN to travel with it
    /// (`Socket.send(from:count:endFollows:)`). Plain HTTP: over TLS the close_notify
    /// alert comes between.
    var sendsItsLast: Bool { phase == .closing && tls == nil }
    var parser: HTTPRequestHeadParser
    /// Bytes of the current request head have arrived (a silent keep-alive connection is
    /// closed quietly at the header timeout; one that started a request gets 408).
    var headStarted = false
    var requestsServed = 0
    /// The node-wide count this connection holds a place in, given back when it closes.
    var budget: ConnectionBudget?
    var exchange: Exchange?
    var upstream: Upstream?
    /// In a tunnel: which side has ended its stream, and which sending halves we shut.
    var clientEnded = false
    var upstreamEnded = false
    var clientShut = false
    var upstreamShut = false

    /// The session's writes wait for the end of the loop's turn (it is in the handler's
    /// `deferredFlushes`); it is to be taken up again once its sends came back (`settling`),
    /// and whether its writes are to be made at once then: the ring had no room for them,
    /// or a send in it failed (made again at once, it fails as a direct write does, or the
    /// ring's failure, not the socket's, was the cause).
    var flushDeferred = false
    var settling = false
    var flushAtOnce = false
    /// Waiting for its handshake's turn: the loop's turn had spent its handshake time
    /// (HTTPHandshakePacing.swift).
    var handshakeWaiting = false
    /// A step of its handshake did the costly work; the rest are not paced.
    var handshakeCostPaid = false

    var fromClient: ByteQueue
    var toClient: ByteQueue
    var fromUpstream: ByteQueue
    var toUpstream: ByteQueue

    /// When the current wait times out (0: none), and the deadline a timer is armed for.
    var deadline: UInt64 = 0
    var timerDeadline: UInt64 = 0

    init(slot: UInt32, tag: UInt32, client: consuming FileDescriptor, peer: SocketAddress?, listenerPort: Int,
         limits: HTTPRequestHeadParser.Limits, pool: BufferPool) {
        fromClient = ByteQueue(pool: pool)
        toClient = ByteQueue(pool: pool)
        fromUpstream = ByteQueue(pool: pool)
        toUpstream = ByteQueue(pool: pool)
        self.slot = slot
        self.tag = tag
        self.client = client
        self.peer = peer
        self.listenerPort = listenerPort
        parser = HTTPRequestHeadParser(limits: limits)
    }
}
