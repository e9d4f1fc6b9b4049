// One event loop on its own thread. A worker owns its loop (epoll, timers, buffers), its
// listeners (one SO_REUSEPORT socket per listen address) and one handler per kind of
// traffic, and dispatches each event to the handler its token names. It shares only the
// routes (immutable, with an atomic round-robin counter) and its control inbox.
import LinuxIO
import Logging
import ServiceConfig

/// A listening socket of a worker and the service port it serves.
final class WorkerListener {
    let id: UInt32
    let descriptor: FileDescriptor
    var address: ListenAddress
    /// Swapped by a reload; a connection keeps the route it was accepted with.
    var route: ListenerRoute

    init(id: UInt32, descriptor: consuming FileDescriptor, address: ListenAddress, route: ListenerRoute) {
        self.id = id
        self.descriptor = descriptor
        self.address = address
        self.route = route
    }

    var token: EventToken { EventToken(kind: .listener, slot: id, generation: 0) }

    /// A UDP socket: datagrams arrive on it, it accepts nothing.
    var isDatagram: Bool { address.transport == .udp }
}

final class Worker {
    /// How long accepting pauses when descriptors run out.
    static let acceptPause: UInt64 = 100_000_000
    /// Most connections accepted per listener event, so accepting cannot starve relaying.
    static let acceptsPerEvent = 32

    let loop: EventLoop
    let control: WorkerControl
    let tcp: TCPRelayHandler
    let http: HTTPProxyHandler
    let udp: UDPHandler
    let dns: DNSHandler
    var listeners: [UInt32: WorkerListener] = [:]
    /// Set while accepting is paused for lack of descriptors: when to try again.
    private var acceptResumeAt: UInt64?
    private var acceptExhaustionLogged = false
    /// Set once the worker is told to drain: when to give up on open connections.
    private var drainDeadline: UInt64?
    /// Longest sleep in epoll_wait, so the worker checks in for the watchdog.
    let checkInInterval: UInt64
    /// How many workers share the node's bounds.
    let workerCount: Int
    /// Whether the TCP relay's messages and the Ingress's writes of a turn are sent together
    /// (`--batch-sends`).
    private let batchSends: Bool
    /// How many rounds of yielding the CPU and looking again the worker may make before
    /// it sleeps (`--yield-before-sleep`).
    private var yieldAllowance: YieldBeforeSleep
    private let loopCounters: LoopCounters
    /// For the steering gauge, which this worker clears once it steers by hash.
    private let statistics: StatisticsRegistry

    init(index: Int, control: WorkerControl, logger: Logger, settings: EngineSettings, statistics: StatisticsRegistry) throws(Errno) {
        self.control = control
        self.checkInInterval = settings.checkInInterval
        workerCount = settings.workers
        loop = try EventLoop(index: index, logger: logger, bufferSize: settings.bufferSize, pipeSize: settings.pipeSize,
                             pipeLimit: settings.pipesPerWorker)
        batchSends = settings.batchSends
        yieldAllowance = YieldBeforeSleep(maximum: settings.yieldRoundsLimit)
        loopCounters = statistics.loops[index]
        self.statistics = statistics
        tcp = TCPRelayHandler(loop: loop, accessLog: settings.accessLog, keepAlive: settings.keepAlive)
        http = HTTPProxyHandler(loop: loop, accessLog: settings.accessLog, keepAlive: settings.keepAlive,
                                upstreamCounters: statistics.upstream[index], tlsCounters: statistics.tls[index])
        udp = UDPHandler(loop: loop, accessLog: settings.accessLog, maximumFlows: settings.maxUDPFlows / settings.workers)
        dns = DNSHandler(loop: loop, counters: statistics.dns[index])
        try loop.epoll.add(control.wakeup.descriptor.rawValue, wanted: .readable,
                           token: EventToken(kind: .wakeup, slot: 0, generation: 0).rawValue)
    }

    /// Runs until a drain has finished, then closes whatever is left.
    func run() {
        // On this thread: the ring takes the one thread that submits to it to be the one
        // that made it.
        if batchSends {
            loop.startBatchingSends()
            tcp.batchSends(through: loop.sends)
        }
        var count = 0
        while !drainFinished {
            submitSends()
            tcp.applyInterestChanges()
            do {
                count = try waitForEvents(afterBusyTurn: count > 0)
            } catch {
                // Only a bug can get here (EBADF, EINVAL); carrying on without this loop
                // would hang the next reload, so fail loudly and let systemd restart us.
                loop.logger.critical("epoll_wait failed: \(error)")
                fatalError("svcproxy bug: epoll_wait failed in worker \(loop.index): \(error)")
            }
            http.startTurn()
            for i in 0..<count {
                let event = loop.epoll.event(at: i)
                dispatch(EventToken(rawValue: event.token), event.events)
            }
            fireTimers()
            control.lastCheckIn.store(MonotonicClock.now(), ordering: .relaxed)
        }
        if openConnections > 0 {
            loop.logger.notice("Closing \(openConnections) connections still open at the end of the shutdown grace period",
                               metadata: ["event": "drain-expired"])
        }
        tcp.closeAll()
        http.closeAll()
        udp.closeAll()
        dns.closeAll()
        control.lastCheckIn.store(.max, ordering: .relaxed)  // finished, not stalled
    }

    /// Most rounds of sends per turn: the completions of one round may queue the sends of
    /// the next (an Ingress session answers a pipelined request), but not forever.
    static let sendRoundsPerTurn = 4

    /// Makes the sends the turn left in the loop's ring, in one io_uring_enter(2) per round,
    /// and hands each result to the handler that queued it; the worker calls it before
    /// each poll.
    private func submitSends() {
        guard let sends = loop.sends else { return }
        for _ in 0..<Self.sendRoundsPerTurn {
            if http.hasDeferredFlushes { http.queueDeferredFlushes() }
            if sends.queued > 0 {
                sends.submit { token, result in
                    let token = EventToken(rawValue: token)
                    switch token.kind {
                    case .httpClient, .httpUpstream: http.sendCompleted(token, result)
                    default: tcp.sendCompleted(token, result)
                    }
                }
                if let failure = sends.lastFailure {
                    loop.logLimited(.error, event: .sendRingFailed, subject: "\(failure.rawValue)",
                                    "io_uring_enter failed for batched sends: \(failure); resetting the relayed connections whose sends it did not take")
                }
            }
            // Sessions whose sends came back, or found no room in the ring; taken up, they
            // may leave writes for another round.
            guard http.hasDeferredFlushes else { return }
            http.settleFlushes()
            guard http.hasDeferredFlushes else { return }
        }
    }

    /// Draining, and nothing (or no time) is left.
    private var drainFinished: Bool {
        guard let deadline = drainDeadline else { return false }
        return openConnections == 0 || MonotonicClock.now() >= deadline
    }

    /// Relayed connections and Ingress client connections.
    private var openConnections: Int { tcp.connections.count + http.openCount }

    private func dispatch(_ token: EventToken, _ events: EpollEvents) {
        switch token.kind {
        case .tcpClient:
            tcp.clientEvent(slot: token.slot, tag: token.generation, events)
        case .tcpBackend:
            tcp.backendEvent(slot: token.slot, tag: token.generation, events)
        case .udpFlow:
            udp.flowEvent(slot: token.slot, tag: token.generation, events)
        case .httpClient:
            http.clientEvent(slot: token.slot, tag: token.generation, events)
        case .httpUpstream:
            http.upstreamEvent(slot: token.slot, tag: token.generation, events)
        case .dnsClient:
            dns.clientEvent(slot: token.slot, tag: token.generation, events)
        case .dnsUpstream:
            dns.upstreamEvent(slot: token.slot, tag: token.generation, events)
        case .listener:
            guard let listener = listeners[token.slot] else { return }
            switch listener.route {
            case .udp(let route): udp.receive(on: listener, route: route)
            case .dns(let service) where listener.isDatagram: dns.receive(on: listener, service: service)
            default: acceptConnections(on: listener)
            }
        case .wakeup:
            control.wakeup.drain()
            for command in control.takeCommands() { perform(command) }
        }
    }

    /// Waits for events: after a turn that had some, first by looking and, if none are
    /// ready, in as many rounds of yielding the CPU and looking again as the allowance
    /// says (YieldBeforeSleep); then in epoll_wait(2) until the earliest deadline. Returns
    /// how many events the loop's epoll holds.
    private func waitForEvents(afterBusyTurn busy: Bool) throws(Errno) -> Int {
        if busy && yieldAllowance.rounds > 0 {
            let outcome = try yieldAllowance.lookBeforeSleeping(
                look: { () throws(Errno) -> Int in try loop.epoll.wait(timeoutMilliseconds: 0) },
                yield: Scheduler.yieldProcessor,
                timerDue: { waitTimeout(now: MonotonicClock.now()) == 0 })
            if outcome.yieldsFoundEvents > 0 { loopCounters.yieldsFoundEvents.bump() }
            if outcome.yieldsFoundNone > 0 { loopCounters.yieldsFoundNone.bump(by: UInt64(outcome.yieldsFoundNone)) }
            if outcome.events > 0 { return outcome.events }
        }
        let start = MonotonicClock.now()
        let timeout = waitTimeout(now: start)
        if timeout != 0 { loopCounters.blockingPolls.bump() }
        let count = try loop.epoll.wait(timeoutMilliseconds: timeout)
        // The clock is read again only where a short sleep can earn a round.
        if timeout != 0 && yieldAllowance.maximum > 0 && yieldAllowance.rounds == 0 {
            yieldAllowance.slept(start: start, end: MonotonicClock.now(), found: count > 0)
        }
        return count
    }

    /// Milliseconds from `now` until the earliest deadline, rounded up, and never longer
    /// than the check-in interval.
    private func waitTimeout(now: UInt64) -> Int32 {
        var earliest = now + checkInInterval
        if let deadline = loop.timers.earliestDeadline, deadline < earliest { earliest = deadline }
        if let deadline = acceptResumeAt, deadline < earliest { earliest = deadline }
        if let deadline = drainDeadline, deadline < earliest { earliest = deadline }
        if let deadline = tcp.keepAliveDue, deadline < earliest { earliest = deadline }
        if earliest <= now || http.hasDeferredFlushes || http.hasWaitingHandshakes { return 0 }
        return Int32(min((earliest - now + 999_999) / 1_000_000, 60_000))
    }

    private func fireTimers() {
        guard loop.timers.earliestDeadline != nil || acceptResumeAt != nil || tcp.keepAliveDue != nil else { return }
        // Timers that no longer matter (their connection closed, connected, or re-armed)
        // stay in the heap until due; once they outnumber the live ones they are dropped,
        // so long timeouts cannot make the heap grow without bound.
        if loop.timers.count > 1024 + 3 * (tcp.connections.count + http.openCount + http.upstreams.count + udp.flows.count
            + dns.openCount) {
            loop.timers.removeAll { !isLive($0) }
        }
        let now = MonotonicClock.now()
        if let resume = acceptResumeAt, resume <= now { resumeAccepting() }
        if let due = tcp.keepAliveDue, due <= now { tcp.setDueKeepAlives(now: now) }
        while let entry = loop.timers.popDue(now: now) {
            switch entry.kind {
            case .tcpConnect, .tcpActivity: tcp.timerFired(entry, now: now)
            case .httpSession, .httpPooled: http.timerFired(entry, now: now)
            case .udpFlow: udp.timerFired(entry, now: now)
            case .dnsClient, .dnsUpstream: dns.timerFired(entry, now: now)
            }
        }
    }

    private func isLive(_ entry: TimerQueue.Entry) -> Bool {
        switch entry.kind {
        case .tcpConnect, .tcpActivity: tcp.isLive(entry)
        case .httpSession, .httpPooled: http.isLive(entry)
        case .udpFlow: udp.isLive(entry)
        case .dnsClient, .dnsUpstream: dns.isLive(entry)
        }
    }

    // MARK: Accepting

    /// Takes pending connections from a listener and hands them to the handler; survives
    /// running out of descriptors (EMFILE/ENFILE) by pausing accepts for a moment instead
    /// of spinning or crashing: the kernel keeps the backlog.
    private func acceptConnections(on listener: WorkerListener) {
        defer { tcp.startAdmitted() }
        for _ in 0..<Self.acceptsPerEvent {
            let result: IOResult<AcceptedConnection>
            do {
                result = try listener.descriptor.accept()
            } catch let error where error.isDescriptorExhaustion || error == .noBufferSpace || error == .noMemory {
                pauseAccepting(after: error, on: listener)
                return
            } catch {
                // ECONNABORTED and friends: that one connection is gone; keep accepting.
                loop.logLimited(.notice, event: .acceptFailed, subject: "\(error.rawValue)",
                                "Failed to accept a connection on \(listener.address): \(error)")
                continue
            }
            switch consume result {
            case .wouldBlock:
                return
            case .done(let accepted):
                loopCounters.accepted.bump()
                if acceptExhaustionLogged {
                    acceptExhaustionLogged = false
                    loop.logger.notice("Accepting connections again: descriptors are available", metadata: ["event": "accept-resumed"])
                }
                do {
                    switch listener.route {
                    case .tcp(let route): try tcp.admit(accepted, route: route, listenerKind: listener.address.kind)
                    case .http: http.admit(accepted, listenerPort: listener.address.port, secure: false)
                    case .https: http.admit(accepted, listenerPort: listener.address.port, secure: true)
                    case .dns: dns.admit(accepted)
                    case .udp: return  // datagram sockets accept nothing: receive() reads them
                    }
                } catch {
                    // Accepting more would only reset more: leave them queued until
                    // descriptors free up.
                    pauseAccepting(after: error, on: listener)
                    return
                }
            }
        }
    }

    private func pauseAccepting(after error: Errno, on listener: WorkerListener) {
        if !acceptExhaustionLogged {
            acceptExhaustionLogged = true
            loop.logger.warning("Failed to accept a connection on \(listener.address): \(error); pausing accepts until descriptors free up",
                                metadata: ["open_connections": "\(openConnections)", "event": "accept-paused"])
        }
        // UDP listeners accept nothing: their datagrams keep moving.
        for listener in listeners.values where !listener.isDatagram {
            try? loop.epoll.modify(listener.descriptor.rawValue, wanted: [], token: listener.token.rawValue)
        }
        acceptResumeAt = MonotonicClock.now() + Self.acceptPause
    }

    private func resumeAccepting() {
        acceptResumeAt = nil
        for listener in listeners.values where !listener.isDatagram {
            try? loop.epoll.modify(listener.descriptor.rawValue, wanted: .readable, token: listener.token.rawValue)
        }
    }

    // MARK: Commands

    /// What the engine asks: take on a new set of listeners (a reload), steer new
    /// connections by hash, or drain (a graceful stop). Open connections are never
    /// touched by any: they keep the route they were accepted with and finish on their own.
    private func perform(_ command: WorkerCommand) {
        switch command {
        case .applyListeners(let assignments, let changes, let router, let egress, let udpFlowLimit, let done):
            applyListeners(assignments, changes)
            udp.maximumFlows = max(1, udpFlowLimit / workerCount)
            if let router { http.take(router.router) }
            if let egress { loop.egress = egress }
            done.signal()
        case .steerByHash:
            steerByHash()
        case .drain(let deadline):
            udp.closeAll()  // before their listeners go: flows reply through them
            listeners = [:]
            http.beginDrain()
            drainDeadline = deadline
        }
    }

    /// Steers the groups of this worker's TCP listeners by hash (each worker holds a socket
    /// in every group, so one worker's reach all of them), and says so on /metrics once
    /// every group took it.
    private func steerByHash() {
        var steeredAll = true
        for listener in listeners.values where !listener.isDatagram {
            do {
                try listener.descriptor.steerConnectionsByHash()
            } catch {
                steeredAll = false
                loop.logger.warning("Could not stop steering connections by CPU on \(listener.address): \(error)",
                                    metadata: ["event": "steering-failed"])
            }
        }
        if steeredAll { statistics.steeringByCPU.store(false, ordering: .relaxed) }
    }

    /// Holds `assignments`: kept listeners get their new route, new ones are registered,
    /// and the others (all, or those `changes` names) are closed, which frees their ports
    /// once every worker has closed its socket.
    private func applyListeners(_ assignments: [ListenerAssignment], _ changes: ListenerChanges) {
        var next: [UInt32: WorkerListener] = [:]
        if case .some(let closing, _) = changes {
            next = listeners
            for id in closing { next[id] = nil }
        }
        for assignment in assignments {
            if let kept = listeners[assignment.id] {
                kept.route = assignment.route
                kept.address = assignment.address
                next[assignment.id] = kept
            } else if assignment.descriptor == nil {
                // Kept by the plan, but this worker never held it (watching it failed).
                loop.logger.error("Not accepting on \(assignment.address) in this worker: its listener could not be watched")
            } else if let descriptor = assignment.descriptor {
                let listener = WorkerListener(id: assignment.id, descriptor: FileDescriptor(owning: descriptor),
                                              address: assignment.address, route: assignment.route)
                do {
                    try loop.epoll.add(descriptor, wanted: acceptResumeAt == nil ? .readable : [], token: listener.token.rawValue)
                    next[assignment.id] = listener
                } catch {
                    loop.logger.error("Failed to watch the listener on \(assignment.address): \(error)")
                }
            }
        }
        var udpEndpoints: [ServicePortName: Set<Endpoint>] = [:]
        for assignment in assignments {
            if case .udp(let route) = assignment.route { udpEndpoints[route.name] = route.serving }
        }
        switch changes {
        case .all: udp.keepFlows(listeners: Set(next.keys), endpoints: udpEndpoints)
        case .some(let closing, let routes): udp.keepFlows(closing: closing, routes: routes, endpoints: udpEndpoints)
        }
        // Partial changes name the DNS listeners too (PlanDiff+Services.swift).
        dns.current = assignments.lazy.compactMap { assignment -> DNSService? in
            if case .dns(let service) = assignment.route { return service }
            return nil
        }.first
        listeners = next  // listeners left out are released here, closing their sockets
    }
}
