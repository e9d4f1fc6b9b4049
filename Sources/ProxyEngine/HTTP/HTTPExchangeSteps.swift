// How a session's bytes move: `advance` takes every step that can be taken now (read what is
// wanted, parse, route, forward), then writes what they queued (at once, or at the end of
// the turn: HTTPDeferredFlushes.swift), until each side would block.
// Backpressure is by construction: a side is read only while what was read from it
// before has been written on (a response: all but less than `responseReadAhead`), so a
// session holds at most a few reads' worth of body per direction, however slow its peers.
import HTTP1
import LinuxIO
import Logging
import ServiceConfig

enum IOStep {
    case progressed
    /// Bytes were read, fewer than asked: the socket had no more for now. With level-
    /// triggered epoll, waiting for the next event costs nothing then, and saves the read
    /// that would only find EAGAIN.
    case drained
    case blocked
    case ended
    case failed(Errno)
}

extension IOStep {
    /// What a read of at most `asked` bytes came to: `read` gives the count, nil when the
    /// socket had nothing.
    init(asked: Int, _ read: () throws(Errno) -> Int?) {
        do {
            switch try read() {
            case nil: self = .blocked
            case 0: self = .ended
            case let count?: self = count < asked ? .drained : .progressed
            }
        } catch {
            self = .failed(error)
        }
    }
}

extension FileDescriptor {
    /// `receive(into:count:)` as a ByteQueue's read wants it: the count, or nil when
    /// nothing waits.
    func receivedCount(into room: UnsafeMutableRawPointer, count: Int) throws(Errno) -> Int? {
        guard case .done(let read) = try receive(into: room, count: count) else { return nil }
        return read
    }
}

extension HTTPProxyHandler {
    /// Takes steps until none can move, then writes what they queued, and again, until the
    /// session waits on its sockets. Writing only once the steps stall makes a head and the
    /// body bytes read with it one send, not two: each send is a TCP segment and a wakeup of
    /// the peer. (The steps stall on their own once a queue holds bytes: a side is read
    /// only when what was read from it before has been written.)
    func advance(_ session: HTTPSession) {
        var moved = true
        while moved, session.phase != .closed {
            moved = step(session)
            if !moved, session.phase != .closed { moved = flushQueues(session) }
        }
        if session.phase == .awaitingHead, session.fromClient.isEmpty, session.toClient.isEmpty {
            // Between requests: an idle keep-alive connection holds no buffer, whatever size
            // its last request and response were.
            session.fromClient.releaseIfEmpty()
            session.toClient.releaseIfEmpty()
        }
        updateInterest(session)
    }

    /// One step of the session's phase; whether it moved anything.
    private func step(_ session: HTTPSession) -> Bool {
        switch session.phase {
        case .awaitingHead:
            return stepHead(session)
        case .exchanging:
            let body = stepRequestBody(session)
            return stepResponse(session) || body
        case .tunnel:
            return stepTunnel(session)
        case .handshaking:
            return stepHandshake(session)
        case .closing:
            guard session.toClient.isEmpty else { return false }
            if session.clientSendsNoMore, session.tls == nil, session.fromClient.isEmpty, !session.readable {
                // The client asked to close after a request it sent whole, and nothing more
                // has come: closing at once sends a FIN after the answer, as lingering would,
                // without the turn that waits for the client's own FIN (nginx's
                // `lingering_close on` decides the same way). Over TLS the client's
                // close_notify is still to come, and lingering reads it. The shutdown
                // first sends the answer the socket holds for the FIN (`sendsItsLast`)
                // even if the client did send more, whose unread bytes make close reset.
                try? session.client.shutdown(.write)
                close(session)
                return false
            }
            guard shutDownClient(session) else {
                session.writable = false
                return false
            }
            session.phase = .lingering
            setDeadline(session, after: Self.lingerTimeout)
            return true
        case .lingering:
            return stepLinger(session)
        case .closed:
            return false
        }
    }

    /// Writes what waits for the client and the endpoint, as far as their sockets take it;
    /// whether anything was written (or failed). With the loop's ring, the writes wait for
    /// the end of the turn instead, and nothing moves now.
    private func flushQueues(_ session: HTTPSession) -> Bool {
        if loop.sends != nil, session.tls == nil {
            deferFlush(session)
            return false
        }
        return flushNow(session)
    }

    /// Writes what waits for the client and the endpoint at once.
    func flushNow(_ session: HTTPSession) -> Bool {
        var moved = false
        if !session.toClient.isEmpty, session.writable {
            switch flushClient(session) {
            case .progressed, .drained, .ended: moved = true
            case .blocked: clientBlocked(session)
            case .failed: abort(session); return false
            }
        }
        if let upstream = session.upstream, upstream.connected, upstream.writable, !session.toUpstream.isEmpty {
            switch flush(&session.toUpstream, to: upstream.socket) {
            case .progressed, .drained, .ended: moved = true
            case .blocked: upstream.writable = false
            case .failed(let error): upstreamFailed(session, error); moved = true
            }
        }
        return moved
    }

    /// The client's socket takes no more for now: the session waits for it to drain, holding
    /// only what it has to write (a small response read in place leaves its read's room).
    func clientBlocked(_ session: HTTPSession) {
        session.writable = false
        session.toClient.releaseSlack()
    }

    // MARK: Reading and writing

    /// Writes what `queue` holds until it is empty or the socket would block. `endFollows`:
    /// the socket's sending side is shut or closed as soon as the queue is written
    /// (`Socket.send(from:count:endFollows:)`).
    func flush(_ queue: inout ByteQueue, to socket: borrowing FileDescriptor, endFollows: Bool = false) -> IOStep {
        while !queue.isEmpty {
            let written = queue.withBytes { (bytes: UnsafeRawBufferPointer) -> Result<IOResult<Int>, Errno> in
                guard let start = bytes.baseAddress else { return .success(.done(0)) }
                do throws(Errno) {
                    return .success(try socket.send(from: start, count: bytes.count, endFollows: endFollows))
                } catch {
                    return .failure(error)
                }
            }
            switch written {
            case .failure(let error): return .failed(error)
            case .success(.wouldBlock): return .blocked
            case .success(.done(let count)): queue.consume(count)
            }
        }
        return .progressed
    }

    /// One read from `socket` onto the end of `queue`, straight into its storage.
    func read(from socket: borrowing FileDescriptor, into queue: inout ByteQueue) -> IOStep {
        let size = pool.bufferSize
        return IOStep(asked: size) { () throws(Errno) -> Int? in
            try queue.append(upTo: size) { (room, count) throws(Errno) -> Int? in try socket.receivedCount(into: room, count: count) }
        }
    }

    // MARK: Request heads

    /// Starts waiting for the next request head.
    func awaitHead(_ session: HTTPSession) {
        if draining, session.fromClient.isEmpty {
            // Stopping: the response said `Connection: close`; no next request is waited for.
            session.phase = .closing
            setDeadline(session, after: Self.lingerTimeout)
            return
        }
        session.phase = .awaitingHead
        session.headStarted = !session.fromClient.isEmpty
        session.fromUpstream.releaseIfEmpty()
        session.toUpstream.releaseIfEmpty()
        setDeadline(session, after: router?.headerTimeout ?? IngressSettings().clientHeaderTimeout.nanoseconds)
    }

    private func stepHead(_ session: HTTPSession) -> Bool {
        if !session.fromClient.isEmpty {
            session.headStarted = true
            let available = session.fromClient.count
            let result = session.fromClient.withBytes { session.parser.feed($0) }
            switch result {
            case .needMore:
                session.fromClient.consume(available)
            case .complete(let head, let consumed):
                session.fromClient.consume(consumed)
                start(head, on: session)
            case .invalid(let error, let status):
                session.fromClient.consume(available)
                loop.logger.debug("Refusing a request from \(session.clientAddress): \(error)")
                answer(session, status, to: nil, statistics: router?.unmatched, closing: true)
            }
            return true
        }
        guard session.toClient.isEmpty, session.readable else { return false }
        switch readClient(session, into: &session.fromClient) {
        case .progressed:
            return true
        case .drained:
            session.readable = false
            return true
        case .blocked:
            session.readable = false
        case .ended:
            close(session)
        case .failed:
            close(session, reset: true)
        }
        return false
    }

    /// Routes a complete request head and starts forwarding it, or answers it ourselves.
    private func start(_ request: HTTPRequestHead, on session: HTTPSession) {
        session.headStarted = false
        session.requestsServed += 1
        guard let router else {
            answer(session, .serviceUnavailable, to: request, statistics: nil, closing: true)
            return
        }
        if session.tls == nil, let tls = router.plan.tls, tls.redirects(host: request.routingHost) {
            redirectToHTTPS(session, request, port: tls.redirectPort)
            return
        }
        guard let entry = router.decide(host: request.routingHost, path: request.originFormPath) else {
            answer(session, .notFound, to: request, statistics: router.unmatched)
            return
        }
        guard let endpointIndex = entry.backend.pick() else {
            loop.logLimited(.notice, event: .noEndpoints, subject: "\(entry.backend.servicePort)",
                            "No ready endpoint for \(entry.backend.servicePort): answering Ingress requests with 503",
                            metadata: ["service": "\(entry.backend.servicePort)"])
            answer(session, .serviceUnavailable, to: request, statistics: entry.statistics)
            return
        }
        let context = HTTPForwardingContext(clientAddress: session.clientAddressValue, proto: session.tls == nil ? .http : .https,
                                            listenerPort: session.listenerPort,
                                            generatedRequestID: request.forwardsItsRequestID ? "" : nextRequestID(),
                                            tunnel: request.upgradesToWebSocket)
        let exchange = Exchange(request: request, entry: entry, startedAt: MonotonicClock.now(), upstreamTimeout: router.upstreamTimeout,
                                context: context, endpointIndex: endpointIndex)
        session.exchange = exchange
        session.phase = .exchanging
        exchange.requestBytes += UInt64(queueForwardedHead(exchange, on: session))
        setDeadline(session, after: router.upstreamTimeout)
        attach(session, exchange, pooled: true)
    }

    /// Writes the exchange's forwarded request head straight into the endpoint's queue; its
    /// length.
    func queueForwardedHead(_ exchange: Exchange, on session: HTTPSession) -> Int {
        let request = exchange.request
        return session.toUpstream.appendWritten(room: request.forwardedHeadRoom(exchange.context)) {
            request.writeForwardedHead(exchange.context, into: $0, capacity: $1)
        }
    }

    /// Writes a response's forwarded head into storage of the pool (a buffer, and more for
    /// as long as it does not fit) and puts it in front of the body read in place; its
    /// length, or nil when the room in front is too small for it.
    private func prependForwardedHead(_ head: HTTPResponseHead, clientVersion: HTTPVersion, closing: Bool, on session: HTTPSession) -> Int? {
        var room = pool.bufferSize
        while true {
            let scratch = pool.takeStorage(atLeast: room)
            defer { pool.giveStorage(scratch.storage, capacity: scratch.capacity) }
            if let count = head.writeForwardedHead(clientVersion: clientVersion, closing: closing, into: scratch.storage, capacity: scratch.capacity) {
                return session.toClient.prepend(UnsafeRawBufferPointer(start: scratch.storage, count: count)) ? count : nil
            }
            room = 2 * scratch.capacity
        }
    }

    /// Writes a response's forwarded head straight onto the end of the client's queue; its
    /// length.
    private func queueForwardedHead(_ head: HTTPResponseHead, clientVersion: HTTPVersion, closing: Bool, on session: HTTPSession) -> Int {
        session.toClient.appendWritten(room: head.forwardedHeadRoom) {
            head.writeForwardedHead(clientVersion: clientVersion, closing: closing, into: $0, capacity: $1)
        }
    }

    // MARK: Bodies

    /// Moves request body bytes from the client towards the endpoint, once connected.
    private func stepRequestBody(_ session: HTTPSession) -> Bool {
        // Body bytes move only once connected: until then the head alone is queued, so a
        // failed connect can send it again elsewhere.
        guard let exchange = session.exchange, !exchange.requestBody.isDone, session.upstream?.connected == true else { return false }
        if session.fromClient.isEmpty {
            guard session.toUpstream.isEmpty, session.readable else { return false }
            switch readClient(session, into: &session.fromClient) {
            case .progressed: break
            case .drained: session.readable = false
            case .blocked: session.readable = false; return false
            case .ended, .failed: abort(session); return false  // the client left mid-request
            }
        }
        switch session.fromClient.moveBody(into: &session.toUpstream, &exchange.requestBody) {
        case .success(let taken):
            exchange.requestBytes += UInt64(taken)
            setDeadline(session, after: exchange.upstreamTimeout)
        case .failure(let error):
            loop.logger.debug("Refusing a request body from \(session.clientAddress): \(error)")
            if let upstream = session.upstream { discard(upstream) }
            session.upstream = nil
            if exchange.responseStarted {
                abort(session)
            } else {
                answer(session, error.status, to: nil, statistics: exchange.entry.statistics, closing: true)
            }
        }
        return true
    }

    /// Reads the endpoint's response: interim heads, the final head, then the body.
    private func stepResponse(_ session: HTTPSession) -> Bool {
        guard let exchange = session.exchange, let upstream = session.upstream, upstream.connected else { return false }
        if session.fromUpstream.isEmpty {
            // What was read before is written on before much more is read: the backpressure.
            guard session.toClient.count < responseReadAhead, upstream.readable else { return false }
            let inPlace = readsInPlace(session, exchange)
            let before = session.toClient.count
            let step = inPlace ? readInPlace(from: upstream.socket, into: &session.toClient)
                : read(from: upstream.socket, into: &session.fromUpstream)
            switch step {
            case .progressed, .drained:
                if case .drained = step { upstream.readable = false }
                exchange.receivedAny = true
                setDeadline(session, after: exchange.upstreamTimeout)
                if inPlace { takeInPlace(session, exchange, from: before) }
            case .blocked:
                upstream.readable = false
                return false
            case .ended:
                upstreamEnded(session, exchange)
            case .failed(let error):
                upstreamFailed(session, error)
            }
            return true
        }
        if exchange.response == nil {
            receiveHead(session, exchange)
            return true
        }
        switch session.fromUpstream.moveBody(into: &session.toClient, &exchange.responseBody) {
        case .success(let taken):
            exchange.responseBytes += UInt64(taken)
            if exchange.responseBody.isDone { finish(session, exchange) }
        case .failure(let error):
            rejectBody(session, exchange, error)
        }
        return true
    }

    // MARK: Responses read where they are written from

    /// Whether the endpoint's next bytes are read straight into the client's queue: a body
    /// under way, or a head with nothing before it there. The head is then replaced in
    /// place (`prepend`) and the body is never copied in user space; what follows the
    /// response, if anything, goes back to `fromUpstream` and the steps above.
    private func readsInPlace(_ session: HTTPSession, _ exchange: Exchange) -> Bool {
        exchange.response == nil ? session.toClient.isEmpty : !exchange.responseBody.isDone
    }

    /// One read of a response into the client's queue: a head (with the body that comes
    /// with it) into the empty queue with room in front for the head that replaces it, and
    /// for a body one read past a buffer after it; a body onto the end.
    private func readInPlace(from socket: borrowing FileDescriptor, into queue: inout ByteQueue) -> IOStep {
        guard queue.isEmpty else { return read(from: socket, into: &queue) }
        let size = 2 * pool.bufferSize
        let reserving = size + pool.bufferSize
        return IOStep(asked: size) { () throws(Errno) -> Int? in
            try queue.fill(leavingHeadroom: Self.responseHeadroom, upTo: size, reserving: reserving) {
                (room, count) throws(Errno) -> Int? in try socket.receivedCount(into: room, count: count)
            }
        }
    }

    /// Room left in front of a response read in place, besides the endpoint's head that the
    /// forwarded one replaces there (seldom longer: hop-by-hop fields go, `Connection: close`
    /// may come). A read that held the head alone leaves no body to keep in place, and the
    /// head is appended as usual.
    static let responseHeadroom = 128

    /// Takes the bytes just read into the client's queue (those from `offset` on) as the
    /// response's head or body, where they lie.
    private func takeInPlace(_ session: HTTPSession, _ exchange: Exchange, from offset: Int) {
        guard exchange.response == nil else {
            takeBodyInPlace(session, exchange, from: offset)
            return
        }
        switch parseResponseHead(from: &session.toClient, exchange) {
        case .success(nil):
            break
        case .failure(let error):
            rejectHead(session, exchange, error)
        case .success(let head?):
            guard head.status >= 200 else {
                // An interim head (101 too): the bytes after it go the steps' way.
                session.toClient.moveTail(after: 0, onto: &session.fromUpstream)
                forward(head, of: exchange, on: session)
                return
            }
            forward(head, of: exchange, on: session, bodyInPlace: true)
        }
    }

    /// Counts the body bytes in the client's queue from `offset` on against the response's
    /// framing; bytes past its end go back to `fromUpstream`.
    private func takeBodyInPlace(_ session: HTTPSession, _ exchange: Exchange, from offset: Int) {
        let outcome = session.toClient.withBytes { exchange.responseBody.take(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
        switch outcome {
        case .success(let taken):
            exchange.responseBytes += UInt64(taken)
            session.toClient.moveTail(after: offset + taken, onto: &session.fromUpstream)
            if exchange.responseBody.isDone { finish(session, exchange) }
        case .failure(let error):
            rejectBody(session, exchange, error)
        }
    }

    // MARK: Responses read, then moved

    private func receiveHead(_ session: HTTPSession, _ exchange: Exchange) {
        switch parseResponseHead(from: &session.fromUpstream, exchange) {
        case .success(nil): break
        case .failure(let error): rejectHead(session, exchange, error)
        case .success(let head?): forward(head, of: exchange, on: session)
        }
    }

    /// Feeds the response's parser what `queue` holds, and drops from it what the parser
    /// took: the head once complete (the bytes after it stay), nil while it needs more.
    private func parseResponseHead(from queue: inout ByteQueue, _ exchange: Exchange) -> Result<HTTPResponseHead?, HTTPParseError> {
        let available = queue.count
        switch queue.withBytes({ exchange.responseParser.feed($0) }) {
        case .needMore:
            queue.consume(available)
            return .success(nil)
        case .invalid(let error):
            queue.consume(available)
            return .failure(error)
        case .complete(let head, let consumed):
            queue.consume(consumed)
            return .success(head)
        }
    }

    private func rejectHead(_ session: HTTPSession, _ exchange: Exchange, _ error: HTTPParseError) {
        loop.logLimited(.warning, event: .upstreamProtocol, subject: "\(exchange.entry.backend.servicePort)",
                        "Endpoint \(exchange.target.endpoint) of \(exchange.entry.backend.servicePort) sent a malformed response head: \(error)")
        fail(session, exchange, .badGateway)
    }

    private func rejectBody(_ session: HTTPSession, _ exchange: Exchange, _ error: HTTPParseError) {
        loop.logLimited(.warning, event: .upstreamProtocol, subject: "\(exchange.entry.backend.servicePort)",
                        "Endpoint \(exchange.target.endpoint) of \(exchange.entry.backend.servicePort) sent a malformed response body: \(error)")
        abort(session)
    }

    /// Passes a response head on: an interim one (1xx) and wait for the next, a 101 that
    /// opens a tunnel, or the final one and its body. `bodyInPlace`: the client's queue
    /// holds what followed a final head (readInPlace), and the head goes in front of it.
    private func forward(_ head: HTTPResponseHead, of exchange: Exchange, on session: HTTPSession, bodyInPlace: Bool = false) {
        if head.status == 101 {
            guard exchange.upgrade else {
                fail(session, exchange, .badGateway)
                return
            }
            exchange.response = head
            exchange.responseBytes += UInt64(queueForwardedHead(head, clientVersion: exchange.request.version, closing: false, on: session))
            record(exchange, status: head.status, session: session)
            session.phase = .tunnel
            session.deadline = 0  // a tunnel may stay quiet as long as its peers like
            session.toUpstream.append(drained: &session.fromClient)
            session.toClient.append(drained: &session.fromUpstream)
            return
        }
        if head.status < 200 {
            exchange.responseParser = HTTPResponseHeadParser()
            // HTTP/1.0 clients know no interim responses (RFC 9110 §15.2).
            if exchange.request.version == .http11 { _ = queueForwardedHead(head, clientVersion: .http11, closing: false, on: session) }
            return
        }
        let framing: HTTPResponseFraming
        switch head.framing(requestMethod: exchange.request.method) {
        case .success(let found):
            framing = found
        case .failure(let error):
            loop.logLimited(.warning, event: .upstreamProtocol, subject: "\(exchange.entry.backend.servicePort)",
                            "Endpoint \(exchange.target.endpoint) of \(exchange.entry.backend.servicePort) sent a response with invalid framing: \(error)")
            refuseHead(session, exchange, bodyInPlace: bodyInPlace)
            return
        }
        // The request went to the endpoint as HTTP/1.0, which forbids a chunked answer
        // (RFC 9112 §7.1); an HTTP/1.0 client could not read one.
        if exchange.request.version == .http10, framing == .chunked {
            loop.logLimited(.warning, event: .upstreamProtocol, subject: "\(exchange.entry.backend.servicePort)",
                            "Endpoint \(exchange.target.endpoint) of \(exchange.entry.backend.servicePort) answered an HTTP/1.0 request chunked: 502")
            refuseHead(session, exchange, bodyInPlace: bodyInPlace)
            return
        }
        // A request body still arriving, or a body the endpoint ends by closing, leaves the
        // client connection in no state to carry another request. (The endpoint connection
        // is reused only once every byte of the request was written to it: `finish`.)
        exchange.closing = !exchange.request.keepsAlive || framing == .untilClose || !exchange.requestBody.isDone || draining
        exchange.response = head
        exchange.responseBody = BodyProgress(framing)
        let (version, closing) = (exchange.request.version, exchange.closing)
        if bodyInPlace {
            if let count = prependForwardedHead(head, clientVersion: version, closing: closing, on: session) {
                exchange.responseBytes += UInt64(count)
                takeBodyInPlace(session, exchange, from: count)
                return
            }
            // A head longer than the room in front: the body read with it is moved after all.
            session.toClient.moveTail(after: 0, onto: &session.fromUpstream)
        }
        let room = head.forwardedHeadRoom
        if case .contentLength(let length) = framing {
            // Room for the body as far as it is read before it is written: no storage grown
            // (and copied) under it.
            session.toClient.reserve(room + Int(min(length, UInt64(responseReadAhead + pool.bufferSize))))
        }
        exchange.responseBytes += UInt64(queueForwardedHead(head, clientVersion: version, closing: closing, on: session))
        if exchange.responseBody.isDone { finish(session, exchange) }
    }

    /// A final head whose framing cannot be trusted: a 502 in place of the response. Nothing
    /// the endpoint sent after the head goes out: read in place, it waits in the client's
    /// queue (all of which is this response's), ahead of where the 502 would go.
    private func refuseHead(_ session: HTTPSession, _ exchange: Exchange, bodyInPlace: Bool) {
        if bodyInPlace { session.toClient.consume(session.toClient.count) }
        fail(session, exchange, .badGateway)
    }

    /// The endpoint closed its connection.
    private func upstreamEnded(_ session: HTTPSession, _ exchange: Exchange) {
        if case .untilClose = exchange.responseBody {
            exchange.responseBody = .done
            if let upstream = session.upstream { discard(upstream) }
            session.upstream = nil
            finish(session, exchange)
        } else if !exchange.responseStarted {
            upstreamFailed(session, nil)
        } else {
            abort(session)  // the response was cut short: the client must see it failed
        }
    }

    // MARK: Ends of exchanges

    /// The response is complete (queued for the client): counts and logs it, returns the
    /// endpoint connection to the pool when it can carry another request, and goes on to
    /// the next request or to closing.
    private func finish(_ session: HTTPSession, _ exchange: Exchange) {
        record(exchange, status: exchange.response?.status ?? 0, session: session)
        if let upstream = session.upstream {
            session.upstream = nil
            let reusable = requestSent(session, exchange) && exchange.response?.keepsAlive == true && session.fromUpstream.isEmpty
                && !exchange.upgrade && isWanted(upstream)
            if reusable { release(upstream) } else { discard(upstream) }
        }
        session.fromUpstream.removeAll()
        session.toUpstream.removeAll()  // an unsent tail went with its connection
        session.exchange = nil
        if exchange.closing {
            session.clientSendsNoMore = !exchange.request.keepsAlive && exchange.requestBody.isDone
            session.phase = .closing
            setDeadline(session, after: exchange.upstreamTimeout)
        } else {
            awaitHead(session)
        }
    }

    /// Whether the router in use still names `upstream`'s endpoint, so that it may be kept
    /// for the next request.
    private func isWanted(_ upstream: Upstream) -> Bool {
        guard let router else { return false }
        if upstream.wantedInRouterGeneration == routerGeneration { return true }
        guard router.endpoints.contains(upstream.target.endpoint) else { return false }
        upstream.wantedInRouterGeneration = routerGeneration
        return true
    }

    /// Answers a request ourselves (404, 503, a refusal of the parser, a failed endpoint).
    /// The connection stays open only when the request had no body and wants it open.
    /// `tried` is the endpoint that failed, for the access log.
    func answer(_ session: HTTPSession, _ status: HTTPStatus, to request: HTTPRequestHead?, statistics: IngressRouteStatistics?,
                closing: Bool = false, tried: Endpoint? = nil, fields: [HTTPField] = []) {
        let closing = closing || request.map { !$0.keepsAlive || $0.framing != .none } ?? true
        let response = HTTPResponse.error(status, fields: fields + (closing ? [HTTPField(name: "Connection", value: "close")] : []))
        let bytes = response.serialized(includeBody: request?.method != "HEAD")
        session.toClient.append(bytes)
        statistics?.perWorker[index].record(status: status.code, requestBytes: 0, responseBytes: UInt64(bytes.count), nanoseconds: 0)
        if accessLog { logAnswer(session, status: status.code, request: request, bytes: bytes.count, tried: tried) }
        session.exchange = nil
        if let upstream = session.upstream { discard(upstream) }
        session.upstream = nil
        // Whatever was queued for the endpoint belonged to this request: it must not go out
        // ahead of the next one.
        session.toUpstream.removeAll()
        session.fromUpstream.removeAll()
        if closing || draining {
            session.clientSendsNoMore = request.map { !$0.keepsAlive && $0.framing == .none } ?? false
            session.phase = .closing
            setDeadline(session, after: Self.lingerTimeout)
        } else {
            awaitHead(session)
        }
    }

    /// Answers a plain-HTTP request for a host whose Ingress asks for HTTPS
    /// (`svcproxy.io/ssl-redirect`) with 308 to the same URL over HTTPS: 308 rather than
    /// 301, so that a POST stays a POST.
    private func redirectToHTTPS(_ session: HTTPSession, _ request: HTTPRequestHead, port: Int) {
        let host = IngressPlan.hostName(request.routingHost)
        let location = "https://\(host)\(port == 443 ? "" : ":\(port)")\(request.originFormTarget)"
        answer(session, .permanentRedirect, to: request, statistics: router?.unmatched,
               fields: [HTTPField(name: "Location", value: location)])
    }

    /// Gives up on the exchange with `status`, if the client has seen nothing of the
    /// response yet; otherwise resets the client.
    func fail(_ session: HTTPSession, _ exchange: Exchange, _ status: HTTPStatus) {
        guard !exchange.responseStarted else {
            abort(session)
            return
        }
        exchange.entry.statistics.perWorker[index].record(status: status.code, requestBytes: exchange.requestBytes, responseBytes: 0,
                                                          nanoseconds: MonotonicClock.now() &- exchange.startedAt)
        answer(session, status, to: exchange.request, statistics: nil, closing: !exchange.requestBody.isDone,
               tried: exchange.target.endpoint)
    }

    /// Every byte of the request, body included, has been written to the endpoint (not
    /// merely read from the client): only then may the connection carry another request.
    func requestSent(_ session: HTTPSession, _ exchange: Exchange) -> Bool {
        exchange.requestBody.isDone && session.toUpstream.isEmpty
    }

    private func record(_ exchange: Exchange, status: Int, session: HTTPSession) {
        let elapsed = MonotonicClock.now() &- exchange.startedAt
        exchange.entry.statistics.perWorker[index].record(status: status, requestBytes: exchange.requestBytes,
                                                          responseBytes: exchange.responseBytes, nanoseconds: elapsed)
        if accessLog { logExchange(session, exchange, status: status, nanoseconds: elapsed) }
    }

    // MARK: Tunnels and closing

    /// After 101: each direction moves as it comes; an end of stream is passed on as a
    /// half-close, and the session closes when both directions have ended.
    private func stepTunnel(_ session: HTTPSession) -> Bool {
        guard let upstream = session.upstream else {
            close(session)
            return false
        }
        var moved = false
        if session.toUpstream.isEmpty, !session.clientEnded, session.readable {
            switch readClient(session, into: &session.toUpstream) {
            case .progressed: moved = true
            case .drained: moved = true; session.readable = false
            case .blocked: session.readable = false
            case .ended: session.clientEnded = true; moved = true
            case .failed: abort(session); return false
            }
        }
        if session.toClient.isEmpty, !session.upstreamEnded, upstream.readable {
            switch read(from: upstream.socket, into: &session.toClient) {
            case .progressed: moved = true
            case .drained: moved = true; upstream.readable = false
            case .blocked: upstream.readable = false
            case .ended: session.upstreamEnded = true; moved = true
            case .failed: abort(session); return false
            }
        }
        if session.clientEnded, session.toUpstream.isEmpty, !session.upstreamShut {
            session.upstreamShut = true
            try? upstream.socket.shutdown(.write)
        }
        if session.upstreamEnded, session.toClient.isEmpty, !session.clientShut {
            session.clientShut = true
            _ = shutDownClient(session)  // best effort in a tunnel: the peer already ended its side
        }
        if session.clientShut, session.upstreamShut { close(session) }
        return moved
    }

    /// Reads and drops what a closing client still sends, until it closes or the linger
    /// time runs out.
    private func stepLinger(_ session: HTTPSession) -> Bool {
        guard session.readable else { return false }
        session.fromClient.removeAll()
        switch readClient(session, into: &session.fromClient) {
        case .progressed: return true
        case .drained: session.readable = false; return true
        case .blocked: session.readable = false
        case .ended, .failed: close(session)
        }
        return false
    }

    /// The session's deadline passed.
    func timedOut(_ session: HTTPSession) {
        // A client that has not taken what we sent within the timeout is stuck or gone; a
        // quiet close would make a cut-off response look complete.
        if !session.toClient.isEmpty, session.phase != .exchanging {
            abort(session)
            return
        }
        switch session.phase {
        case .handshaking:
            tlsCounters.timedOut.bump()
            loop.logLimited(.info, event: .tlsHandshakeFailed, subject: "timeout",
                            "TLS handshake with \(session.clientAddress) not finished in time: closing the connection")
            close(session)
        case .awaitingHead:
            // A keep-alive connection that never started another request is closed
            // quietly: a 408 could cross the client's next request on the wire.
            if session.headStarted || session.requestsServed == 0 {
                answer(session, .requestTimeout, to: nil, statistics: router?.unmatched, closing: true)
            } else {
                close(session)
            }
        case .exchanging:
            guard let exchange = session.exchange else { return abort(session) }
            if let upstream = session.upstream, !upstream.connected {
                connectFailed(session, exchange, .timedOut)  // the next endpoint, as for a refused connect
                return
            }
            loop.logLimited(.warning, event: .upstreamTimeout, subject: "\(exchange.entry.backend.servicePort)",
                            "Endpoint \(exchange.target.endpoint) of \(exchange.entry.backend.servicePort) did not answer in time: 504",
                            metadata: ["service": "\(exchange.entry.backend.servicePort)", "endpoint": "\(exchange.target.endpoint)"])
            if let upstream = session.upstream { discard(upstream) }
            session.upstream = nil
            if exchange.responseStarted { abort(session) } else { fail(session, exchange, .gatewayTimeout) }
        case .closing, .lingering:
            close(session)
        case .tunnel, .closed:
            break
        }
    }
}

extension ByteQueue {
    /// Moves the front bytes that belong to a body (as far as `progress` says) onto the end
    /// of `destination`: how many, or the body's framing error (nothing moved).
    mutating func moveBody(into destination: inout ByteQueue, _ progress: inout BodyProgress) -> Result<Int, HTTPParseError> {
        let outcome = withBytes { bytes in
            progress.take(bytes).map { taken in
                destination.append(UnsafeRawBufferPointer(rebasing: bytes[..<taken]))
                return taken
            }
        }
        if case .success(let taken) = outcome { consume(taken) }
        return outcome
    }

    /// Moves everything `other` holds onto the end of this queue.
    mutating func append(drained other: inout ByteQueue) {
        guard !other.isEmpty else { return }
        let count = other.count
        other.withBytes { append($0) }
        other.consume(count)
    }
}
