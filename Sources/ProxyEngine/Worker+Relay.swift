// Relaying: readiness on either socket moves bytes in the directions it concerns, then
// the connection settles: half-closes are relayed, a finished connection is closed, and
// the epoll interest of both sockets is brought in line with the flows.
import LinuxIO
import Logging

extension Worker {
    // Each handler reads the socket that reported first, then writes to it: when a peer
    // answers and resets at once (an HTTP 413 during an upload), its answer is read and
    // relayed before the failing write closes the connection.
    func clientEvent(_ connection: Connection, _ events: EpollEvents) {
        guard case .established = connection.state else { return }
        if !events.intersection([.readable, .error, .hangup]).isEmpty {
            guard pump(connection, from: .client) else { return }
        }
        if events.contains(.writable) || events.contains(.error) || events.contains(.hangup) {
            guard pump(connection, from: .backend) else { return }
        }
        settle(connection)
    }

    func backendEvent(_ connection: Connection, _ events: EpollEvents) {
        guard case .established = connection.state else {
            connectionCompleted(connection, events)
            return
        }
        if !events.intersection([.readable, .error, .hangup]).isEmpty {
            guard pump(connection, from: .backend) else { return }
        }
        if events.contains(.writable) || events.contains(.error) || events.contains(.hangup) {
            guard pump(connection, from: .client) else { return }
        }
        settle(connection)
    }

    /// Moves the direction that starts at `source`; false if the connection failed and
    /// was closed.
    private func pump(_ connection: Connection, from source: Connection.Side) -> Bool {
        let outcome: PumpOutcome
        switch source {
        case .client:
            let before = connection.upstream.bytesMoved
            outcome = connection.upstream.pump(from: connection.client, to: connection.backend, pool: pool)
            connection.counters.bytesSent.bump(by: connection.upstream.bytesMoved &- before)
        case .backend:
            let before = connection.downstream.bytesMoved
            outcome = connection.downstream.pump(from: connection.backend, to: connection.client, pool: pool)
            connection.counters.bytesReceived.bump(by: connection.downstream.bytesMoved &- before)
        }
        if case .failed(let error) = outcome {
            logger.debug("Connection for \(connection.route.name) via \(connection.endpoint.endpoint) failed: \(error)")
            close(connection, reset: true)
            return false
        }
        return true
    }

    /// Relays half-closes, closes a finished connection, and updates epoll interest.
    private func settle(_ connection: Connection) {
        // Both sources ended and everything was written: close(2) sends the FINs that
        // are still owed, so no shutdown call is needed. Neither socket holds unread
        // bytes here, so close does not turn into a reset.
        if connection.upstream.isDrained && connection.downstream.isDrained {
            close(connection, reset: false)
            return
        }
        do {
            if connection.upstream.shouldShutDestination {
                try connection.backend.shutdown(.write)
                connection.upstream.destinationShut = true
            }
            if connection.downstream.shouldShutDestination {
                try connection.client.shutdown(.write)
                connection.downstream.destinationShut = true
            }
        } catch {
            close(connection, reset: true)
            return
        }
        updateInterest(connection, .client)
        updateInterest(connection, .backend)
        noteActivity(connection)
    }
}
