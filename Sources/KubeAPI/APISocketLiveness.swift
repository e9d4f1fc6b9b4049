// How soon a silent API server is noticed. A watch is quiet for minutes when nothing
// changes, and its read waits up to timeoutSeconds + 30 s; an API server that vanished
// without a FIN or a reset (a dropped link, a powered-off machine) would hold each watcher
// that long. The kernel's keepalive notices it instead: the first probe after 10 s of
// silence, then one every 5 s, and TCP_USER_TIMEOUT fails the connection once 30 s have
// passed without an answer to a probe or an acknowledgement of data sent, so a dead server
// is noticed 30 s after it last spoke (the read fails with ETIMEDOUT, the watcher retries
// after its backoff). A live server answers probes from its kernel: no traffic of ours,
// and no cost to a healthy watch beyond one small packet each way per 10 s of silence.
import LinuxIO

enum APISocketLiveness {
    /// 10 s idle, probes every 5 s; 4 probes reach the 30 s of the user timeout (which
    /// decides, when set, over the probe count: tcp(7)).
    static let keepAlive = KeepAlive(idleSeconds: 10, intervalSeconds: 5, probes: 4)
    static let userTimeoutMilliseconds: UInt32 = 30_000

    static func apply(to socket: borrowing FileDescriptor) throws(Errno) {
        try socket.setKeepAlive(keepAlive)
        try socket.setUserTimeout(milliseconds: userTimeoutMilliseconds)
    }
}
