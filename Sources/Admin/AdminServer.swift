// The admin endpoints on a thread of their own, away from the relaying event loops:
// /metrics, /healthz and /livez over HTTP, and the status socket. Every connection is
// bounded in size (8 KiB of request) and time (2 s to send it, 5 s in all), answered once
// and closed, so a slow or malformed client costs one small slot here and nothing on the
// data path.
//
// Probes must be answered while thousands of idle connections sit on the port and are
// replaced as fast as they are dropped. Hence, in each round of the loop: clients that
// sent something are read before anyone new is accepted; the listen queue is emptied, not
// sampled, so that it never fills and drops a probe's SYN (a 1 s retransmission, past
// kubelet's default timeout); a newcomer whose request is already there is answered at
// once; and a full house makes room by AdminEvictionOrder's rule.
//
// The health-check NodePorts are served here too, by the same bounded clients: another
// thread binds their sockets and hands them over (`change`), and they come and go with
// reloads while the metrics and status listeners stay.
import Dispatch
import Foundation
import HTTP1
import LinuxIO
import Logging
import ProxyEngine
import ServiceConfig
import Synchronization

final class AdminServer: @unchecked Sendable {
    // @unchecked: only `inbox` and `wakeup` are touched from other threads (and the
    // listener tokens, by one thread at a time); the rest belongs to the thread in `run`.
    enum Endpoint: Equatable {
        case http
        case status
        /// A Service's health-check NodePort (ServiceHealthPage.swift).
        case serviceHealth(ObjectKey)
    }

    /// What another thread asks of the running loop.
    struct ListenerChange: @unchecked Sendable {
        // @unchecked: the descriptors are owned by the message until the loop adopts them.
        var closing: [UInt64] = []
        var opening: [(token: UInt64, descriptor: Int32, endpoint: Endpoint)] = []
    }

    private final class Listener {
        let descriptor: FileDescriptor
        let endpoint: Endpoint

        init(descriptor: consuming FileDescriptor, endpoint: Endpoint) {
            self.descriptor = descriptor
            self.endpoint = endpoint
        }
    }

    /// How long a client may take to send its request, and to read the answer.
    static let requestTimeout: UInt64 = 2_000_000_000
    static let clientTimeout: UInt64 = 5_000_000_000
    /// Enough that a probe's request arrives before a flood pushes it out; a few hundred
    /// descriptors and a few KiB each, next to the daemon's LimitNOFILE of 1048576.
    static let maximumClients = 512
    /// The listen queue: deep enough to absorb a burst between two rounds of the loop.
    static let listenBacklog: Int32 = 4096
    /// Deadlines are checked this often, not every round: a flood makes rounds short.
    private static let expiryInterval: UInt64 = 50_000_000
    private static let wakeupToken: UInt64 = 1 << 62

    private let epoll: Epoll
    private let wakeup: EventDescriptor
    /// By token; tokens count up from 0 and stay below the clients' (1 << 32).
    private var listeners: [UInt64: Listener] = [:]
    private var nextListenerToken: UInt64 = 0
    private let inbox = Mutex<[(ListenerChange, DispatchSemaphore)]>([])
    private var clients: [UInt64: AdminClient] = [:]
    private var evictionOrder = AdminEvictionOrder()
    private var nextClientToken: UInt64 = 1 << 32
    private var nextExpiry: UInt64 = 0
    /// Set while accepting is paused for lack of descriptors.
    private var acceptResumeAt: UInt64?
    private let pages: AdminPages

    init(pages: AdminPages) throws(Errno) {
        // Room for every client's readiness in one round: a client left unseen could be
        // pushed out by the round's newcomers before its request is read.
        epoll = try Epoll(capacity: Self.maximumClients + 64)
        wakeup = try EventDescriptor()
        self.pages = pages
        try epoll.add(wakeup.descriptor.rawValue, wanted: .readable, token: Self.wakeupToken)
    }

    /// Starts serving `endpoint` on `descriptor` (a listening socket), before `run`.
    func serve(_ descriptor: consuming FileDescriptor, as endpoint: Endpoint) throws(Errno) {
        let token = reserveListenerToken()
        try epoll.add(descriptor.rawValue, wanted: .readable, token: token)
        listeners[token] = Listener(descriptor: descriptor, endpoint: endpoint)
    }

    /// A token for a listener to come; from any thread, but only one at a time (the
    /// daemon's main thread, or `init` before the loop runs).
    func reserveListenerToken() -> UInt64 {
        nextListenerToken += 1
        return nextListenerToken - 1
    }

    /// How long `change` waits for the loop: the daemon's main thread calls it while
    /// handling SIGHUP and SIGTERM, which must not wait for ever on a loop that stopped.
    static let changeTimeout: DispatchTimeInterval = .seconds(5)

    /// Hands `change` to the running loop and returns once it is applied (true: the
    /// closed listeners' ports are free then), or false after `timeout` if the loop did
    /// not apply it (the change stays queued for a loop that runs again).
    @discardableResult
    func change(_ change: ListenerChange, timeout: DispatchTimeInterval = AdminServer.changeTimeout) -> Bool {
        let done = DispatchSemaphore(value: 0)
        inbox.withLock { $0.append((change, done)) }
        wakeup.signal()
        return done.wait(timeout: .now() + timeout) == .success
    }

    private func applyChanges() {
        let changes = inbox.withLock { pending in
            defer { pending = [] }
            return pending
        }
        for (change, done) in changes {
            for token in change.closing { listeners[token] = nil }  // epoll forgets a closed descriptor
            for opening in change.opening {
                let descriptor = FileDescriptor(owning: opening.descriptor)
                guard (try? epoll.add(descriptor.rawValue, wanted: acceptResumeAt == nil ? .readable : [], token: opening.token)) != nil
                else { continue }  // closed with `descriptor`
                listeners[opening.token] = Listener(descriptor: descriptor, endpoint: opening.endpoint)
            }
            done.signal()
        }
    }

    /// Runs on the calling thread until `stop` is called from another.
    func run(until stopped: @Sendable () -> Bool) {
        while !stopped() {
            guard let count = try? epoll.wait(timeoutMilliseconds: waitTimeout(now: MonotonicClock.now())) else { break }
            var readyListeners: [UInt64] = []
            for index in 0..<count {
                let event = epoll.event(at: index)
                if event.token == Self.wakeupToken {
                    wakeup.drain()
                    applyChanges()
                } else if listeners[event.token] != nil {
                    readyListeners.append(event.token)
                } else if let client = clients[event.token] {
                    handle(client, token: event.token)
                }
            }
            for token in readyListeners { accept(from: token) }
            let now = MonotonicClock.now()
            if now >= nextExpiry { expire(now: now) }
            resumeAcceptingIfDue(now: now)
        }
        clients = [:]
        applyChanges()  // no one waits for ever on a loop that stopped
    }

    /// Wakes the loop so that it sees the stop condition.
    func wake() { wakeup.signal() }

    private func waitTimeout(now: UInt64) -> Int32 {
        let earliest = [clients.isEmpty ? nil : nextExpiry, acceptResumeAt].compactMap { $0 }.min()
        return earliest.map { Int32(min(($0 > now ? $0 - now : 0) / 1_000_000 + 1, 5_000)) } ?? -1
    }

    /// Takes every connection waiting, up to one house-full per round so that the clients
    /// already here get their turn.
    private func accept(from token: UInt64) {
        guard let listener = listeners[token] else { return }  // closed earlier in this round
        for _ in 0..<Self.maximumClients {
            let result: IOResult<AcceptedConnection>
            do {
                result = try listener.descriptor.accept()
            } catch let error where error.isDescriptorExhaustion {
                pauseAccepting()  // level-triggered: retrying at once would spin
                return
            } catch {
                continue
            }
            guard case .done(let accepted) = consume result else { return }
            admit(accepted.takeSocket(), endpoint: listener.endpoint)
        }
    }

    private func admit(_ socket: consuming FileDescriptor, endpoint: Endpoint) {
        makeRoom()
        guard clients.count < Self.maximumClients else {
            try? socket.setResetOnClose()  // everyone is being answered: refused at once
            return
        }
        let token = nextClientToken
        nextClientToken += 1
        let now = MonotonicClock.now()
        let client = AdminClient(descriptor: socket, endpoint: endpoint,
                                 deadline: now + (endpoint == .status ? Self.clientTimeout : Self.requestTimeout))
        if endpoint == .status {
            client.response = Array(pages.statusReport().json().utf8)
            client.phase = .answering
            client.interest = .writable
        }
        guard (try? epoll.add(client.descriptor.rawValue, wanted: client.interest, token: token)) != nil else { return }
        clients[token] = client
        evictionOrder.clientArrived(token)
        handle(client, token: token)  // a probe's request is usually here already: answer it now
    }

    /// Frees a slot when the house is full, by AdminEvictionOrder's rule, except that a
    /// client still receiving is read once before it goes: under a flood its request may
    /// have arrived while its readiness waits in a later round, and a probe closed with its
    /// request unread would see a reset instead of its answer.
    private func makeRoom() {
        while clients.count >= Self.maximumClients, let victim = evictionOrder.victim(phase: { clients[$0]?.phase }) {
            guard let client = clients[victim] else { continue }
            if client.phase == .receiving {
                receive(client, token: victim)
                guard clients[victim] != nil, client.phase == .receiving else { continue }
            }
            dismiss(victim)
        }
    }

    /// Closes a client pushed out or out of time. One not yet answered over TCP gets a
    /// reset: a FIN costs four segments and leaves a TIME_WAIT entry behind, which under a
    /// flood is most of this thread's work and hundreds of thousands of entries (past the
    /// kernel's tcp_max_tw_buckets); a reset is one segment, keeps nothing, and tells the
    /// client at once. (On the status socket, a Unix one, the option changes nothing: the
    /// client sees its answer cut short and the end of the stream.) One answered is
    /// closed gracefully, so that its answer in flight survives.
    private func dismiss(_ token: UInt64) {
        if let client = clients[token], client.phase != .answered {
            try? client.descriptor.setResetOnClose()
        }
        close(token)
    }

    private func close(_ token: UInt64) {
        clients[token] = nil  // the descriptor closes with its client; epoll forgets it
        evictionOrder.forgetGone(limit: Self.maximumClients) { clients[$0]?.phase }
    }

    private func handle(_ client: AdminClient, token: UInt64) {
        switch client.phase {
        case .receiving:
            receive(client, token: token)
        case .answering:
            answer(client, token: token)
        case .answered:
            drain(client, token: token)
        }
    }

    /// Discards the rest of a request already answered, and closes at its end.
    private func drain(_ client: AdminClient, token: UInt64) {
        while true {
            switch client.read() {
            case .received: continue
            case .nothingYet: return
            case .ended: return close(token)
            }
        }
    }

    private func receive(_ client: AdminClient, token: UInt64) {
        switch client.read() {
        case .nothingYet:
            return
        case .ended:
            close(token)  // nothing more to say
        case .received(let bytes):
            guard let response = pages.response(to: client.request.feed(bytes), on: client.endpoint) else { return }
            client.response = response
            client.phase = .answering
            client.deadline = MonotonicClock.now() + Self.clientTimeout
            answer(client, token: token)
        }
    }

    private func answer(_ client: AdminClient, token: UInt64) {
        switch client.writeResponse() {
        case .failed:
            close(token)  // the client went away
        case .blocked:
            if client.interest != .writable {
                client.interest = .writable
                try? epoll.modify(client.descriptor.rawValue, wanted: .writable, token: token)
            }
        case .finished:
            // Closing now, with request bytes still unread (an oversized or pipelined
            // request), would send a reset that can destroy the answer in flight; so end
            // our side and read until the client closes, within its deadline.
            client.phase = .answered
            client.deadline = min(client.deadline, MonotonicClock.now() + 1_000_000_000)
            try? client.descriptor.shutdown(.write)
            evictionOrder.clientAnswered(token)
            if client.interest != .readable {
                client.interest = .readable
                try? epoll.modify(client.descriptor.rawValue, wanted: .readable, token: token)
            }
        }
    }

    private func pauseAccepting() {
        for (token, listener) in listeners {
            try? epoll.modify(listener.descriptor.rawValue, wanted: [], token: token)
        }
        acceptResumeAt = MonotonicClock.now() + 100_000_000
    }

    private func resumeAcceptingIfDue(now: UInt64) {
        guard let resume = acceptResumeAt, resume <= now else { return }
        acceptResumeAt = nil
        for (token, listener) in listeners {
            try? epoll.modify(listener.descriptor.rawValue, wanted: .readable, token: token)
        }
    }

    /// Closes every client past its deadline: a slow or silent client gets its 2 s (5 s in
    /// all), no more.
    private func expire(now: UInt64) {
        for (token, client) in clients where client.deadline <= now {
            dismiss(token)
        }
        nextExpiry = now + Self.expiryInterval
    }
}
