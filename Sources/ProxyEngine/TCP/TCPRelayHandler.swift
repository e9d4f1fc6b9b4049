// The TCP relay on a worker's loop: accepts connections from the worker's listeners,
// asks the route where each may go (RoutePolicy), connects with kube-proxy's ladder
// (four tries; 250 ms, 500 ms, 1 s, 2 s unless `--connect-timeout`), relays both
// directions and their half-closes, and enforces the idle and half-close timeouts.
// What happens to a connection is decided by its RelayMachine; this file performs the
// machine's actions (system calls, epoll, timers, counters, logs) and reports back.
import LinuxIO
import Logging
import ServiceConfig

final class TCPRelayHandler {
    /// kube-proxy's connect ladder: four tries, each with a longer timeout.
    static let connectTimeouts: [UInt64] = [250, 500, 1_000, 2_000].map { $0 * 1_000_000 }

    let loop: EventLoop
    /// The loop's buffers, held here too: reached through `loop` on every relay step, the
    /// pool cost a retain and a release each time (callgrind).
    private let pool: BufferPool
    /// The loop's pipes, held here for the same reason; nil when splicing is off.
    private let pipes: PipePool?
    /// The loop's ring for the sends of messages, made together at the end of each turn,
    /// held here as the pool is; nil where io_uring is not to be had or batching is off:
    /// each is then sent at once.
    private var sends: SendRing?
    private(set) var connections = ConnectionTable()
    /// Log one entry per finished connection.
    let accessLog: Bool
    /// Set on endpoint sockets once their connection has lived a second (KeepAliveQueue);
    /// client sockets inherit it from their listener.
    let keepAlive: KeepAlive?
    /// Connections whose endpoint socket is to get keepalive when they come due.
    private var keepAliveQueue = KeepAliveQueue()
    /// Connections whose epoll interest may have changed since the loop last polled, by
    /// slot and client tag, applied just before the next poll (`applyInterestChanges`). A
    /// change that a close makes moot then costs nothing: a connection usually ends with
    /// one side's end and then the other's, in the same batch of events or the next, and
    /// close(2) takes a socket out of the epoll set by itself.
    private var interestChanges: [(slot: UInt32, tag: UInt32)] = []
    private var interestChangesApplied: [(slot: UInt32, tag: UInt32)] = []
    /// Connections accepted in the listener event being handled, to be read ahead and
    /// connected once it has accepted them all (`startAdmitted`).
    private var admitted: [Connection] = []

    init(loop: EventLoop, accessLog: Bool, keepAlive: KeepAlive?) {
        self.loop = loop
        pool = loop.pool
        pipes = loop.pipes
        self.accessLog = accessLog
        self.keepAlive = keepAlive
    }

    var index: Int { loop.index }

    // MARK: Accepting

    /// Takes an accepted connection in, or refuses it with a reset; `startAdmitted` reads
    /// it ahead and connects it, after the listener event's other accepts.
    /// `listenerKind`: what the listener it arrived on serves, which with the client's
    /// address decides whether a Local traffic policy applies. Throws only when
    /// descriptors ran out, so the caller pauses accepting.
    func admit(_ accepted: consuming AcceptedConnection, route: ServicePortRoute, listenerKind: ListenAddress.Kind) throws(Errno) {
        let peer = accepted.peer
        let localOnly = route.rules.isLocalOnly(listenerKind, client: peer)
        let client = accepted.takeSocket()
        route.statistics.perWorker[index].accepted.bump()
        let choice: EndpointChoice
        let (address, egress) = route.client(peer, egress: loop.egress)
        switch route.decide(for: address, egress: egress, now: route.rules.affinityTimeout != nil ? MonotonicClock.now() : 0,
                            localOnly: localOnly) {
        case .success(let chosen):
            choice = chosen
        case .failure(let refusal):
            refuse(route: route, refusal, peer: peer)
            try? client.setResetOnClose()
            return
        }
        let target = route.endpoint(start: choice.start, attempt: 0, candidates: choice.candidates)
        // When the queue is full keepalive is turned on at once (KeepAliveQueue.capacity).
        let keepAliveNow = keepAlive != nil && keepAliveQueue.isFull
        let backend: FileDescriptor
        do {
            backend = try endpointSocket(for: target, keepAlive: keepAliveNow)
        } catch {
            loop.logLimited(.warning, event: .socketFailed, subject: "\(error.rawValue)",
                            "Failed to create a socket for endpoint \(target.endpoint) of \(route.name): \(error); refusing the connection")
            route.releaseLimits(choice.tokens)
            try? client.setResetOnClose()
            if error.isDescriptorExhaustion { throw error }
            return
        }
        let connection = Connection(slot: connections.reserveSlot(), client: client, clientAddress: peer, backend: backend,
                                    route: route, choice: choice, counters: target.counters[index],
                                    attempts: Self.connectTimeouts.count,
                                    acceptedAt: accessLog ? MonotonicClock.now() : 0)
        connection.clientTag = loop.nextTag()
        connection.keepAliveSet = keepAliveNow
        connections.insert(connection)
        admitted.append(connection)
    }

    /// Reads ahead and connects every connection `admit` took in. Done once the listener
    /// event's accepts are made rather than after each: a client's first bytes follow its
    /// handshake by microseconds, and the accepts of the others give them time to arrive,
    /// so that more of them are there to carry the endpoint handshake's last ACK
    /// (`holdHandshakeAckForData`); under `wrk -c50` a worker accepts tens per event. The
    /// first waits for the others' accepts (at most `Worker.acceptsPerEvent`, a few
    /// system calls each: well under a millisecond).
    func startAdmitted() {
        guard !admitted.isEmpty else { return }
        let keepAliveDue = keepAlive == nil ? 0 : MonotonicClock.now() + KeepAliveQueue.delay
        for connection in admitted where connections[connection.slot] === connection {
            if keepAliveDue != 0, !connection.keepAliveSet {
                keepAliveQueue.append(.init(due: keepAliveDue, slot: connection.slot, tag: connection.clientTag))
            }
            do {
                try connection.machine.upstream.readAhead(from: connection.client, pool: pool)
            } catch {
                perform(connection.machine.handle(.aborted(error)), on: connection)
                continue
            }
            connect(connection)
        }
        admitted.removeAllKeepingStorage()
    }

    /// A socket for `target`, with keepalive on when `keepAlive` says so.
    private func endpointSocket(for target: EndpointTarget, keepAlive: Bool) throws(Errno) -> FileDescriptor {
        let socket = try FileDescriptor.tcpSocket(for: target.address)
        if keepAlive, let settings = self.keepAlive { try socket.setKeepAlive(settings) }
        return socket
    }

    /// When the next connection's endpoint socket is due to get keepalive.
    var keepAliveDue: UInt64? { keepAliveQueue.earliestDue }

    /// Turns keepalive on for the endpoint sockets of the connections that have lived
    /// `KeepAliveQueue.delay` and are still open; the worker calls it with its timers.
    func setDueKeepAlives(now: UInt64) {
        guard let settings = keepAlive else { return }
        while let entry = keepAliveQueue.popDue(now: now) {
            guard let connection = connections[entry.slot], connection.clientTag == entry.tag,
                  !connection.keepAliveSet, !connection.machine.isClosed else { continue }
            connection.keepAliveSet = true
            // setsockopt(2) refuses these options only for a bad descriptor or value
            // (EBADF, EINVAL), which an open socket and a checked setting do not give.
            try? connection.backend.setKeepAlive(settings)
        }
    }

    /// Counts and logs (rate-limited, by service port) a connection that is not served.
    private func refuse(route: ServicePortRoute, _ refusal: Refusal, peer: SocketAddress?) {
        let counters = route.statistics.perWorker[index]
        let name = route.name
        // The client's text is made only for a line that is written.
        func client() -> String { peer.map { "\(IPAddress($0))" } ?? "unknown" }
        switch refusal {
        case .noEndpoints:
            counters.refusedNoEndpoints.bump()
            loop.logLimited(.notice, event: .noEndpoints, subject: "\(name)", "No ready endpoint for \(name): refusing connections",
                            metadata: ["service": "\(name)"])
        case .noLocalEndpoints:
            counters.refusedNoLocalEndpoints.bump()
            loop.logLimited(.notice, event: .noEndpoints, subject: "\(name)|local",
                            "No ready endpoint of \(name) on this node: refusing connections its Local traffic policy covers",
                            metadata: ["service": "\(name)"])
        case .nodeLimit(let limit):
            counters.refusedNodeLimit.bump()
            loop.logLimited(.warning, event: .connectionLimit, subject: "\(name)",
                            "Refusing a connection to \(name): \(limit) connections are open on this node, the limit (--max-connections)",
                            metadata: ["service": "\(name)"])
        case .serviceLimit(let limit):
            counters.refusedServiceLimit.bump()
            loop.logLimited(.warning, event: .connectionLimit, subject: "\(name)",
                            "Refusing a connection to \(name): \(limit) connections are open to it, its limit (svcproxy.io/max-connections)",
                            metadata: ["service": "\(name)"])
        case .policy(let policies):
            counters.deniedByPolicy.bump()
            // Keyed by the service port, not the client: a flood from many addresses gets
            // one line per interval, naming the first client held back.
            loop.logLimited(.notice, event: .policyDenied, subject: "\(name)",
                            "NetworkPolicy denies client \(client()) every endpoint of \(name) (\(policies)): refusing the connection",
                            metadata: ["service": "\(name)", "client": "\(client())", "policy": "\(policies)"])
        case .egressPolicy(let egress, let ingress):
            counters.deniedByEgressPolicy.bump()
            let admitted = ingress.isEmpty ? "" : " admitting it (\(ingress))"
            loop.logLimited(.notice, event: .egressPolicyDenied, subject: "\(name)",
                            "NetworkPolicy egress of client \(client()) (\(egress)) allows no endpoint of \(name)\(admitted): "
                                + "refusing the connection",
                            metadata: ["service": "\(name)", "client": "\(client())", "policy": "\(egress)", "ingress_policy": "\(ingress)"])
        }
    }

    // MARK: Events

    func clientEvent(slot: UInt32, tag: UInt32, _ events: EpollEvents) {
        guard let connection = connections[slot], connection.clientTag == tag else { return }
        guard connection.machine.isEstablished else { return }
        // Each side reads the socket that reported first, then writes to it: when a peer
        // answers and resets at once (an HTTP 413 during an upload), its answer is read
        // and relayed before the failing write closes the connection (and `relayFailed`
        // relays it when the other side reported first).
        relay(connection, readFirst: .client, events)
    }

    func backendEvent(slot: UInt32, tag: UInt32, _ events: EpollEvents) {
        guard let connection = connections[slot], connection.backendTag == tag else { return }
        guard connection.machine.isEstablished else {
            connectCompleted(connection, events)
            return
        }
        relay(connection, readFirst: .backend, events)
    }

    private func relay(_ connection: Connection, readFirst side: RelayMachine.Side, _ events: EpollEvents) {
        let other: RelayMachine.Side = side == .client ? .backend : .client
        if !events.intersection([.readable, .error, .hangup]).isEmpty,
           let error = pump(connection, from: side, sourceHungUp: events.contains(.readHangup)) {
            relayFailed(connection, error, salvaging: other)
            return
        }
        if !events.intersection([.writable, .error, .hangup]).isEmpty, let error = pump(connection, from: other) {
            relayFailed(connection, error, salvaging: side)
            return
        }
        perform(connection.machine.handle(.relayed), on: connection)
    }

    /// A relay step failed. Before the reset, what the other direction's source already
    /// holds is relayed once, best effort: an endpoint that answers and resets (an HTTP 413
    /// during an upload) fails the upload's write when the client reports first, and its
    /// answer waits unread in its socket ahead of the reset. What waits in the ring goes
    /// first, and the salvage sends at once, so all of the answer goes out before the reset.
    private func relayFailed(_ connection: Connection, _ error: Errno, salvaging side: RelayMachine.Side) {
        sendQueuedAtOnce(connection)
        _ = pump(connection, from: side, batching: false)
        perform(connection.machine.handle(.relayFailed(error)), on: connection)
    }

    /// Moves the direction that starts at `source`; the error if it failed. `batching`:
    /// a message's send may wait in the ring for the end of the turn (only an endpoint's,
    /// `defersSends(from:)`). `sourceHungUp`: epoll reported that `source`'s peer ended its
    /// stream.
    private func pump(_ connection: Connection, from source: RelayMachine.Side, batching: Bool = true,
                      sourceHungUp: Bool = false) -> Errno? {
        let sends = batching && Self.defersSends(from: source) ? self.sends : nil
        let outcome: PumpOutcome
        switch source {
        case .client:
            let before = connection.machine.upstream.bytesMoved
            let deferring = sends.map { DeferredSend(ring: $0, descriptor: connection.backend.rawValue, token: sendToken(connection, from: .client)) }
            outcome = connection.machine.upstream.pump(from: connection.client, to: connection.backend, pool: pool, pipes: pipes,
                                                       deferring: deferring, sourceHungUp: sourceHungUp)
            connection.counters.bytesSent.bump(by: connection.machine.upstream.bytesMoved &- before)
        case .backend:
            let before = connection.machine.downstream.bytesMoved
            let deferring = sends.map { DeferredSend(ring: $0, descriptor: connection.client.rawValue, token: sendToken(connection, from: .backend)) }
            outcome = connection.machine.downstream.pump(from: connection.backend, to: connection.client, pool: pool, pipes: pipes,
                                                         deferring: deferring, sourceHungUp: sourceHungUp)
            connection.counters.bytesReceived.bump(by: connection.machine.downstream.bytesMoved &- before)
        }
        if let refusal = pipes?.refusal { reportPipeRefusal(refusal) }
        if case .failed(let error) = outcome { return error }
        return nil
    }

    // MARK: Sends made together

    /// Whether a message read from `source` waits in the ring for the end of the turn.
    /// An endpoint's answers do: a turn's answers leave in one io_uring_enter(2), which
    /// spares the worker a call and a switch per answer, and the clients take them
    /// together. A client's messages go at once: a request is what the endpoint works on
    /// next, so it starts while the turn goes on, and its answer is often back by the
    /// worker's next poll, which then finds it instead of sleeping. Batched in both
    /// directions, keep-alive requests through a NodePort came to 0.91-0.99x these
    /// requests per second, and the worker slept 1.2 to 2.4 times as often
    /// (docs/performance.md, "Requests at once, answers together").
    static func defersSends(from source: RelayMachine.Side) -> Bool {
        source == .backend
    }

    /// The token a deferred send of the direction that starts at `source` is reported
    /// under: the connection's slot and client tag, and the direction as the kind.
    private func sendToken(_ connection: Connection, from source: RelayMachine.Side) -> UInt64 {
        EventToken(kind: source == .client ? .tcpClient : .tcpBackend, slot: connection.slot,
                   generation: connection.clientTag).rawValue
    }

    /// Takes the loop's ring, once the worker has opened it.
    func batchSends(through ring: SendRing?) {
        sends = ring
    }

    /// What became of a send a relay step left in the loop's ring (the worker submits them).
    func sendCompleted(_ token: EventToken, _ result: Result<Int, Errno>) {
        // A send made in this submit for a connection that an earlier completion of it
        // reset reports for a slot that is free, or holds a connection with another tag.
        guard let connection = connections[token.slot], connection.clientTag == token.generation else { return }
        let outcome: PumpOutcome
        if token.kind == .tcpClient {
            let before = connection.machine.upstream.bytesMoved
            outcome = connection.machine.upstream.sendCompleted(result, pool: pool)
            connection.counters.bytesSent.bump(by: connection.machine.upstream.bytesMoved &- before)
        } else {
            let before = connection.machine.downstream.bytesMoved
            outcome = connection.machine.downstream.sendCompleted(result, pool: pool)
            connection.counters.bytesReceived.bump(by: connection.machine.downstream.bytesMoved &- before)
        }
        if case .failed(let error) = outcome {
            // The endpoint may have answered and reset: its answer is salvaged as when a
            // write made at once fails.
            relayFailed(connection, error, salvaging: token.kind == .tcpClient ? .backend : .client)
            return
        }
        // The relay step that queued the send noted the activity already.
        let action = connection.machine.handle(.relayed)
        if action == .watch { interestMayChange(connection) } else { perform(action, on: connection) }
    }

    /// Takes what `connection` left in the ring back and sends it at once, before its
    /// sockets close: an answer read in the turn whose failure resets the connection (an
    /// HTTP 413 during an upload) still goes out ahead of the reset. A send already
    /// submitted was made; the ring then has nothing to withdraw, and it is not sent again.
    private func sendQueuedAtOnce(_ connection: Connection) {
        guard let sends else { return }
        let up = sendQueuedAtOnce(&connection.machine.upstream, to: connection.backend,
                                  token: sendToken(connection, from: .client), ring: sends)
        connection.counters.bytesSent.bump(by: up)
        let down = sendQueuedAtOnce(&connection.machine.downstream, to: connection.client,
                                    token: sendToken(connection, from: .backend), ring: sends)
        connection.counters.bytesReceived.bump(by: down)
    }

    /// One flow's part of `sendQueuedAtOnce`; the bytes it sent.
    private func sendQueuedAtOnce(_ flow: inout Flow, to destination: borrowing FileDescriptor, token: UInt64,
                                  ring: SendRing) -> UInt64 {
        // A send submitted already keeps its mark until its completion, so nothing pumps
        // its bytes again meanwhile.
        guard flow.sendQueued, ring.withdraw(token: token) else { return 0 }
        flow.sendQueued = false
        let before = flow.bytesMoved
        _ = try? flow.writeAhead(to: destination, pool: pool, pipes: pipes)
        return flow.bytesMoved &- before
    }

    /// The kernel refused a relay pipe: the direction copied through a buffer instead.
    private func reportPipeRefusal(_ error: Errno) {
        pipes?.refusal = nil
        loop.logLimited(.warning, event: .pipeRefused, subject: "\(error.rawValue)",
                        "Failed to open a relay pipe: \(error); copying through buffers until one opens again "
                            + "(see pipe-user-pages-soft in pipe(7) and the descriptor limit)")
    }

    // MARK: Performing the machine's actions

    private func perform(_ action: RelayMachine.Action, on connection: Connection) {
        switch action {
        case .none:
            return
        case .connect:
            retry(connection)
        case .startRelaying:
            established(connection)
        case .shutDown(let client, let backend):
            do {
                if backend { try connection.backend.shutdown(.write) }
                if client { try connection.client.shutdown(.write) }
            } catch {
                perform(connection.machine.handle(.relayFailed(error)), on: connection)
                return
            }
            watch(connection)
        case .watch:
            watch(connection)
        case .close:
            close(connection, failure: nil)
        case .reset(let failure):
            report(failure, of: connection)
            close(connection, failure: failure)
        }
    }

    private func watch(_ connection: Connection) {
        interestMayChange(connection)
        noteActivity(connection)
    }

    /// Logs (rate-limited) and counts why a connection is reset.
    private func report(_ failure: RelayMachine.Failure, of connection: Connection) {
        let name = connection.route.name
        let endpoint = connection.endpoint.endpoint
        switch failure {
        case .connectsExhausted:
            connection.route.statistics.perWorker[index].connectsExhausted.bump()
            loop.logLimited(.warning, event: .connectExhausted, subject: "\(name)",
                            "Giving up on a connection for \(name) after \(connection.attempt + 1) tries; resetting the client",
                            metadata: ["service": "\(name)"])
        case .io(let error):
            loop.logger.debug("Connection for \(name) via \(endpoint) failed: \(error)")
        case .idleTimeout, .halfCloseTimeout:
            let halfClosed = failure == .halfCloseTimeout
            loop.logLimited(.info, event: halfClosed ? .halfCloseTimeout : .idleTimeout, subject: "\(name)",
                            "Closing a connection for \(name) via \(endpoint) after \(connection.silenceLimit / 1_000_000) ms "
                                + (halfClosed ? "half-closed and silent" : "idle"),
                            metadata: ["service": "\(name)", "endpoint": "\(endpoint)"])
        case .drainExpired:
            break  // the worker logs the count once
        }
    }

    // MARK: Connecting

    /// Starts connect attempt `connection.attempt` on the current endpoint socket.
    private func connect(_ connection: Connection) {
        let target = connection.endpoint
        connection.counters = target.counters[index]
        connection.backendTag = loop.nextTag()
        // The client's first bytes, read ahead, carry the handshake's last acknowledgement
        // (two segments fewer per connection on loopback, `nstat TcpOutSegs`). Without
        // them (a protocol whose server speaks first) the acknowledgement must not wait.
        if connection.machine.upstream.pending > 0 { try? connection.backend.holdHandshakeAckForData() }
        do {
            switch try connection.backend.connect(to: target.address) {
            case .done:
                perform(connection.machine.handle(.connected), on: connection)
            case .wouldBlock:
                if try sendAhead(connection) {
                    perform(connection.machine.handle(.connected), on: connection)
                    return
                }
                let timeout = connection.route.rules.connectTimeout ?? Self.connectTimeouts[connection.attempt]
                loop.timers.schedule(.init(deadline: MonotonicClock.now() + timeout, slot: connection.slot,
                                           tag: connection.backendTag, kind: .tcpConnect))
                interestMayChange(connection)
            }
        } catch {
            connectFailed(connection, error)
        }
    }

    /// Sends what was read ahead from the client on an endpoint socket whose connect is in
    /// progress; true when the socket took it, which proves the connect succeeded. To a
    /// near endpoint the handshake has usually finished inside connect(2), so this spares
    /// the wait for writability and its epoll registration. A failed connect makes the
    /// send fail with its error, the bytes still pending for the next attempt.
    private func sendAhead(_ connection: Connection) throws(Errno) -> Bool {
        let before = connection.machine.upstream.bytesMoved
        do {
            guard try connection.machine.upstream.writeAhead(to: connection.backend, pool: pool, pipes: pipes) else { return false }
        } catch where error == .connectionReset || error == .brokenPipe {
            // Only an established connection is reset or shut: the endpoint accepted and
            // went away. That is the relay's failure, which its next write reports, not a
            // connect's to retry elsewhere.
            return true
        }
        connection.counters.bytesSent.bump(by: connection.machine.upstream.bytesMoved &- before)
        return true
    }

    /// The endpoint socket became writable (or failed) while connecting.
    private func connectCompleted(_ connection: Connection, _ events: EpollEvents) {
        // Writable without an error or hang-up means the connect succeeded (connect(2));
        // only a failure needs SO_ERROR to learn why.
        if events == .writable {
            perform(connection.machine.handle(.connected), on: connection)
            return
        }
        do {
            if let error = try connection.backend.pendingError() {
                connectFailed(connection, error)
            } else {
                perform(connection.machine.handle(.connected), on: connection)
            }
        } catch {
            connectFailed(connection, error)
        }
    }

    private func connectFailed(_ connection: Connection, _ error: Errno) {
        let target = connection.endpoint
        let name = connection.route.name
        connection.counters.connectErrors.bump()
        connection.counters.lastConnect.store(ConnectOutcome.failed.rawValue, ordering: .relaxed)
        loop.logLimited(.warning, event: .connectFailed, subject: "\(name)|\(target.endpoint)",
                        "Failed to connect to endpoint \(target.endpoint) for \(name): \(error)",
                        metadata: ["service": "\(name)", "endpoint": "\(target.endpoint)"])
        perform(connection.machine.handle(error == .timedOut ? .connectTimedOut : .connectFailed(error)), on: connection)
    }

    /// The machine moved on to the next attempt: a new socket for the next endpoint.
    private func retry(_ connection: Connection) {
        connection.route.statistics.perWorker[index].retries.bump()
        let next = connection.endpoint
        do {
            // The old socket closes here, which also takes it out of the epoll set.
            connection.backend = try endpointSocket(for: next, keepAlive: connection.keepAliveSet)
            connection.backendInterest = []
        } catch {
            loop.logLimited(.warning, event: .socketFailed, subject: "\(error.rawValue)",
                            "Failed to create a socket for endpoint \(next.endpoint) of \(connection.route.name): \(error); resetting the client")
            perform(connection.machine.handle(.aborted(error)), on: connection)
            return
        }
        connect(connection)
    }

    private func established(_ connection: Connection) {
        connection.counters.established.bump()
        connection.counters.lastConnect.store(ConnectOutcome.succeeded.rawValue, ordering: .relaxed)
        try? connection.backend.setNoDelay()
        if connection.attempt > 0, let client = connection.choice.affinityClient {
            connection.route.repin(client, to: connection.endpoint.endpoint, now: MonotonicClock.now())
        }
        if connection.machine.upstream.pending > 0 || connection.machine.upstream.shouldShutDestination {
            // What was read ahead from the client, or its end, waited for the connect.
            relay(connection, readFirst: .backend, .writable)
        } else {
            watch(connection)
        }
    }

    // MARK: Timers

    /// Remembers activity after a relay step and arms the silence timer if none due soon
    /// enough is armed. A busy connection costs a timestamp per step, not a timer.
    private func noteActivity(_ connection: Connection) {
        let limit = connection.silenceLimit
        guard limit != 0, !connection.machine.isClosed else { return }
        let now = MonotonicClock.now()
        connection.lastActivity = now
        let due = now + limit
        if connection.activityDeadline == 0 || due < connection.activityDeadline {
            scheduleActivityTimer(connection, at: due)
        }
    }

    private func scheduleActivityTimer(_ connection: Connection, at deadline: UInt64) {
        connection.activityDeadline = deadline
        loop.timers.schedule(.init(deadline: deadline, slot: connection.slot, tag: connection.clientTag, kind: .tcpActivity))
    }

    func timerFired(_ entry: TimerQueue.Entry, now: UInt64) {
        guard isLive(entry), let connection = connections[entry.slot] else { return }
        switch entry.kind {
        case .tcpConnect:
            connectFailed(connection, .timedOut)
        case .tcpActivity:
            connection.activityDeadline = 0
            let limit = connection.silenceLimit
            guard limit != 0 else { return }
            let due = connection.lastActivity + limit
            guard due <= now else {
                scheduleActivityTimer(connection, at: due)  // there was activity since: look again then
                return
            }
            perform(connection.machine.handle(.silenceExpired), on: connection)
        case .httpSession, .httpPooled, .udpFlow, .dnsClient, .dnsUpstream:
            return  // other handlers' 
        }
    }

    /// Whether a timer can still fire for something: a connect still in progress, or the
    /// activity deadline its connection is waiting for.
    func isLive(_ entry: TimerQueue.Entry) -> Bool {
        guard let owner = connections[entry.slot] else { return false }
        switch entry.kind {
        case .tcpActivity:
            return owner.clientTag == entry.tag && owner.activityDeadline == entry.deadline
        case .tcpConnect:
            return !owner.machine.isEstablished && !owner.machine.isClosed && owner.backendTag == entry.tag
        case .httpSession, .httpPooled, .udpFlow, .dnsClient, .dnsUpstream:
            return false
        }
    }

    // MARK: Epoll interest and closing

    /// Notes that `connection`'s epoll interest may have to change before the next poll.
    private func interestMayChange(_ connection: Connection) {
        guard !connection.interestQueued, !connection.machine.isClosed else { return }
        // The common case, a relay step that leaves both registrations as they are, queues nothing.
        let machine = connection.machine
        guard machine.wantedEvents(.client) != connection.clientInterest
            || machine.wantedEvents(.backend) != connection.backendInterest else { return }
        connection.interestQueued = true
        interestChanges.append((connection.slot, connection.clientTag))
    }

    /// Brings the epoll registrations of the connections noted since the last poll to
    /// what their machines want; the worker calls it before each poll. Level-triggered
    /// readiness makes the delay safe: whatever became ready meanwhile is reported then.
    func applyInterestChanges() {
        guard !interestChanges.isEmpty else { return }
        // Swapped with a spare kept for the purpose, so neither array is copied or reallocated.
        swap(&interestChanges, &interestChangesApplied)
        defer { interestChangesApplied.removeAllKeepingStorage() }
        for (slot, tag) in interestChangesApplied {
            guard let connection = connections[slot], connection.clientTag == tag else { continue }
            connection.interestQueued = false
            updateInterest(connection, .client)
            updateInterest(connection, .backend)
        }
    }

    /// Registers, re-registers or removes `side`'s socket so that epoll watches exactly
    /// what the machine wants.
    private func updateInterest(_ connection: Connection, _ side: RelayMachine.Side) {
        guard !connection.machine.isClosed else { return }
        let wanted = connection.machine.wantedEvents(side)
        let current = side == .client ? connection.clientInterest : connection.backendInterest
        guard wanted != current else { return }  // the common case: nothing to tell epoll
        do {
            switch side {
            case .client:
                try loop.watch(connection.client.rawValue, current: current, wanted: wanted,
                               token: EventToken(kind: .tcpClient, slot: connection.slot, generation: connection.clientTag))
                connection.clientInterest = wanted
            case .backend:
                try loop.watch(connection.backend.rawValue, current: current, wanted: wanted,
                               token: EventToken(kind: .tcpBackend, slot: connection.slot, generation: connection.backendTag))
                connection.backendInterest = wanted
            }
        } catch {
            loop.logger.error("epoll_ctl failed for a connection of \(connection.route.name): \(error)")
            perform(connection.machine.handle(.aborted(error)), on: connection)
        }
    }

    /// Closes both sockets; after a failure they send RST rather than FIN, so a failure is
    /// seen as one by both peers.
    private func close(_ connection: Connection, failure: RelayMachine.Failure?) {
        guard connections[connection.slot] === connection else { return }
        sendQueuedAtOnce(connection)
        connection.route.releaseLimits(connection.choice.tokens)
        if connection.machine.connected { connection.counters.closed.bump() }
        if accessLog { logAccess(connection, failure: failure) }
        if failure != nil {
            // An answer held for a FIN that will not come now goes ahead of the reset.
            if connection.machine.downstream.endFollows { try? connection.client.pushHeldBytes() }
            if connection.machine.upstream.endFollows { try? connection.backend.pushHeldBytes() }
            try? connection.client.setResetOnClose()
            try? connection.backend.setResetOnClose()
        }
        connection.machine.upstream.release(to: pool, pipes: pipes)
        connection.machine.downstream.release(to: pool, pipes: pipes)
        connections.remove(connection)
        // The descriptors close when the connection object goes away, just after this.
    }

    /// Resets whatever is still open: the end of the shutdown grace period.
    func closeAll() {
        for connection in connections.all {
            perform(connection.machine.handle(.drainExpired), on: connection)
        }
    }
}
