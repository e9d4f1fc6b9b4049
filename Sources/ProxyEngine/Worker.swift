// One event loop on its own thread. A worker owns its listeners (one SO_REUSEPORT socket
// per listen address), its connections, its buffers and its timers outright; it shares
// only the routes (immutable, with an atomic round-robin counter) and its control inbox.
import LinuxIO
import Logging
import ServiceConfig
import Synchronization

/// A listening socket of a worker and the service port it serves.
final class WorkerListener {
    let id: UInt32
    let descriptor: FileDescriptor
    var address: ListenAddress
    /// Swapped by a reload; a connection keeps the route it was accepted with.
    var route: ServicePortRoute

    init(id: UInt32, descriptor: consuming FileDescriptor, address: ListenAddress, route: ServicePortRoute) {
        self.id = id
        self.descriptor = descriptor
        self.address = address
        self.route = route
    }

    var token: UInt64 { EventToken(kind: .listener, slot: id, generation: 0).rawValue }
}

final class Worker {
    /// kube-proxy's connect ladder: four tries, each with a longer timeout.
    static let connectTimeouts: [UInt64] = [250, 500, 1_000, 2_000].map { $0 * 1_000_000 }
    /// How long accepting pauses when descriptors run out.
    static let acceptPause: UInt64 = 100_000_000
    /// Most connections accepted per listener event, so accepting cannot starve relaying.
    static let acceptsPerEvent = 32

    let index: Int
    let epoll: Epoll
    let control: WorkerControl
    var logger: Logger
    var listeners: [UInt32: WorkerListener] = [:]
    var connections = ConnectionTable()
    var timers = TimerQueue()
    let pool = BufferPool()
    var logLimiter = LogLimiter()
    /// Registration tags; 0 is never used.
    private var lastTag: UInt32 = 0
    /// Set while accepting is paused for lack of descriptors: when to try again.
    var acceptResumeAt: UInt64?
    var acceptExhaustionLogged = false
    /// Set once the worker is told to drain: when to give up on open connections.
    var drainDeadline: UInt64?
    /// Longest sleep in epoll_wait, so the worker checks in for the watchdog.
    let checkInInterval: UInt64
    /// Log one entry per finished connection.
    let accessLog: Bool

    init(index: Int, control: WorkerControl, logger: Logger, checkInInterval: UInt64, accessLog: Bool) throws(Errno) {
        self.index = index
        self.accessLog = accessLog
        self.control = control
        self.logger = logger
        self.logger[metadataKey: "worker"] = "\(index)"
        self.checkInInterval = checkInInterval
        epoll = try Epoll(capacity: 256)
        try epoll.add(control.wakeup.descriptor.rawValue, wanted: .readable,
                      token: EventToken(kind: .wakeup, slot: 0, generation: 0).rawValue)
    }

    func nextTag() -> UInt32 {
        lastTag = lastTag == EventToken.generationMask ? 1 : lastTag + 1
        return lastTag
    }

    /// Runs until a drain has finished, then closes whatever is left.
    func run() {
        while !drainFinished {
            let count: Int
            do {
                count = try epoll.wait(timeoutMilliseconds: waitTimeout())
            } catch {
                // Only a bug can get here (EBADF, EINVAL); carrying on without this loop
                // would hang the next reload, so fail loudly and let systemd restart us.
                logger.critical("epoll_wait failed: \(error)")
                fatalError("svcproxy bug: epoll_wait failed in worker \(index): \(error)")
            }
            for i in 0..<count {
                let event = epoll.event(at: i)
                dispatch(EventToken(rawValue: event.token), event.events)
            }
            fireTimers()
            control.lastCheckIn.store(MonotonicClock.now(), ordering: .relaxed)
        }
        if connections.count > 0 {
            logger.notice("Closing \(connections.count) connections still open at the end of the shutdown grace period",
                          metadata: ["event": "drain-expired"])
        }
        for connection in connections.all { close(connection, reset: true) }
        control.lastCheckIn.store(.max, ordering: .relaxed)  // finished, not stalled
    }

    /// Draining, and nothing (or no time) is left.
    private var drainFinished: Bool {
        guard let deadline = drainDeadline else { return false }
        return connections.count == 0 || MonotonicClock.now() >= deadline
    }

    private func dispatch(_ token: EventToken, _ events: EpollEvents) {
        switch token.kind {
        case .wakeup:
            control.wakeup.drain()
            for command in control.takeCommands() { perform(command) }
        case .listener:
            guard let listener = listeners[token.slot] else { return }
            acceptConnections(on: listener)
        case .client:
            guard let connection = connections[token.slot], connection.clientTag == token.generation else { return }
            clientEvent(connection, events)
        case .backend:
            guard let connection = connections[token.slot], connection.backendTag == token.generation else { return }
            backendEvent(connection, events)
        }
    }

    /// Milliseconds until the earliest deadline, rounded up, and never longer than the
    /// check-in interval.
    private func waitTimeout() -> Int32 {
        let now = MonotonicClock.now()
        var earliest = now + checkInInterval
        if let deadline = timers.earliestDeadline, deadline < earliest { earliest = deadline }
        if let deadline = acceptResumeAt, deadline < earliest { earliest = deadline }
        if let deadline = drainDeadline, deadline < earliest { earliest = deadline }
        if earliest <= now { return 0 }
        return Int32(min((earliest - now + 999_999) / 1_000_000, 60_000))
    }

    private func fireTimers() {
        guard timers.earliestDeadline != nil || acceptResumeAt != nil else { return }
        let now = MonotonicClock.now()
        if let resume = acceptResumeAt, resume <= now { resumeAccepting() }
        while let entry = timers.popDue(now: now) {
            if entry.kind == .activity {
                activityTimerFired(entry, now: now)
                continue
            }
            guard let connection = connections[entry.slot], connection.backendTag == entry.tag,
                  case .connecting = connection.state else { continue }
            connectFailed(connection, .timedOut)
        }
    }

    /// Registers, re-registers or removes `side`'s socket so that epoll watches exactly
    /// what the connection wants; calls epoll_ctl only when that changed.
    func updateInterest(_ connection: Connection, _ side: Connection.Side) {
        guard !connection.isClosed else { return }
        let wanted = connection.wantedEvents(side)
        let current = side == .client ? connection.clientInterest : connection.backendInterest
        guard wanted != current else { return }
        let fd = side == .client ? connection.client.rawValue : connection.backend.rawValue
        let tag = side == .client ? connection.clientTag : connection.backendTag
        let token = EventToken(kind: side == .client ? .client : .backend, slot: connection.slot, generation: tag).rawValue
        do {
            if current.isEmpty {
                try epoll.add(fd, wanted: wanted, token: token)
            } else if wanted.isEmpty {
                // Removed rather than left with an empty mask: epoll reports hang-ups even
                // then, and a level-triggered hang-up nobody handles would spin the loop.
                try epoll.remove(fd)
            } else {
                try epoll.modify(fd, wanted: wanted, token: token)
            }
        } catch {
            logger.error("epoll_ctl failed for a connection of \(connection.route.name): \(error)")
            close(connection, reset: true)
            return
        }
        if side == .client { connection.clientInterest = wanted } else { connection.backendInterest = wanted }
    }

    /// Closes both sockets; with `reset`, they send RST rather than FIN, so a failure is
    /// seen as one by both peers.
    func close(_ connection: Connection, reset: Bool) {
        guard !connection.isClosed else { return }
        connection.isClosed = true
        releaseLimits(of: connection)
        if case .established = connection.state {
            connection.counters.closed.bump()
        }
        if accessLog { logAccess(connection, reset: reset) }
        if reset {
            try? connection.client.setResetOnClose()
            try? connection.backend.setResetOnClose()
        }
        connection.upstream.release(to: pool)
        connection.downstream.release(to: pool)
        connections.remove(connection)
        // The descriptors close when the connection object goes away, just after this.
    }

    /// Logs `message` at most once per interval for each `event` and `subject` (a service,
    /// an endpoint), saying how many were held back; `event` is also the entry's
    /// SVCPROXY_EVENT field.
    func logLimited(_ level: Logger.Level, event: String, subject: String = "",
                    _ message: @autoclosure () -> String, metadata: @autoclosure () -> Logger.Metadata = [:]) {
        guard let suppressed = logLimiter.admit("\(event)|\(subject)", now: MonotonicClock.now()) else { return }
        let suffix = suppressed > 0 ? " (\(suppressed) similar messages suppressed)" : ""
        var metadata = metadata()
        metadata["event"] = "\(event)"
        logger.log(level: level, "\(message())\(suffix)", metadata: metadata)
    }
}
