// The Ingress's writes, made together at the end of the loop's turn: a session whose steps
// have stalled leaves what it queued for its client and its endpoint where it is, and at
// the end of the turn every such session's bytes go into the loop's ring and out in one
// io_uring_enter(2) (SendRing says why: each send that wakes a peer is a point where the
// scheduler may switch). The ring takes the bytes' address only then, so nothing a step
// appends or drops in between can move them under it; the results are applied to every
// session first and the sessions taken up after, so that no step runs while a result of
// the same submit is still to be applied. Plain HTTP only: over TLS OpenSSL makes the sends.
import LinuxIO

extension HTTPProxyHandler {
    /// Sessions wait to be written or taken up: the worker's next poll must not sleep.
    var hasDeferredFlushes: Bool { !deferredFlushes.isEmpty || !settling.isEmpty }

    /// Leaves the session's writes for the end of the turn, if it has any its sockets take.
    func deferFlush(_ session: HTTPSession) {
        guard !session.flushDeferred else { return }
        let clientWrite = !session.toClient.isEmpty && session.writable
        let upstreamWrite = session.upstream.map { $0.connected && $0.writable && !session.toUpstream.isEmpty } ?? false
        guard clientWrite || upstreamWrite else { return }
        session.flushDeferred = true
        deferredFlushes.append(session)
    }

    /// Puts the deferred writes into the loop's ring; the worker submits them next. A session
    /// whose writes found the ring full is taken up after the submit and written at once.
    func queueDeferredFlushes() {
        guard !deferredFlushes.isEmpty, let sends = loop.sends else { return }
        for session in deferredFlushes {
            session.flushDeferred = false
            guard sessions[session.slot] === session, session.phase != .closed else { continue }
            var refused = false
            if !session.toClient.isEmpty, session.writable {
                refused = !queue(session.toClient, on: session.client.rawValue, ring: sends,
                                 token: EventToken(kind: .httpClient, slot: session.slot, generation: session.tag),
                                 endFollows: session.sendsItsLast)
            }
            if let upstream = session.upstream, upstream.connected, upstream.writable, !session.toUpstream.isEmpty {
                refused = !queue(session.toUpstream, on: upstream.socket.rawValue, ring: sends,
                                 token: EventToken(kind: .httpUpstream, slot: session.slot, generation: session.tag)) || refused
            }
            if refused {
                session.flushAtOnce = true
                settle(session)
            }
        }
        deferredFlushes.removeAllKeepingStorage()
    }

    private func queue(_ bytes: borrowing ByteQueue, on descriptor: Int32, ring: SendRing, token: EventToken,
                       endFollows: Bool = false) -> Bool {
        bytes.withBytes { bytes in
            guard let start = bytes.baseAddress else { return false }
            return ring.queue(descriptor: descriptor, buffer: start, count: bytes.count, token: token.rawValue, endFollows: endFollows)
        }
    }

    /// Applies the result of a send left in the ring: the bytes it took leave their queue; a
    /// short send or EAGAIN means the socket's buffer is full, and epoll says when it has
    /// room; after an error the bytes, still queued, are written at once by `settleFlushes`.
    func sendCompleted(_ token: EventToken, _ result: Result<Int, Errno>) {
        guard let session = sessions[token.slot], session.tag == token.generation, session.phase != .closed else { return }
        let toClient = token.kind == .httpClient
        switch result {
        case .success(let count):
            if toClient { session.toClient.consume(count) } else { session.toUpstream.consume(count) }
            if toClient, !session.toClient.isEmpty { clientBlocked(session) }
            if !toClient, !session.toUpstream.isEmpty { session.upstream?.writable = false }
        case .failure(.wouldBlock):
            if toClient { clientBlocked(session) } else { session.upstream?.writable = false }
        case .failure:
            session.flushAtOnce = true
        }
        settle(session)
    }

    private func settle(_ session: HTTPSession) {
        guard !session.settling else { return }
        session.settling = true
        settling.append(session)
    }

    /// Takes up every session whose sends came back, or found no room in the ring: what is
    /// to be written at once is, with the direct path's handling of a failure, and the
    /// session's steps go on (and may defer writes for the next round).
    func settleFlushes() {
        guard !settling.isEmpty else { return }
        // The steps below may settle sessions again: those go into the emptied list. Called
        // from the worker's loop alone: a call from within the steps would swap back the list
        // being worked through.
        swap(&settling, &settled)
        defer { settled.removeAllKeepingStorage() }
        for session in settled {
            session.settling = false
            guard self.sessions[session.slot] === session, session.phase != .closed else { continue }
            if session.flushAtOnce {
                session.flushAtOnce = false
                _ = flushNow(session)
                if session.phase == .closed { continue }
            }
            advance(session)
        }
    }
}
