// TLS handshakes paced per turn of the loop. A full handshake's first step (a signature
// and a key exchange) takes hundreds of microseconds of CPU, and a client that opens many
// connections at once (wrk's hundred, a pool filling after a restart) has all their
// ClientHellos ready in one poll: shaken hands with one after the other, they held every
// open connection's requests up for tens of milliseconds (p99 at one worker 21.9 ms
// against nginx's 7.8, `bench/run --workloads tls-keepalive`). So a turn takes handshake
// steps for at most `handshakeTimePerTurn`, and the sessions left wait, in the order they
// came, for the next turns, which begin with them; the requests that are ready go through
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
    var hasWaitingHandshakes: Bool { !waitingHandshakes.isEmpty }

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

    /// A session closed while waiting leaves the queue now, so that its descriptor closes
    /// with it.
    func stopWaitingForHandshake(_ session: HTTPSession) {
        guard session.handshakeWaiting else { return }
        session.handshakeWaiting = false
        waitingHandshakes.removeAll { $0 === session }
    }

    /// Starts a turn: its handshake time is unspent, and the sessions that waited take
    /// their steps first, as far as the time goes.
    func startTurn() {
        handshakeTimeThisTurn = 0
        guard !waitingHandshakes.isEmpty else { return }
        let waiting = waitingHandshakes
        waitingHandshakes = []
        var next = 0
        while next < waiting.count, handshakeTimeThisTurn < Self.handshakeTimePerTurn {
            let session = waiting[next]
            next += 1
            session.handshakeWaiting = false
            guard sessions[session.slot] === session, session.phase == .handshaking else { continue }
            advance(session)
        }
        // Those not reached keep their places, ahead of any that had to wait meanwhile.
        if next < waiting.count { waitingHandshakes = Array(waiting[next...]) + waitingHandshakes }
    }
}
