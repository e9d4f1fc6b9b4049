// The life of a relayed TCP connection as one exhaustive switch over (phase, event):
// connecting (possibly through several endpoints) → established → closed. Half-close is
// not a phase but a flag per flow, as in HAProxy. The machine does no I/O: the handler
// performs the action it returns and reports what happened as the next event, so every
// transition is table-tested without a socket (RelayMachineTests).
import LinuxIO

struct RelayMachine: Equatable {
    enum Phase: Equatable {
        /// Connect attempt `attempt` is in flight.
        case connecting
        case established
        case closed
    }

    enum Event: Equatable {
        /// The endpoint accepted: connect(2) finished, or the socket became writable
        /// without an error.
        case connected
        /// The connect failed: refused, unreachable, or any other error of connect(2).
        case connectFailed(Errno)
        /// The attempt's connect timer came due.
        case connectTimedOut
        /// A relay step moved what it could (the flows say what is left).
        case relayed
        /// A read, write or shutdown failed.
        case relayFailed(Errno)
        /// The connection was silent for its idle or half-close timeout.
        case silenceExpired
        /// The shutdown grace period ended.
        case drainExpired
        /// The connection cannot go on: no socket for the next endpoint, or epoll refused
        /// to watch one.
        case aborted(Errno)
    }

    /// Why a connection is reset rather than closed.
    enum Failure: Equatable {
        case connectsExhausted
        case io(Errno)
        case idleTimeout
        case halfCloseTimeout
        case drainExpired
    }

    enum Action: Equatable {
        /// Nothing: the event came for a phase it no longer concerns (a stale timer).
        case none
        /// Make a new endpoint socket and start connect attempt `attempt`.
        case connect(attempt: Int)
        /// Connected: watch both sockets as the flows want.
        case startRelaying
        /// Shut the write side of these sockets down (a half-close to relay), then watch.
        case shutDown(client: Bool, backend: Bool)
        /// Watch both sockets as the flows want.
        case watch
        /// Both directions finished: close, sending the FINs still owed.
        case close
        /// Close with a reset, so both peers see a failure as one.
        case reset(Failure)
    }

    enum Side {
        case client
        case backend
    }

    // Widest fields first, small counts as bytes: every open connection holds one.
    /// Client → backend.
    var upstream = Flow()
    /// Backend → client.
    var downstream = Flow()
    private var attemptIndex: UInt8 = 0
    /// Connect attempts before the client is reset.
    private let attemptLimit: UInt8
    private(set) var phase: Phase = .connecting
    /// The connect succeeded at some point (the connection counts as established and
    /// closed in the statistics, and its access log entry is not "connect-failed").
    private(set) var connected = false

    init(attempts: Int) {
        attemptLimit = UInt8(clamping: max(1, attempts))
    }

    /// The connect attempt (0-based) in flight, or the one that succeeded.
    var attempt: Int { Int(attemptIndex) }

    var isEstablished: Bool { phase == .established }
    var isClosed: Bool { phase == .closed }
    /// One side finished sending: the half-close timeout applies.
    var isHalfClosed: Bool { upstream.destinationShut || downstream.destinationShut }

    mutating func handle(_ event: Event) -> Action {
        switch (phase, event) {
        case (.closed, _):
            return .none
        case (_, .drainExpired):
            return fail(.drainExpired)
        case (_, .aborted(let error)):
            return fail(.io(error))
        case (.connecting, .connected):
            phase = .established
            connected = true
            return .startRelaying
        case (.connecting, .connectFailed), (.connecting, .connectTimedOut):
            guard attemptIndex + 1 < attemptLimit else { return fail(.connectsExhausted) }
            attemptIndex += 1
            return .connect(attempt: attempt)
        case (.connecting, .relayed), (.connecting, .relayFailed), (.connecting, .silenceExpired):
            return .none
        case (.established, .connected), (.established, .connectFailed), (.established, .connectTimedOut):
            return .none
        case (.established, .relayed):
            return settle()
        case (.established, .relayFailed(let error)):
            return fail(.io(error))
        case (.established, .silenceExpired):
            return fail(isHalfClosed ? .halfCloseTimeout : .idleTimeout)
        }
    }

    /// After a relay step: a finished connection closes; a source that ended with
    /// everything written has its half-close relayed; otherwise keep watching.
    private mutating func settle() -> Action {
        // Both sources ended and everything was written: close(2) sends the FINs that are
        // still owed, so no shutdown call is needed. Neither socket holds unread bytes
        // here, so close does not turn into a reset.
        if upstream.isDrained && downstream.isDrained {
            phase = .closed
            return .close
        }
        let shutBackend = upstream.shouldShutDestination
        let shutClient = downstream.shouldShutDestination
        guard shutBackend || shutClient else { return .watch }
        if shutBackend { upstream.destinationShut = true }
        if shutClient { downstream.destinationShut = true }
        return .shutDown(client: shutClient, backend: shutBackend)
    }

    private mutating func fail(_ failure: Failure) -> Action {
        phase = .closed
        return .reset(failure)
    }

    /// What a socket being read is watched for: its bytes, and its peer's end
    /// (EPOLLRDHUP), so that the read that finds the end is made with the one before it
    /// (`Flow.pump`'s `sourceHungUp`).
    static var reading: EpollEvents { [.readable, .readHangup] }

    /// What `side`'s socket must be watched for, derived from the phase and flows alone.
    func wantedEvents(_ side: Side) -> EpollEvents {
        switch phase {
        case .closed:
            return []
        case .connecting:
            return side == .backend ? .writable : []
        case .established:
            var wanted: EpollEvents = []
            switch side {
            case .client:
                if upstream.wantsRead { wanted.formUnion(Self.reading) }
                if downstream.wantsWrite { wanted.insert(.writable) }
            case .backend:
                if downstream.wantsRead { wanted.formUnion(Self.reading) }
                if upstream.wantsWrite { wanted.insert(.writable) }
            }
            return wanted
        }
    }
}
