// Keeps repeated failures (a dead endpoint, a flood, exhausted descriptors) to one log
// line per key per interval, with a count of what was held back: never a line per
// connection. Keys are an event and a service port (or an errno), never a client
// address, and the table has a hard bound, so a stream of clients cannot grow it. One per
// worker, so no lock.

/// The events that are logged rate-limited; also the journal's SVCPROXY_EVENT. (Not swift-log's
/// LogEvent, a record of any log call.)
enum RateLimitedEvent: String, Sendable {
    case acceptFailed = "accept-failed"
    case socketFailed = "socket-failed"
    /// The kernel refused a relay pipe (descriptors or pipe pages ran out): copying instead.
    case pipeRefused = "pipe-refused"
    /// io_uring_enter refused the turn's batched sends (their connections are reset).
    case sendRingFailed = "send-ring-failed"
    case connectFailed = "connect-failed"
    case connectExhausted = "connect-exhausted"
    case noEndpoints = "no-endpoints"
    case connectionLimit = "connection-limit"
    case policyDenied = "policy-denied"
    /// The client pod's NetworkPolicy egress allowed none of the endpoints that admit it.
    case egressPolicyDenied = "egress-policy-denied"
    case idleTimeout = "idle-timeout"
    case halfCloseTimeout = "half-close-timeout"
    /// An endpoint broke HTTP/1.1 or closed before answering an Ingress request.
    case upstreamProtocol = "upstream-protocol"
    /// An endpoint did not answer an Ingress request within --ingress-upstream-timeout.
    case upstreamTimeout = "upstream-timeout"
    /// A TLS handshake on the Ingress's HTTPS listener failed or timed out.
    case tlsHandshakeFailed = "tls-handshake-failed"
    /// A UDP socket failed to receive, or a flow could not be opened.
    case udpFailed = "udp-failed"
    /// A DNS listener failed to receive, or an upstream nameserver could not be asked.
    case dnsFailed = "dns-failed"
}

struct LogLimiter {
    struct Key: Hashable {
        let event: RateLimitedEvent
        let subject: String
    }

    /// Most keys held at once. Keys come from the configuration (service ports,
    /// endpoints), so this is reached only by a very large one; then the oldest windows go.
    static let capacity = 4096

    private var windows: [Key: (start: UInt64, suppressed: Int)] = [:]
    let interval: UInt64

    init(intervalNanoseconds: UInt64 = 10_000_000_000) {
        interval = intervalNanoseconds
    }

    var count: Int { windows.count }

    /// Whether to log `key` now; if so, how many were held back since the last line.
    mutating func admit(_ key: Key, now: UInt64) -> Int? {
        if let window = windows[key], now &- window.start < interval {
            windows[key] = (window.start, window.suppressed + 1)
            return nil
        }
        let suppressed = windows[key]?.suppressed ?? 0
        if windows[key] == nil, windows.count >= Self.capacity { makeRoom(now: now) }
        windows[key] = (now, 0)
        return suppressed
    }

    /// Drops the windows that have ended, or, if none has, the older half (by position,
    /// so ties cannot empty the table): O(1) amortised per new key, since it runs at most
    /// once per `capacity / 2` new keys.
    private mutating func makeRoom(now: UInt64) {
        windows = windows.filter { now &- $0.value.start < interval }
        guard windows.count >= Self.capacity else { return }
        let newest = windows.sorted { $0.value.start > $1.value.start }.prefix(Self.capacity / 2)
        windows = Dictionary(uniqueKeysWithValues: newest.map { ($0.key, $0.value) })
    }
}
