// Timeouts beyond the connect ladder: `--connect-timeout` replaces the ladder's per-try
// timeout; an idle timeout (`--idle-timeout`, annotation `svcproxy.io/idle-timeout`)
// closes a connection that has been silent that long; and a half-close timeout closes a
// connection one side has finished once it has been silent that long, so a peer that
// never finishes cannot hold it forever. Each connection has at most one live activity
// timer; its deadline is checked against the latest activity when it fires (and moved on
// if there was some), so a busy connection costs a timestamp per relay step, not a timer.
import LinuxIO
import Logging

extension Worker {
    /// How long connect attempt `connection.attempt` may take, in nanoseconds.
    func connectTimeout(for connection: Connection) -> UInt64 {
        connection.route.rules.connectTimeout ?? Self.connectTimeouts[connection.attempt]
    }

    /// After a connection is established: pins an affinity client that had to move, and
    /// starts watching for silence.
    func didEstablish(_ connection: Connection) {
        if connection.affinityClient != nil { repin(connection) }
        noteActivity(connection)
    }

    /// The silence a connection may keep now, in nanoseconds; zero means no limit.
    private func silenceLimit(_ connection: Connection) -> UInt64 {
        let idle = connection.idleLimit
        guard connection.upstream.destinationShut || connection.downstream.destinationShut else { return idle }
        let halfClose = connection.route.rules.halfCloseTimeout
        if idle == 0 { return halfClose }
        return halfClose == 0 ? idle : min(idle, halfClose)
    }

    /// Called after every relay step: remembers the activity and arms the timer if none
    /// due soon enough is armed.
    func noteActivity(_ connection: Connection) {
        let limit = silenceLimit(connection)
        guard limit != 0, !connection.isClosed else { return }
        let now = MonotonicClock.now()
        connection.lastActivity = now
        let due = now + limit
        if connection.activityDeadline == 0 || due < connection.activityDeadline {
            scheduleActivityTimer(connection, at: due)
        }
    }

    private func scheduleActivityTimer(_ connection: Connection, at deadline: UInt64) {
        connection.activityDeadline = deadline
        schedule(.init(deadline: deadline, slot: connection.slot, tag: connection.clientTag, kind: .activity))
    }

    /// Adds a timer. Timers that no longer matter (their connection closed, connected, or
    /// re-armed) stay in the heap until due; once they outnumber the live ones they are
    /// dropped, so long timeouts cannot make the heap grow without bound.
    func schedule(_ entry: TimerQueue.Entry) {
        if timers.count > 1024 + 3 * connections.count {
            timers.removeAll { !isLive($0) }
        }
        timers.schedule(entry)
    }

    /// Whether a timer can still fire for something: a connect still in progress, or the
    /// activity deadline its connection is waiting for.
    private func isLive(_ entry: TimerQueue.Entry) -> Bool {
        guard let owner = connections[entry.slot] else { return false }
        switch entry.kind {
        case .activity:
            return owner.clientTag == entry.tag && owner.activityDeadline == entry.deadline
        case .connect:
            guard case .connecting = owner.state else { return false }
            return owner.backendTag == entry.tag
        }
    }

    /// An activity timer came due: close the connection if it was silent for its whole
    /// limit, else look again when it would have been.
    func activityTimerFired(_ entry: TimerQueue.Entry, now: UInt64) {
        guard let connection = connections[entry.slot], connection.clientTag == entry.tag,
              connection.activityDeadline == entry.deadline else { return }
        connection.activityDeadline = 0
        let limit = silenceLimit(connection)
        guard limit != 0 else { return }
        let due = connection.lastActivity + limit
        guard due <= now else {
            scheduleActivityTimer(connection, at: due)
            return
        }
        let halfClosed = connection.upstream.destinationShut || connection.downstream.destinationShut
        let name = connection.route.name
        logLimited(.info, event: halfClosed ? "half-close-timeout" : "idle-timeout", subject: "\(name)",
                   "Closing a connection for \(name) via \(connection.endpoint.endpoint) after \(limit / 1_000_000) ms "
                       + (halfClosed ? "half-closed and silent" : "idle"),
                   metadata: ["service": "\(name)", "endpoint": "\(connection.endpoint.endpoint)"])
        close(connection, reset: true)
    }
}
