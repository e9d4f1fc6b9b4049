// The admin endpoints on a thread of their own, away from the relaying event loops:
// /metrics, /healthz and /livez over HTTP, and the status socket. Every connection is
// bounded in size (8 KiB of request) and time (5 s), answered once and closed, so a
// slow or malformed client costs one small slot here and nothing on the data path.
import Foundation
import HTTP1
import LinuxIO
import Logging
import ProxyEngine

final class AdminServer {
    enum Endpoint {
        case http
        case status
    }

    private final class Listener {
        let descriptor: FileDescriptor
        let endpoint: Endpoint

        init(descriptor: consuming FileDescriptor, endpoint: Endpoint) {
            self.descriptor = descriptor
            self.endpoint = endpoint
        }
    }

    private final class Client {
        let descriptor: FileDescriptor
        let endpoint: Endpoint
        var deadline: UInt64
        var request = HTTPRequestHeadParser()
        var response: [UInt8] = []
        var written = 0
        /// The whole response is written: only the client's end of stream is awaited.
        var answered = false
        var interest: EpollEvents = .readable

        init(descriptor: consuming FileDescriptor, endpoint: Endpoint, deadline: UInt64) {
            self.descriptor = descriptor
            self.endpoint = endpoint
            self.deadline = deadline
        }
    }

    /// How long a client may take to send its request, and to read the answer.
    static let requestTimeout: UInt64 = 2_000_000_000
    static let clientTimeout: UInt64 = 5_000_000_000
    static let maximumClients = 64
    private static let wakeupToken: UInt64 = 1 << 62

    private let epoll: Epoll
    private let wakeup: EventDescriptor
    private var listeners: [Listener] = []
    private var clients: [UInt64: Client] = [:]
    private var nextClientToken: UInt64 = 1 << 32
    /// Set while accepting is paused for lack of descriptors.
    private var acceptResumeAt: UInt64?
    private let state: DaemonState
    private let statistics: StatisticsRegistry
    private let monitor: EngineMonitor
    private let logMessagesDropped: @Sendable () -> UInt64
    private let logger: Logger
    private let version: String

    init(version: String, state: DaemonState, statistics: StatisticsRegistry, monitor: EngineMonitor,
         logMessagesDropped: @escaping @Sendable () -> UInt64, logger: Logger) throws(Errno) {
        epoll = try Epoll(capacity: 64)
        wakeup = try EventDescriptor()
        self.state = state
        self.statistics = statistics
        self.monitor = monitor
        self.logMessagesDropped = logMessagesDropped
        self.logger = logger
        self.version = version
        try epoll.add(wakeup.descriptor.rawValue, wanted: .readable, token: Self.wakeupToken)
    }

    /// Starts serving `endpoint` on `descriptor` (a listening socket).
    func serve(_ descriptor: consuming FileDescriptor, as endpoint: Endpoint) throws(Errno) {
        try epoll.add(descriptor.rawValue, wanted: .readable, token: UInt64(listeners.count))
        listeners.append(Listener(descriptor: descriptor, endpoint: endpoint))
    }

    /// Runs on the calling thread until `stop` is called from another.
    func run(until stopped: @Sendable () -> Bool) {
        while !stopped() {
            let now = MonotonicClock.now()
            let earliest = (clients.values.map(\.deadline) + [acceptResumeAt].compactMap { $0 }).min()
            let timeout = earliest.map { Int32(min(($0 > now ? $0 - now : 0) / 1_000_000 + 1, 5_000)) } ?? -1
            guard let count = try? epoll.wait(timeoutMilliseconds: timeout) else { break }
            for index in 0..<count {
                let event = epoll.event(at: index)
                if event.token == Self.wakeupToken {
                    wakeup.drain()
                } else if event.token < UInt64(listeners.count) {
                    accept(from: Int(event.token))
                } else if let client = clients[event.token] {
                    handle(client, token: event.token, events: event.events)
                }
            }
            expire(now: MonotonicClock.now())
            resumeAcceptingIfDue(now: MonotonicClock.now())
        }
        clients = [:]
    }

    /// Wakes the loop so that it sees the stop condition.
    func wake() { wakeup.signal() }

    private func accept(from index: Int) {
        for _ in 0..<16 {
            let result: IOResult<AcceptedConnection>
            do {
                result = try listeners[index].descriptor.accept()
            } catch let error where error.isDescriptorExhaustion {
                pauseAccepting()  // level-triggered: retrying at once would spin
                return
            } catch {
                continue
            }
            guard case .done(let accepted) = consume result else { return }
            let socket = accepted.takeSocket()
            if clients.count >= Self.maximumClients { evictOldestWaiting() }
            guard clients.count < Self.maximumClients else { continue }  // closed at once
            let token = nextClientToken
            nextClientToken += 1
            let endpoint = listeners[index].endpoint
            let client = Client(descriptor: socket, endpoint: endpoint,
                                deadline: MonotonicClock.now() + (endpoint == .status ? Self.clientTimeout : Self.requestTimeout))
            if client.endpoint == .status {
                client.response = Array(statusReport().json().utf8)
                client.interest = .writable
            }
            guard (try? epoll.add(client.descriptor.rawValue, wanted: client.interest, token: token)) != nil else { continue }
            clients[token] = client
        }
    }

    /// Makes room when every slot is taken: the idle client closest to its deadline goes, so
    /// idle connections cannot lock health checks out.
    private func evictOldestWaiting() {
        // Clients still sending a request or already answered; not those reading an answer.
        let idle = clients.filter { $0.value.response.isEmpty || $0.value.answered }
        if let oldest = idle.min(by: { $0.value.deadline < $1.value.deadline }) {
            clients[oldest.key] = nil
        }
    }

    private func pauseAccepting() {
        for (token, listener) in listeners.enumerated() {
            try? epoll.modify(listener.descriptor.rawValue, wanted: [], token: UInt64(token))
        }
        acceptResumeAt = MonotonicClock.now() + 100_000_000
    }

    private func resumeAcceptingIfDue(now: UInt64) {
        guard let resume = acceptResumeAt, resume <= now else { return }
        acceptResumeAt = nil
        for (token, listener) in listeners.enumerated() {
            try? epoll.modify(listener.descriptor.rawValue, wanted: .readable, token: UInt64(token))
        }
    }

    private func handle(_ client: Client, token: UInt64, events: EpollEvents) {
        if client.response.isEmpty || client.answered {
            var chunk = [UInt8](repeating: 0, count: 4096)
            let result = chunk.withUnsafeMutableBytes { bytes -> IOResult<Int>? in
                guard let base = bytes.baseAddress else { return nil }
                return try? client.descriptor.read(into: base, count: bytes.count)
            }
            switch result {
            case .done(let count)? where count > 0:
                if client.answered { return }  // the rest of a request already answered: discarded
                respondIfComplete(client, received: chunk[..<count])
            case .wouldBlock?:
                return
            default:
                clients[token] = nil  // end of stream or error: nothing more to say
                return
            }
        }
        guard !client.response.isEmpty else { return }
        while client.written < client.response.count {
            let result = client.response.withUnsafeBytes { bytes -> IOResult<Int>? in
                guard let base = bytes.baseAddress else { return nil }
                return try? client.descriptor.write(from: base + client.written, count: bytes.count - client.written)
            }
            guard case .done(let count)? = result else {
                if case .wouldBlock? = result, client.interest != .writable {
                    client.interest = .writable
                    try? epoll.modify(client.descriptor.rawValue, wanted: .writable, token: token)
                    return
                }
                if case .wouldBlock? = result { return }
                clients[token] = nil  // the client went away
                return
            }
            client.written += count
        }
        // Answered. Closing now, with request bytes still unread (an oversized or pipelined
        // request), would send a reset that can destroy the answer in flight; so end our
        // side and read until the client closes, within its deadline.
        client.answered = true
        client.deadline = min(client.deadline, MonotonicClock.now() + 1_000_000_000)
        try? client.descriptor.shutdown(.write)
        client.interest = .readable
        try? epoll.modify(client.descriptor.rawValue, wanted: .readable, token: token)
    }

    private func respondIfComplete(_ client: Client, received: ArraySlice<UInt8>) {
        switch client.request.feed(received) {
        case .needMore:
            return
        case .invalid(_, let status):
            client.response = Self.closing(.error(status))
        case .complete(let head, _):
            client.response = response(to: head)
        }
        client.deadline = MonotonicClock.now() + Self.clientTimeout
    }

    /// GET and HEAD only: the admin endpoints take no bodies and change nothing.
    private func response(to head: HTTPRequestHead) -> [UInt8] {
        guard head.method == "GET" || head.method == "HEAD" else {
            return Self.closing(.error(.methodNotAllowed, fields: [HTTPField(name: "Allow", value: "GET, HEAD")]))
        }
        return Self.closing(response(for: head.path), includeBody: head.method == "GET")
    }

    /// Every answer ends its connection, and says so.
    private static func closing(_ response: HTTPResponse, includeBody: Bool = true) -> [UInt8] {
        var response = response
        response.fields.append(HTTPField(name: "Connection", value: "close"))
        return response.serialized(includeBody: includeBody)
    }

    private func response(for path: Substring) -> HTTPResponse {
        switch path {
        case "/metrics":
            let page = MetricsPage(services: statistics.snapshot(), state: state.read(),
                                   listeners: monitor.listeners.load(ordering: .relaxed), startTime: state.startTime,
                                   logMessagesDropped: logMessagesDropped())
            return HTTPResponse(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: page.render())
        case "/healthz", "/livez":
            let now = MonotonicClock.now()
            let oldest = monitor.oldestCheckIn
            return HealthPage(kind: path == "/healthz" ? .healthz : .livez, draining: state.draining.load(ordering: .relaxed),
                              sinceCheckIn: now > oldest ? now - oldest : 0, lastApplied: state.read().lastApplied).response()
        default:
            return .error(.notFound)
        }
    }

    func statusReport() -> StatusReport {
        StatusReport(version: version, state: state.read(), draining: state.draining.load(ordering: .relaxed), statistics: statistics.snapshot())
    }

    /// Closes every client past its deadline: a slow or silent client gets 5 s, no more.
    private func expire(now: UInt64) {
        for (token, client) in clients where client.deadline <= now {
            clients[token] = nil
        }
    }
}
