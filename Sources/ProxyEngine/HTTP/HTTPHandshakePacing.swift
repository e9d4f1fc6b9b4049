// TLS handshakes paced per turn of the loop. A full handshake's first step (a signature
// and a key exchange) takes hundreds of microseconds of CPU, and a client that opens many
// connections at once (wrk's hundred, a pool filling after a restart) has all their
// ClientHellos ready in one poll: shaken hands with one after the other, they held every
// open connection's requests up for tens of milliseconds (p99 at one worker 21.9 ms
// against nginx's 7.8, `bench/run --workloads tls-keepalive`). So a turn takes handshake
// steps for at most `handshakeTimePerTurn`, and the sessions left wait, in the order they
// came, for the next turns, which begin with them; the requests that are ready go through
// in between, as they do in nginx, which accepts one connection per turn
// (`multi_accept off`).

extension HTTPProxyHandler {
    /// Handshake time a turn may spend: about two ECDSA P-256 full handshakes, one RSA-2048.
    static let handshakeTimePerTurn: UInt64 = 1_000_000

    /// Some handshakes wait for a later turn: the worker's next poll must not sleep.
    var hasWaitingHandshakes: Bool { !waitingHandshakes.isEmpty }

    /// Whether `session` may take a handshake step in this turn; if not, it waits for a
    /// later one.
    func takeHandshakeTurn(_ session: HTTPSession) -> Bool {
        if session.handshakeWaiting { return false }
        guard handshakeTimeThisTurn >= Self.handshakeTimePerTurn else { return true }
        session.handshakeWaiting = true
        waitingHandshakes.append(session)
        tlsCounters.paced.bump()
        return false
    }

    /// Starts a turn: its handshake time is unspent, and the sessions that waited take
    /// their steps first, as far as the time goes.
    func startTurn() {
        handshakeTimeThisTurn = 0
        guard !waitingHandshakes.isEmpty else { return }
        var resumed = 0
        for session in waitingHandshakes {
            guard handshakeTimeThisTurn < Self.handshakeTimePerTurn else { break }
            resumed += 1
            session.handshakeWaiting = false
            guard sessions[session.slot] === session, session.phase == .handshaking else { continue }
            advance(session)
        }
        waitingHandshakes.removeFirst(resumed)
    }
}
