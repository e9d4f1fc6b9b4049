// How a session's bytes reach its client: straight on the socket for HTTP, through the
// session's TLS connection for HTTPS. Everything above (parsing, routing, relaying) sees
// plaintext either way. With TLS, readiness is OpenSSL's as much as the socket's: a read
// may want the socket writable (a key update), a write may want it readable, and records
// already decrypted wait inside OpenSSL without the socket turning readable again, so a
// TLS read counts as drained only when OpenSSL holds nothing more.
import LinuxIO
import TLS

extension HTTPProxyHandler {
    /// One read of plaintext from the client onto the end of `queue`.
    func readClient(_ session: HTTPSession, into queue: inout ByteQueue) -> IOStep {
        guard let tls = session.tls else { return read(from: session.client, into: &queue) }
        session.tlsReadWaits = []
        var step: TLSStep<Int> = .done(0)
        _ = queue.append(upTo: pool.bufferSize) { room, count in
            step = tls.read(into: room, count: count)
            guard case .done(let read) = step else { return nil }
            return read
        }
        switch step {
        case .done(0):
            return .ended
        case .done:
            // OpenSSL reads ahead: with nothing left in its buffers the socket was empty
            // when it read, and epoll (level-triggered) reports what comes next.
            return tls.hasBufferedPlaintext ? .progressed : .drained
        case .wantRead:
            return .blocked
        case .wantWrite:
            session.tlsReadWaits = .writable
            return .blocked
        case .failed(let error):
            loop.logger.debug("TLS read from \(session.clientAddress) failed: \(error)")
            return .failed(.connectionReset)
        }
    }

    /// Writes what `session.toClient` holds until it is empty or the client would block.
    func flushClient(_ session: HTTPSession) -> IOStep {
        guard let tls = session.tls else { return flush(&session.toClient, to: session.client, endFollows: session.sendsItsLast) }
        session.tlsWriteWaits = []
        while !session.toClient.isEmpty {
            let step = session.toClient.withBytes { bytes -> TLSStep<Int> in
                guard let start = bytes.baseAddress else { return .done(0) }
                return tls.write(from: start, count: bytes.count)
            }
            switch step {
            case .done(let count):
                session.toClient.consume(count)
            case .wantWrite:
                return .blocked
            case .wantRead:
                session.tlsWriteWaits = .readable
                return .blocked
            case .failed(let error):
                loop.logger.debug("TLS write to \(session.clientAddress) failed: \(error)")
                return .failed(.brokenPipe)
            }
        }
        return .progressed
    }

    /// Ends what we send: close_notify first over TLS, then the socket's sending half.
    /// False while close_notify waits for room in the socket (try again when writable;
    /// without it an HTTPS client sees a body ended by closing as cut short).
    func shutDownClient(_ session: HTTPSession) -> Bool {
        if let tls = session.tls, case .wantWrite = tls.shutdown() {
            session.tlsWriteWaits = .writable
            return false
        }
        try? session.client.shutdown(.write)
        return true
    }

    /// Drives the TLS handshake; once done, the session waits for its first request.
    func stepHandshake(_ session: HTTPSession) -> Bool {
        guard let tls = session.tls else {
            awaitHead(session)
            return true
        }
        guard takeHandshakeTurn(session) else { return false }
        session.tlsReadWaits = []
        let started = MonotonicClock.now()
        let result = tls.handshake()
        handshakeStepTook(MonotonicClock.now() &- started, session)
        switch result {
        case .done:
            tlsCounters.handshakeCompleted(version: tls.protocolVersion, resumed: tls.resumed, kernelTLS: tls.kernelTLS.send)
            awaitHead(session)
            return true
        case .wantRead:
            session.readable = false
        case .wantWrite:
            session.writable = false
            session.tlsReadWaits = .writable
        case .failed(let error):
            tlsCounters.failed.bump()
            loop.logLimited(.info, event: .tlsHandshakeFailed, subject: "",
                            "TLS handshake with \(session.clientAddress) failed: \(error)")
            close(session)  // a plain close, so that the alert OpenSSL queued reaches the client
        }
        return false
    }
}
