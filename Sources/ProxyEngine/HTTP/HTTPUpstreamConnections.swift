// Connections from the Ingress proxy to endpoints: taken from the pool or made anew,
// connected, retried, and given back. A connect that fails moves the request to the next
// endpoint (nothing was sent); a pooled connection the endpoint had closed gets the request
// again on a fresh connection, once, when the request has no body to replay.
import HTTP1
import LinuxIO
import Logging
import ServiceConfig

extension HTTPProxyHandler {
    /// Gives the exchange a connection to its endpoint: a pooled one when `pooled` allows,
    /// else a new one.
    func attach(_ session: HTTPSession, _ exchange: Exchange, pooled: Bool) {
        let target = exchange.target
        if pooled, let upstream = idle.take(target.endpoint) {
            upstream.session = session
            upstream.idleDeadline = 0
            upstream.writable = true
            session.upstream = upstream
            upstreamCounters.reused.bump()
            return
        }
        let upstream: Upstream
        do {
            let socket = try FileDescriptor.tcpSocket(for: target.address)
            if let keepAlive { try socket.setKeepAlive(keepAlive) }
            // A request head is always sent first: it carries the handshake's last ACK.
            try? socket.holdHandshakeAckForData()
            upstream = Upstream(slot: upstreams.reserveSlot(), tag: loop.nextTag(), socket: socket, target: target)
        } catch {
            loop.logLimited(.warning, event: .socketFailed, subject: "\(error.rawValue)",
                            "Failed to create a socket for endpoint \(target.endpoint) of \(exchange.entry.backend.servicePort): \(error)")
            fail(session, exchange, .badGateway)
            return
        }
        upstreams.insert(upstream)
        upstream.session = session
        session.upstream = upstream
        upstreamCounters.opened.bump()
        do {
            switch try upstream.socket.connect(to: target.address) {
            case .done: connected(upstream, session, exchange)
            case .wouldBlock: setDeadline(session, after: Self.connectTimeout)
            }
        } catch {
            connectFailed(session, exchange, error)
        }
    }

    private func connected(_ upstream: Upstream, _ session: HTTPSession, _ exchange: Exchange) {
        upstream.connected = true
        upstream.writable = true
        try? upstream.socket.setNoDelay()
        setDeadline(session, after: exchange.upstreamTimeout)
    }

    /// The endpoint socket became writable (or failed) while connecting.
    func connectCompleted(_ upstream: Upstream, _ session: HTTPSession, _ events: EpollEvents) {
        guard let exchange = session.exchange else { return abort(session) }
        let failure: Errno?
        if events == .writable {
            failure = nil
        } else {
            do { failure = try upstream.socket.pendingError() } catch { failure = error }
        }
        if let failure {
            connectFailed(session, exchange, failure)
        } else {
            connected(upstream, session, exchange)
        }
        advance(session)
    }

    /// Connecting failed: the next endpoint, if any is left to try, else 502.
    func connectFailed(_ session: HTTPSession, _ exchange: Exchange, _ error: Errno) {
        let name = exchange.entry.backend.servicePort
        loop.logLimited(.warning, event: .connectFailed, subject: "\(name)|\(exchange.target.endpoint)",
                        "Failed to connect to endpoint \(exchange.target.endpoint) for \(name): \(error)",
                        metadata: ["service": "\(name)", "endpoint": "\(exchange.target.endpoint)"])
        if let upstream = session.upstream { discard(upstream) }
        session.upstream = nil
        let candidates = exchange.entry.backend.targets.count
        guard exchange.attempts < min(Self.maximumAttempts, candidates) else {
            fail(session, exchange, .badGateway)
            return
        }
        exchange.attempts += 1
        exchange.endpointIndex = (exchange.endpointIndex + 1) % candidates
        resend(session, exchange)
        attach(session, exchange, pooled: true)
    }

    /// The endpoint connection failed or closed before a complete response head
    /// (`error` nil: it closed).
    func upstreamFailed(_ session: HTTPSession, _ error: Errno?) {
        guard let exchange = session.exchange, let upstream = session.upstream else { return abort(session) }
        discard(upstream)
        session.upstream = nil
        if exchange.responseStarted {
            abort(session)
            return
        }
        // A pooled connection the endpoint closed while it waited: nothing was processed,
        // so a request without a body can go again on a fresh connection.
        if upstream.reused, !exchange.receivedAny, !exchange.retriedStale, exchange.request.framing == .none,
           Self.idempotentMethods.contains(exchange.request.method) {
            exchange.retriedStale = true
            resend(session, exchange)
            attach(session, exchange, pooled: false)
            return
        }
        let name = exchange.entry.backend.servicePort
        loop.logLimited(.warning, event: .upstreamProtocol, subject: "\(name)",
                        "Endpoint \(exchange.target.endpoint) of \(name) \(error.map { "failed: \($0)" } ?? "closed the connection") before a complete response: 502",
                        metadata: ["service": "\(name)", "endpoint": "\(exchange.target.endpoint)"])
        fail(session, exchange, .badGateway)
    }

    /// Methods a request may be sent twice with (RFC 9110 §9.2.2), as nginx retries only them.
    static let idempotentMethods: Set<String> = ["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]

    /// Queues the request head again for a new connection; no body byte has moved yet.
    private func resend(_ session: HTTPSession, _ exchange: Exchange) {
        session.toUpstream.removeAll()
        session.fromUpstream.removeAll()
        _ = queueForwardedHead(exchange, on: session)
    }

    /// Puts a connection that finished an exchange cleanly into the pool, or closes it.
    func release(_ upstream: Upstream) {
        upstream.session = nil
        upstream.reused = true
        upstream.readable = false
        guard idle.put(upstream) else { return discard(upstream) }
        do {
            try watch(upstream, wanted: .readable)  // to notice the endpoint closing it
        } catch {
            idle.remove(upstream)
            return discard(upstream)
        }
        upstream.idleDeadline = MonotonicClock.now() + UpstreamPool.idleTimeout
        loop.timers.schedule(.init(deadline: upstream.idleDeadline, slot: upstream.slot, tag: upstream.tag, kind: .httpPooled))
    }
}
