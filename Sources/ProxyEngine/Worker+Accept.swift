// Accepting: take pending connections from a listener, refuse at once when the service
// port has no endpoint, and survive running out of descriptors (EMFILE/ENFILE) by pausing
// accepts for a moment instead of spinning or crashing; the kernel keeps the backlog.
import LinuxIO
import Logging

extension Worker {
    func acceptConnections(on listener: WorkerListener) {
        for _ in 0..<Self.acceptsPerEvent {
            let result: IOResult<AcceptedConnection>
            do {
                result = try listener.descriptor.accept()
            } catch let error where error.isDescriptorExhaustion || error == .noBufferSpace || error == .noMemory {
                pauseAccepting(after: error, on: listener)
                return
            } catch {
                // ECONNABORTED and friends: that one connection is gone; keep accepting.
                logLimited(.notice, event: "accept-failed", subject: "\(error.rawValue)",
                           "Failed to accept a connection on \(listener.address): \(error)")
                continue
            }
            switch consume result {
            case .wouldBlock:
                return
            case .done(let accepted):
                if acceptExhaustionLogged {
                    acceptExhaustionLogged = false
                    logger.notice("Accepting connections again: descriptors are available", metadata: ["event": "accept-resumed"])
                }
                admit(accepted, from: listener)
                if acceptResumeAt != nil { return }  // admitting ran out of descriptors
            }
        }
    }

    /// Starts relaying an accepted connection, or refuses it with a reset.
    private func admit(_ accepted: consuming AcceptedConnection, from listener: WorkerListener) {
        let route = listener.route
        let peer = accepted.peer
        let client = accepted.takeSocket()
        route.statistics.perWorker[index].accepted.bump()
        guard let choice = chooseEndpoint(route: route, peer: peer, client: client) else { return }
        let start = choice.start
        let target = route.endpoint(start: start, attempt: 0)
        let backend: FileDescriptor
        do {
            backend = try FileDescriptor.tcpSocket(for: target.address)
        } catch {
            logLimited(.warning, event: "socket-failed", subject: "\(error.rawValue)",
                       "Failed to create a socket for endpoint \(target.endpoint) of \(route.name): \(error); refusing the connection")
            releaseLimits(choice.tokens, route: route)
            try? client.setResetOnClose()
            if error.isDescriptorExhaustion {
                // Accepting more would only reset more: leave them queued until descriptors free up.
                pauseAccepting(after: error, on: listener)
            }
            return
        }
        let slot = connections.reserveSlot()
        let connection = Connection(slot: slot, client: client, clientAddress: peer, backend: backend,
                                    route: route, startIndex: start, counters: target.counters[index],
                                    acceptedAt: accessLog ? MonotonicClock.now() : 0)
        connection.clientTag = nextTag()
        adopt(choice, into: connection)
        connections.insert(connection)
        connect(connection)
    }

    private func pauseAccepting(after error: Errno, on listener: WorkerListener) {
        if !acceptExhaustionLogged {
            acceptExhaustionLogged = true
            logger.warning("Failed to accept a connection on \(listener.address): \(error); pausing accepts until descriptors free up",
                           metadata: ["open_connections": "\(connections.count)", "event": "accept-paused"])
        }
        for listener in listeners.values {
            try? epoll.modify(listener.descriptor.rawValue, wanted: [], token: listener.token)
        }
        acceptResumeAt = MonotonicClock.now() + Self.acceptPause
    }

    func resumeAccepting() {
        acceptResumeAt = nil
        for listener in listeners.values {
            try? epoll.modify(listener.descriptor.rawValue, wanted: .readable, token: listener.token)
        }
    }
}
