// TLS handshakes paced per turn of the loop. A full handshake's first step (a signature
// and a key exchange) takes hundreds of microseconds of CPU, and a client that opens many
// connections at once (wrk's hundred, a pool filling after a restart) has all their
// ClientHellos ready in one poll: shaken hands with one after the other, they held every
// open connection's requests up for tens of milliseconds (p99 at one worker 21.9 ms
// against nginx's 7.8, `bench/run --workloads tls-keepalive`). So a turn starts no more
// handshake steps once it has spent `handshakeTimePerTurn` on them (the step under way
// may run past it), and the sessions left wait, in the order they came, for the next
// turns, which begin with them; the requests that are ready go through
// in between, as they do in nginx, which accepts one connection per turn
// (`multi_accept off`). Only a handshake's costly step waits: the steps after it (reading
// the client's Finished) take microseconds, and holding them back would make every
// connection of a burst finish near its end rather than in turn. A waiting session's
// socket is out of the epoll set (`updateInterest`): the turns resume it by themselves,
// and hundreds of ready ClientHellos reported again each poll would crowd out the events
// of open connections.

extension HTTPProxyHandler {
    /// Handshake time after which a turn starts no more handshake steps: about two ECDSA
    /// P-256 full handshakes or one RSA-2048 (a step started before it may run past it).
    static let handshakeTimePerTurn: UInt64 = 1_000_000
    /// A step that took longer did the handshake's costly work (a signature and a key
    /// exchange); the session's later steps are not paced.
    static let costlyHandshakeStep: UInt64 = 50_000

    /// Some handshakes wait for a later turn: the worker's next poll must not sleep.
    var hasWaitingHandshakes: Bool { waitingHead < waitingHandshakes.count }

    /// Whether `session` may take a handshake step in this turn; if not, it waits for a
    /// later one.
    func takeHandshakeTurn(_ session: HTTPSession) -> Bool {
        if session.handshakeWaiting { return false }
        guard handshakeTimeThisTurn >= Self.handshakeTimePerTurn, !session.handshakeCostPaid else { return true }
        session.handshakeWaiting = true
        waitingHandshakes.append(session)
        tlsCounters.paced.bump()
        return false
    }

    /// Counts a handshake step's time against the turn's, and remembers a costly one.
    func handshakeStepTook(_ nanoseconds: UInt64, _ session: HTTPSession) {
        handshakeTimeThisTurn &+= nanoseconds
        if nanoseconds >= Self.costlyHandshakeStep { session.handshakeCostPaid = true }
    }

    /// Notes a session closed while it waits. It stays queued, to be passed over, until a
    /// turn reaches it or closed ones are half the queue, which a turn then drops: their
    /// descriptors close with them (searching the queue at each close would cost its
    /// length, and handshake timeouts come due together).
    func stopWaitingForHandshake(_ session: HTTPSession) {
        if session.handshakeWaiting { closedWhileWaiting += 1 }
    }

    /// Starts a turn: its handshake time is unspent, and the sessions that waited take
    /// their steps first, in order, as far as the time goes.
    func startTurn() {
        handshakeTimeThisTurn = 0
        guard hasWaitingHandshakes else { return }
        while waitingHead < waitingHandshakes.count, handshakeTimeThisTurn < Self.handshakeTimePerTurn {
            let session = waitingHandshakes[waitingHead]
            waitingHead += 1
            session.handshakeWaiting = false
            guard session.phase == .handshaking, sessions[session.slot] === session else {
                if session.phase == .closed { closedWhileWaiting -= 1 }
                continue
            }
            advance(session)
        }
        compactWaitingHandshakes()
    }

    /// Drops the entries turns have passed once they are half the array (each entry is
    /// moved once on average), and closed sessions once they are half of those left.
    private func compactWaitingHandshakes() {
        if waitingHead == waitingHandshakes.count {
            waitingHandshakes.removeAll(keepingCapacity: true)
            waitingHead = 0
            closedWhileWaiting = 0
            return
        }
        let left = waitingHandshakes.count - waitingHead
        guard 2 * closedWhileWaiting >= left || (waitingHead >= 1024 && 2 * waitingHead >= waitingHandshakes.count) else { return }
        waitingHandshakes = waitingHandshakes[waitingHead...].filter { $0.phase != .closed }
        waitingHead = 0
        closedWhileWaiting = 0
    }
}
