// TCP keepalive: the kernel probes a connection that has been silent for a while, and
// fails it (ETIMEDOUT on the next read or write, or an error event) when the peer stops
// answering, so that a peer that vanished without a FIN does not hold the socket forever.
internal import CLinux

/// When keepalive probes start, how often they repeat, and how many go unanswered before
/// the connection fails.
public struct KeepAlive: Sendable, Equatable {
    public let idleSeconds: Int32
    public let intervalSeconds: Int32
    /// Nil leaves the node's `net.ipv4.tcp_keepalive_probes` (9 unless changed), as Go's
    /// net package did, and spares every endpoint socket a system call.
    public let probes: Int32?

    /// The kernel's default number of probes.
    public static let defaultProbes: Int32 = 9

    /// Go's net package (which kube-proxy's userspace proxier used) sends the first probe
    /// after 15 s of silence and repeats every 15 s; the kernel's default of 9 probes
    /// then bounds a dead peer's connection at idle + 9 × interval.
    public init(idleSeconds: Int32, intervalSeconds: Int32? = nil, probes: Int32? = nil) {
        self.idleSeconds = max(1, idleSeconds)
        self.intervalSeconds = max(1, intervalSeconds ?? idleSeconds)
        self.probes = probes.map { max(1, $0) }
    }

    /// The longest a silent dead peer can hold a connection, in seconds (with the
    /// kernel's default probe count when `probes` is nil).
    public var boundSeconds: Int32 { idleSeconds + (probes ?? Self.defaultProbes) * intervalSeconds }
}

extension FileDescriptor {
    /// Turns keepalive on with `settings`. Sockets accepted from a listener inherit it.
    ///
    /// The corresponding C function is `setsockopt` (`SO_KEEPALIVE`, `TCP_KEEPIDLE`,
    /// `TCP_KEEPINTVL`, `TCP_KEEPCNT`).
    public func setKeepAlive(_ settings: KeepAlive) throws(Errno) {
        try setOption(SOL_SOCKET, SO_KEEPALIVE, 1)
        try setOption(Int32(IPPROTO_TCP), TCP_KEEPIDLE, settings.idleSeconds)
        try setOption(Int32(IPPROTO_TCP), TCP_KEEPINTVL, settings.intervalSeconds)
        if let probes = settings.probes { try setOption(Int32(IPPROTO_TCP), TCP_KEEPCNT, probes) }
    }

    /// Reads an integer socket option: what the kernel holds, for tests.
    public func integerOption(level: Int32, name: Int32) throws(Errno) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        _ = try retryingInterrupts { getsockopt(rawValue, level, name, &value, &length) }
        return value
    }
}

extension FileDescriptor {
    /// Fails the connection when sent data stays unacknowledged for `milliseconds`, and, with
    /// keepalive on, when probes have gone unanswered that long: the bound on a peer that
    /// vanished while we were writing, which keepalive alone does not cover (it probes only
    /// an idle connection). tcp(7).
    ///
    /// The corresponding C function is `setsockopt` (`TCP_USER_TIMEOUT`).
    public func setUserTimeout(milliseconds: UInt32) throws(Errno) {
        try setOption(Int32(IPPROTO_TCP), TCP_USER_TIMEOUT, Int32(clamping: milliseconds))
    }
}
