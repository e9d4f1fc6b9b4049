// UDP service ports on a worker's loop, as kube-proxy and conntrack serve them: a client's
// first datagram to a service address chooses an endpoint (round-robin, affinity,
// NetworkPolicy), and the flow gets a connected socket to it; later datagrams follow it;
// replies go back from the address the client sent to. A flow ends after its silence limit,
// when its endpoint refuses (ICMP port unreachable), when its endpoint leaves the plan, or
// when the table is full and it is the longest idle. Nothing is buffered: a datagram that
// cannot be sent now is dropped and counted, as the kernel would.
import LinuxIO
import Logging
import ServiceConfig

final class UDPHandler {
    /// Datagrams handled per readiness event, so one busy socket cannot starve the others.
    static let datagramsPerEvent = 64
    /// Room for the largest UDP payload; a longer datagram cannot exist, so MSG_TRUNC only
    /// ever reports one cut by a smaller buffer.
    static let bufferSize = 65_536

    let loop: EventLoop
    let accessLog: Bool
    private(set) var flows = SlotTable<UDPFlow>()
    private var byKey: [FlowKey: UDPFlow] = [:]
    private var idleOrder = FlowIdleOrder()
    /// This worker's share of `--udp-max-flows`.
    var maximumFlows: Int
    private let buffer: UnsafeMutableRawPointer

    init(loop: EventLoop, accessLog: Bool, maximumFlows: Int) {
        self.loop = loop
        self.accessLog = accessLog
        self.maximumFlows = max(1, maximumFlows)
        buffer = .allocate(byteCount: Self.bufferSize, alignment: 16)
    }

    deinit { buffer.deallocate() }

    var index: Int { loop.index }

    // MARK: Client to endpoint

    /// Datagrams from clients on `listener`: each goes to its flow's endpoint, a new flow
    /// made for the first datagram of a client.
    func receive(on listener: WorkerListener, route: ServicePortRoute) {
        let counters = route.statistics.udp[index]
        let now = MonotonicClock.now()
        for _ in 0..<Self.datagramsPerEvent {
            let received: ReceivedDatagram
            do {
                switch try listener.descriptor.receiveDatagram(into: buffer, count: Self.bufferSize) {
                case .wouldBlock: return
                case .done(let datagram): received = datagram
                }
            } catch {
                loop.logLimited(.notice, event: .udpFailed, subject: "\(route.name)",
                                "Failed to receive a datagram on \(listener.address) for \(route.name): \(error)")
                return
            }
            guard !received.isTruncated(capacity: Self.bufferSize), let peer = received.peer else {
                counters.dropped.bump(UDPDrop.truncated.rawValue)
                continue
            }
            let key = FlowKey(listener: listener.id, client: peer.key)
            guard let flow = byKey[key] ?? newFlow(key, listener: listener, route: route, client: peer, now: now) else { continue }
            forward(received.length, of: flow, now: now)
        }
    }

    private func newFlow(_ key: FlowKey, listener: WorkerListener, route: ServicePortRoute, client: SocketAddress, now: UInt64) -> UDPFlow? {
        let counters = route.statistics.udp[index]
        let choice: EndpointChoice
        let (address, egress) = route.client(client, egress: loop.egress)
        switch route.decide(for: address, egress: egress, now: now, localOnly: route.rules.isLocalOnly(listener.address.kind, client: client)) {
        case .success(let chosen):
            choice = chosen
        case .failure(let refusal):
            switch refusal {
            case .policy: counters.dropped.bump(UDPDrop.policy.rawValue)
            case .egressPolicy: counters.dropped.bump(UDPDrop.egressPolicy.rawValue)
            case .noEndpoints: counters.dropped.bump(UDPDrop.noEndpoints.rawValue)
            case .noLocalEndpoints: counters.dropped.bump(UDPDrop.noLocalEndpoints.rawValue)
            case .nodeLimit, .serviceLimit: counters.dropped.bump(UDPDrop.limit.rawValue)
            }
            return nil
        }
        // `while`: after a reload lowered the bound, each new flow brings the table back under it.
        while flows.count >= maximumFlows, let oldest = idleOrder.oldest { end(oldest, .evicted) }
        let target = route.endpoint(start: choice.start, attempt: 0, candidates: choice.candidates)
        do {
            let socket = try FileDescriptor.udpSocket(for: target.address)
            _ = try socket.connect(to: target.address)  // immediate for UDP: it only fixes the peer
            return insertFlow(key, socket: socket, listener: listener, client: client, route: route, choice: choice,
                              target: target, now: now)
        } catch {
            route.releaseLimits(choice.tokens)
            counters.dropped.bump(UDPDrop.sendFailed.rawValue)
            loop.logLimited(.warning, event: .udpFailed, subject: "\(route.name)",
                            "Failed to open a UDP flow to \(target.endpoint) for \(route.name): \(error)")
            return nil
        }
    }

    private func insertFlow(_ key: FlowKey, socket: consuming FileDescriptor, listener: WorkerListener, client: SocketAddress,
                            route: ServicePortRoute, choice: EndpointChoice, target: EndpointTarget, now: UInt64) -> UDPFlow? {
        let counters = route.statistics.udp[index]
        let flow = UDPFlow(slot: flows.reserveSlot(), tag: loop.nextTag(), key: key, socket: socket, listener: listener, client: client,
                           route: route, choice: choice, target: target, timeout: route.rules.udpTimeout, now: now)
        flows.insert(flow)  // the reserved slot is taken, and freed again below if watching fails
        do {
            try loop.epoll.add(flow.socket.rawValue, wanted: .readable,
                               token: EventToken(kind: .udpFlow, slot: flow.slot, generation: flow.tag).rawValue)
        } catch {
            flows.remove(flow)
            route.releaseLimits(choice.tokens)
            counters.dropped.bump(UDPDrop.sendFailed.rawValue)
            return nil
        }
        byKey[key] = flow
        idleOrder.touch(flow)
        counters.flowsCreated.bump()
        arm(flow, at: now + flow.timeout)
        return flow
    }

    /// Sends the datagram in the buffer on the flow's socket.
    private func forward(_ length: Int, of flow: UDPFlow, now: UInt64) {
        let counters = flow.route.statistics.udp[index]
        do {
            switch try flow.socket.sendDatagram(from: buffer, count: length) {
            case .wouldBlock:
                counters.dropped.bump(UDPDrop.sendFailed.rawValue)
                return
            case .done:
                break
            }
        } catch .connectionRefused {
            // An earlier datagram was refused: this one is lost with the flow, and the next
            // one picks anew.
            counters.dropped.bump(UDPDrop.sendFailed.rawValue)
            end(flow, .refused)
            return
        } catch {
            counters.dropped.bump(UDPDrop.sendFailed.rawValue)
            return
        }
        counters.datagramsIn.bump()
        counters.bytesIn.bump(by: UInt64(length))
        flow.datagramsIn += 1
        flow.bytesIn += UInt64(length)
        active(flow, now: now)
    }

    // MARK: Endpoint to client

    func flowEvent(slot: UInt32, tag: UInt32, _ events: EpollEvents) {
        guard let flow = flows[slot], flow.tag == tag else { return }
        let counters = flow.route.statistics.udp[index]
        let now = MonotonicClock.now()
        for _ in 0..<Self.datagramsPerEvent {
            let received: ReceivedDatagram
            do {
                switch try flow.socket.receiveDatagram(into: buffer, count: Self.bufferSize) {
                case .wouldBlock: return
                case .done(let datagram): received = datagram
                }
            } catch .connectionRefused {
                end(flow, .refused)
                return
            } catch {
                // Reported once and cleared by the kernel: the flow goes on.
                loop.logLimited(.notice, event: .udpFailed, subject: "\(flow.route.name)",
                                "Failed to receive from endpoint \(flow.target.endpoint) of \(flow.route.name): \(error)")
                return
            }
            guard !received.isTruncated(capacity: Self.bufferSize) else {
                counters.dropped.bump(UDPDrop.truncated.rawValue)
                continue
            }
            do {
                guard case .done = try flow.listener.descriptor.sendDatagram(from: buffer, count: received.length, to: flow.client) else {
                    counters.dropped.bump(UDPDrop.sendFailed.rawValue)
                    continue
                }
            } catch {
                counters.dropped.bump(UDPDrop.sendFailed.rawValue)
                continue
            }
            counters.datagramsOut.bump()
            counters.bytesOut.bump(by: UInt64(received.length))
            flow.datagramsOut += 1
            flow.bytesOut += UInt64(received.length)
            active(flow, now: now)
        }
    }

    // MARK: Timers and ends

    private func active(_ flow: UDPFlow, now: UInt64) {
        flow.lastActivity = now
        idleOrder.touch(flow)
    }

    private func arm(_ flow: UDPFlow, at deadline: UInt64) {
        flow.timerDeadline = deadline
        loop.timers.schedule(.init(deadline: deadline, slot: flow.slot, tag: flow.tag, kind: .udpFlow))
    }

    func timerFired(_ entry: TimerQueue.Entry, now: UInt64) {
        guard isLive(entry), let flow = flows[entry.slot] else { return }
        let due = flow.lastActivity + flow.timeout
        if due > now {
            arm(flow, at: due)  // active since: look again then
        } else {
            end(flow, .timeout)
        }
    }

    func isLive(_ entry: TimerQueue.Entry) -> Bool {
        guard let flow = flows[entry.slot] else { return false }
        return flow.tag == entry.tag && flow.timerDeadline == entry.deadline
    }

    /// Ends a flow: its socket closes (and leaves the epoll set), its place is freed.
    func end(_ flow: UDPFlow, _ reason: UDPFlowEnd) {
        guard flows[flow.slot] === flow else { return }
        flows.remove(flow)
        byKey[flow.key] = nil
        idleOrder.remove(flow)
        flow.route.releaseLimits(flow.choice.tokens)
        flow.route.statistics.udp[index].flowsEnded.bump(reason.rawValue)
        if accessLog { logFlow(flow, reason) }
    }

    /// After a reload: flows whose listener closed, or whose endpoint is no longer among
    /// its service port's (kube-proxy clears such conntrack entries: a stale DNS flow would
    /// otherwise keep asking a pod that is gone), end now; the client's next datagram
    /// picks a live endpoint.
    func keepFlows(listeners: Set<UInt32>, endpoints: [ServicePortName: Set<Endpoint>]) {
        for flow in flows.all {
            if !listeners.contains(flow.key.listener) {
                end(flow, .closed)
            } else if endpoints[flow.route.name]?.contains(flow.target.endpoint) != true {
                end(flow, .endpointRemoved)
            }
        }
    }

    /// As `keepFlows(listeners:endpoints:)` for a reload that touched some listeners and
    /// routes only: flows on a `closing` listener end, and so do flows of `routes` whose
    /// endpoint is not in `endpoints` any more.
    func keepFlows(closing: Set<UInt32>, routes: Set<ServicePortName>, endpoints: [ServicePortName: Set<Endpoint>]) {
        guard !closing.isEmpty || !routes.isEmpty else { return }
        for flow in flows.all {
            if closing.contains(flow.key.listener) {
                end(flow, .closed)
            } else if routes.contains(flow.route.name), endpoints[flow.route.name]?.contains(flow.target.endpoint) != true {
                end(flow, .endpointRemoved)
            }
        }
    }

    func closeAll() {
        for flow in flows.all { end(flow, .closed) }
    }

    private func logFlow(_ flow: UDPFlow, _ reason: UDPFlowEnd) {
        let milliseconds = (MonotonicClock.now() &- flow.createdAt) / 1_000_000
        loop.logger.info("""
            UDP flow from \(IPAddress(flow.client)):\(flow.client.port) to \(flow.route.name) via \(flow.target.endpoint) ended \
            (\(reason.label)): \(flow.datagramsIn) datagrams (\(flow.bytesIn) bytes) in, \(flow.datagramsOut) (\(flow.bytesOut) bytes) out, \
            \(milliseconds) ms
            """, metadata: [
                "event": "access", "client": "\(IPAddress(flow.client))", "service": "\(flow.route.name)",
                "endpoint": "\(flow.target.endpoint)", "reason": "\(reason.label)", "duration_ms": "\(milliseconds)",
            ])
    }
}
