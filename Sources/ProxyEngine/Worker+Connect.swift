// Connecting to an endpoint: a non-blocking connect with a per-try timeout; on refusal,
// error or timeout the next endpoint is tried, up to four tries with kube-proxy's
// timeouts (250 ms, 500 ms, 1 s, 2 s). When every try fails the client is reset.
import LinuxIO
import Logging

extension Worker {
    /// Starts connect attempt `connection.attempt` on the current backend socket.
    func connect(_ connection: Connection) {
        let target = connection.endpoint
        connection.counters = target.counters[index]
        connection.backendTag = nextTag()
        do {
            switch try connection.backend.connect(to: target.address) {
            case .done:
                established(connection)
            case .wouldBlock:
                let deadline = MonotonicClock.now() + connectTimeout(for: connection)
                connection.state = .connecting(deadline: deadline)
                schedule(.init(deadline: deadline, slot: connection.slot, tag: connection.backendTag))
                updateInterest(connection, .backend)
            }
        } catch {
            connectFailed(connection, error)
        }
    }

    /// The backend socket became writable (or failed) while connecting.
    func connectionCompleted(_ connection: Connection, _ events: EpollEvents) {
        // Writable without an error or hang-up means the connect succeeded (connect(2));
        // only a failure needs SO_ERROR to learn why.
        if events == .writable {
            established(connection)
            return
        }
        do {
            if let error = try connection.backend.pendingError() {
                connectFailed(connection, error)
            } else {
                established(connection)
            }
        } catch {
            connectFailed(connection, error)
        }
    }

    func connectFailed(_ connection: Connection, _ error: Errno) {
        let target = connection.endpoint
        let name = connection.route.name
        connection.counters.connectErrors.bump()
        connection.counters.lastConnect.store(ConnectOutcome.failed.rawValue, ordering: .relaxed)
        logLimited(.warning, event: "connect-failed", subject: "\(name)|\(target.endpoint)",
                   "Failed to connect to endpoint \(target.endpoint) for \(name): \(error)",
                   metadata: ["service": "\(name)", "endpoint": "\(target.endpoint)"])
        connection.attempt += 1
        guard connection.attempt < Self.connectTimeouts.count else {
            connection.route.statistics.perWorker[index].connectsExhausted.bump()
            logLimited(.warning, event: "connect-exhausted", subject: "\(name)",
                       "Giving up on a connection for \(name) after \(connection.attempt) tries; resetting the client",
                       metadata: ["service": "\(name)"])
            close(connection, reset: true)
            return
        }
        connection.route.statistics.perWorker[index].retries.bump()
        let next = connection.endpoint
        do {
            // The old socket closes here, which also takes it out of the epoll set.
            connection.backend = try FileDescriptor.tcpSocket(for: next.address)
            connection.backendInterest = []
        } catch {
            logLimited(.warning, event: "socket-failed", subject: "\(error.rawValue)",
                       "Failed to create a socket for endpoint \(next.endpoint) of \(name): \(error); resetting the client")
            close(connection, reset: true)
            return
        }
        connect(connection)
    }

    private func established(_ connection: Connection) {
        connection.state = .established
        connection.counters.established.bump()
        connection.counters.lastConnect.store(ConnectOutcome.succeeded.rawValue, ordering: .relaxed)
        try? connection.backend.setNoDelay()
        updateInterest(connection, .client)
        updateInterest(connection, .backend)
        didEstablish(connection)
    }
}
