// The Ingress proxy on a worker's loop: HTTP/1.1 sessions accepted on the Ingress
// listeners, each request routed by host and path (IngressRouter) to one endpoint of its
// backend, over a pooled keep-alive connection or a new one. This file holds the sessions'
// lifecycle: accepting, events, epoll interest, timers and closing; HTTPExchangeSteps.swift
// moves the bytes of each exchange.
import HTTP1
import LinuxIO
import Logging
import ServiceConfig
import TLS

final class HTTPProxyHandler {
    /// How long connecting to an endpoint may take before the next one is tried.
    static let connectTimeout: UInt64 = 5_000_000_000
    /// How long a closing session reads and drops what the client still sends.
    static let lingerTimeout: UInt64 = 2_000_000_000
    /// The Ingress's head limits: 8 KiB request line (414), 32 KiB head or 100 fields (431).
    static let headLimits = HTTPRequestHeadParser.Limits(requestLineBytes: 8 * 1024, headBytes: 32 * 1024, fields: 100)
    /// Endpoints tried for one request whose connects fail, at most.
    static let maximumAttempts = 3

    let loop: EventLoop
    let pool: BufferPool
    let accessLog: Bool
    let keepAlive: KeepAlive?
    let upstreamCounters: UpstreamCounters
    let tlsCounters: TLSCounters
    /// The routing table new requests take; swapped by a reload.
    private(set) var router: IngressRouter?
    /// Counts the routers taken, so that an endpoint connection can remember which one it
    /// was last found wanted by (`Upstream.wantedInRouterGeneration`).
    private(set) var routerGeneration: UInt64 = 0
    /// The daemon is stopping: responses say `Connection: close` and idle connections close.
    private(set) var draining = false
    private(set) var sessions = SlotTable<HTTPSession>()
    var upstreams = SlotTable<Upstream>()
    var idle = UpstreamPool()
    /// Sessions whose writes wait for the end of the loop's turn, to be made together
    /// (HTTPDeferredFlushes.swift), and those whose sends came back, to take up again.
    var deferredFlushes: [HTTPSession] = []
    var settling: [HTTPSession] = []
    /// The sessions `settleFlushes` takes up, swapped with `settling` so that neither list
    /// is reallocated each time (a copy of `settling` emptied with its capacity kept was).
    var settled: [HTTPSession] = []
    /// TLS handshake steps taken in the loop's current turn, in nanoseconds, and the
    /// sessions waiting for a later turn's from `waitingHead` on, of which
    /// `closedWhileWaiting` have closed since (HTTPHandshakePacing.swift).
    var handshakeTimeThisTurn: UInt64 = 0
    var waitingHandshakes: [HTTPSession] = []
    var waitingHead = 0
    var closedWhileWaiting = 0
    /// Per-worker start and counter of generated X-Request-IDs ("<random hex>-<worker>-"
    /// and the counter in hex): unique without a system call per request.
    private let requestIDStem: HTTPFieldValue
    private var requestCounter: UInt64 = 0

    init(loop: EventLoop, accessLog: Bool, keepAlive: KeepAlive?, upstreamCounters: UpstreamCounters, tlsCounters: TLSCounters) {
        self.tlsCounters = tlsCounters
        self.loop = loop
        pool = loop.pool
        self.accessLog = accessLog
        self.keepAlive = keepAlive
        self.upstreamCounters = upstreamCounters
        var random = SystemRandomNumberGenerator()
        requestIDStem = HTTPFieldValue("\(String(random.next() as UInt64, radix: 16))-\(loop.index)-")
    }

    var index: Int { loop.index }
    var openCount: Int { sessions.count }

    /// The next generated X-Request-ID: the head writes its number, no String is made.
    func nextRequestID() -> HTTPRequestID {
        requestCounter &+= 1
        return HTTPRequestID(stem: requestIDStem, number: requestCounter)
    }

    /// Takes the routing table of a plan (nil: no Ingress of ours). Idle pooled connections
    /// to endpoints no backend names any more are closed now; busy ones when they finish.
    func take(_ router: IngressRouter?) {
        self.router = router
        routerGeneration &+= 1
        let wanted = router?.endpoints ?? []
        for upstream in idle.removeAll(where: { !wanted.contains($0.target.endpoint) }) { discard(upstream) }
    }

    // MARK: Accepting

    /// Starts serving an accepted connection; `secure`: on an HTTPS listener, so a TLS
    /// handshake comes first.
    func admit(_ accepted: consuming AcceptedConnection, listenerPort: Int, secure: Bool) {
        let peer = accepted.peer
        var budget: ConnectionBudget?
        if let router, let limit = router.nodeLimit {
            guard router.budget.tryAcquire(limit: limit) else {
                loop.logLimited(.warning, event: .connectionLimit, subject: "ingress",
                                "Refusing an Ingress connection: \(limit) connections are open on this node, the limit (--max-connections)")
                try? accepted.socket.setResetOnClose()
                return
            }
            budget = router.budget
        }
        let session = HTTPSession(slot: sessions.reserveSlot(), tag: loop.nextTag(), client: accepted.takeSocket(), peer: peer,
                                  listenerPort: listenerPort, limits: Self.headLimits, pool: pool)
        session.budget = budget
        sessions.insert(session)
        if secure {
            guard let context = router?.tls else {
                close(session, reset: true)  // cannot happen: HTTPS listeners exist only with a TLS plan
                return
            }
            do {
                session.tls = try context.server.makeConnection(socket: session.client.rawValue)
            } catch {
                loop.logLimited(.warning, event: .tlsHandshakeFailed, subject: "setup",
                                "Failed to set up TLS for a connection from \(session.clientAddress): \(error)")
                close(session, reset: true)
                return
            }
            session.phase = .handshaking
            setDeadline(session, after: context.handshakeTimeout)
        } else {
            awaitHead(session)
        }
        advance(session)
    }

    // MARK: Events

    func clientEvent(slot: UInt32, tag: UInt32, _ events: EpollEvents) {
        guard let session = sessions[slot], session.tag == tag else { return }
        if !events.intersection([.readable, .error, .hangup]).isEmpty { session.readable = true }
        if !events.intersection([.writable, .error, .hangup]).isEmpty { session.writable = true }
        let tlsWaits = session.tlsReadWaits.union(session.tlsWriteWaits)
        if !tlsWaits.isEmpty, !events.intersection(tlsWaits.union([.error, .hangup])).isEmpty {
            // OpenSSL asked for the other direction (a read that must write, a write that
            // must read): now that it came, the stalled call is made again.
            session.readable = true
            session.writable = true
        }
        advance(session)
    }

    func upstreamEvent(slot: UInt32, tag: UInt32, _ events: EpollEvents) {
        guard let upstream = upstreams[slot], upstream.tag == tag else { return }
        guard let session = upstream.session else {
            // Idle in the pool: the endpoint closed it, or sent what nobody asked for.
            idle.remove(upstream)
            discard(upstream)
            return
        }
        if !upstream.connected {
            connectCompleted(upstream, session, events)
            return
        }
        if !events.intersection([.readable, .error, .hangup]).isEmpty { upstream.readable = true }
        if !events.intersection([.writable, .error, .hangup]).isEmpty { upstream.writable = true }
        advance(session)
    }

    // MARK: Interest

    /// Registers each socket for what the session waits for. A socket stays registered as
    /// readable between requests even while its bytes are not wanted, as long as none have
    /// come (the flag is clear): a keep-alive exchange then costs no epoll_ctl. Only a peer
    /// that sends when it should wait (pipelining, closing) is taken out until it is read,
    /// so that level-triggered readiness cannot spin the loop.
    func updateInterest(_ session: HTTPSession) {
        guard session.phase != .closed else { return }
        var wanted: EpollEvents = []
        // Bytes whose send waits for the end of the turn need no readiness.
        if !session.toClient.isEmpty, !(session.flushDeferred && session.writable) { wanted.insert(.writable) }
        if wantsClientBytes(session) || !session.readable { wanted.insert(.readable) }
        wanted.formUnion(session.tlsWriteWaits)
        if session.tlsReadWaits.contains(.writable) {
            // A read stalled until the socket is writable: readable data it cannot take
            // yet would only wake the loop again and again.
            wanted.remove(.readable)
            wanted.insert(.writable)
        } else {
            wanted.formUnion(session.tlsReadWaits)
        }
        // Waiting for a turn to take its handshake step: the turn resumes it, not epoll.
        if session.handshakeWaiting { wanted = [] }
        do {
            try loop.watch(session.client.rawValue, current: session.interest, wanted: wanted,
                           token: EventToken(kind: .httpClient, slot: session.slot, generation: session.tag))
            session.interest = wanted
            if let upstream = session.upstream { try watch(upstream, wanted: wantedEvents(upstream, session)) }
        } catch {
            loop.logger.error("epoll_ctl failed for an Ingress connection: \(error)")
            abort(session)
        }
    }

    func watch(_ upstream: Upstream, wanted: EpollEvents) throws(Errno) {
        try loop.watch(upstream.socket.rawValue, current: upstream.interest, wanted: wanted,
                       token: EventToken(kind: .httpUpstream, slot: upstream.slot, generation: upstream.tag))
        upstream.interest = wanted
    }

    private func wantedEvents(_ upstream: Upstream, _ session: HTTPSession) -> EpollEvents {
        guard upstream.connected else { return .writable }
        var wanted: EpollEvents = []
        if !session.toUpstream.isEmpty, !(session.flushDeferred && upstream.writable) { wanted.insert(.writable) }
        if wantsUpstreamBytes(session) || !upstream.readable { wanted.insert(.readable) }
        return wanted
    }

    /// Whether the session would read from its client now, were bytes there.
    func wantsClientBytes(_ session: HTTPSession) -> Bool {
        guard session.fromClient.isEmpty else { return false }
        switch session.phase {
        case .handshaking: return true
        case .awaitingHead: return session.toClient.isEmpty
        case .exchanging: return !(session.exchange?.requestBody.isDone ?? true) && session.toUpstream.isEmpty
        case .tunnel: return !session.clientEnded && session.toUpstream.isEmpty
        case .lingering: return true
        case .closing, .closed: return false
        }
    }

    /// Whether the session would read from its endpoint now, were bytes there.
    func wantsUpstreamBytes(_ session: HTTPSession) -> Bool {
        guard session.fromUpstream.isEmpty, session.upstream?.connected == true else { return false }
        switch session.phase {
        case .exchanging: return session.toClient.count < responseReadAhead
        case .tunnel: return !session.upstreamEnded && session.toClient.isEmpty
        default: return false
        }
    }

    /// A response is read on while less than this waits for the client: a head and a body
    /// one read past a buffer (16 KiB and its head) go out in one send, not two, and a
    /// session still holds at most three reads of a response, however slow its client.
    var responseReadAhead: Int { 2 * pool.bufferSize }

    // MARK: Timers

    /// Sets when the session's current wait times out; arms a timer only when none due
    /// soon enough is armed (a busy session moves its deadline without touching the heap).
    func setDeadline(_ session: HTTPSession, after nanoseconds: UInt64) {
        let deadline = MonotonicClock.now() + nanoseconds
        session.deadline = deadline
        if session.timerDeadline == 0 || deadline < session.timerDeadline {
            session.timerDeadline = deadline
            loop.timers.schedule(.init(deadline: deadline, slot: session.slot, tag: session.tag, kind: .httpSession))
        }
    }

    func timerFired(_ entry: TimerQueue.Entry, now: UInt64) {
        switch entry.kind {
        case .httpPooled:
            guard let upstream = upstreams[entry.slot], upstream.tag == entry.tag, upstream.session == nil,
                  upstream.idleDeadline == entry.deadline else { return }
            idle.remove(upstream)
            discard(upstream)
        case .httpSession:
            guard let session = sessions[entry.slot], session.tag == entry.tag, session.timerDeadline == entry.deadline else { return }
            session.timerDeadline = 0
            guard session.deadline != 0 else { return }
            guard session.deadline <= now else {
                session.timerDeadline = session.deadline
                loop.timers.schedule(.init(deadline: session.deadline, slot: session.slot, tag: session.tag, kind: .httpSession))
                return
            }
            session.deadline = 0
            timedOut(session)
            if session.phase != .closed { advance(session) }
        case .tcpConnect, .tcpActivity, .udpFlow, .dnsClient, .dnsUpstream:
            return  // other handlers' 
        }
    }

    /// Whether a timer can still fire for something.
    func isLive(_ entry: TimerQueue.Entry) -> Bool {
        switch entry.kind {
        case .httpPooled:
            guard let upstream = upstreams[entry.slot] else { return false }
            return upstream.tag == entry.tag && upstream.idleDeadline == entry.deadline
        case .httpSession:
            guard let session = sessions[entry.slot] else { return false }
            return session.tag == entry.tag && session.timerDeadline == entry.deadline
        case .tcpConnect, .tcpActivity, .udpFlow, .dnsClient, .dnsUpstream:
            return false
        }
    }

    // MARK: Closing

    /// Closes the client connection and whatever endpoint connection the session holds.
    func close(_ session: HTTPSession, reset: Bool = false) {
        guard sessions[session.slot] === session, session.phase != .closed else { return }
        if reset {
            if session.sendsItsLast { try? session.client.pushHeldBytes() }  // a reset would discard them
            try? session.client.setResetOnClose()
        }
        session.phase = .closed
        stopWaitingForHandshake(session)
        session.budget?.open.wrappingSubtract(1, ordering: .relaxed)
        session.budget = nil
        if let upstream = session.upstream { discard(upstream) }
        session.upstream = nil
        session.exchange = nil
        sessions.remove(session)
        // The client descriptor closes when the session object goes away, just after this.
    }

    /// Ends a session that cannot go on: both sides are reset.
    func abort(_ session: HTTPSession) {
        close(session, reset: true)
    }

    /// Closes an endpoint connection that will not be used again.
    func discard(_ upstream: Upstream) {
        upstream.session = nil
        guard upstreams[upstream.slot] === upstream else { return }
        upstreams.remove(upstream)
    }

    /// Stopping: idle keep-alive connections close now (a client reconnects elsewhere
    /// rather than finding its next request cut off by the end of the grace period); busy
    /// ones close after their response, which says so.
    func beginDrain() {
        draining = true
        for session in sessions.all where session.phase == .awaitingHead && !session.headStarted
            && session.fromClient.isEmpty && session.toClient.isEmpty {
            close(session)
        }
        for upstream in idle.removeAll(where: { _ in true }) { discard(upstream) }
    }

    /// Resets every session still open: the end of the shutdown grace period.
    func closeAll() {
        for session in sessions.all { abort(session) }
        for upstream in upstreams.all { discard(upstream) }
    }
}
