// TCP sockets: create, bind, listen, accept, connect, shutdown and the few options
// svcproxy sets. Every socket is non-blocking and close-on-exec from birth.
internal import CLinux

/// Which half of a connection `shutdown` ends. Only the sending half: a relay ends a
/// direction with it (half-close) and closes the socket to end both.
public enum ShutdownHow: Sendable {
    case write

    var rawValue: Int32 {
        switch self {
        case .write: Int32(SHUT_WR)
        }
    }
}

/// A connection `accept` returned: its socket and the client's address.
public struct AcceptedConnection: ~Copyable {
    public var socket: FileDescriptor
    public let peer: SocketAddress?

    /// Takes the socket, leaving the peer's address behind.
    public consuming func takeSocket() -> FileDescriptor { socket }
}

extension FileDescriptor {
    /// A new non-blocking TCP socket of the family of `address`, to connect to it.
    ///
    /// The corresponding C function is `socket`.
    public static func tcpSocket(for address: SocketAddress) throws(Errno) -> FileDescriptor {
        try tcpSocket(family: address.family)
    }

    static func tcpSocket(family: Int32) throws(Errno) -> FileDescriptor {
        let type = Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)
        return FileDescriptor(owning: try retryingInterrupts { socket(family, type, Int32(IPPROTO_TCP)) })
    }

    /// A listening socket bound to `address` with `SO_REUSEADDR` and `SO_REUSEPORT`, so that
    /// each worker can hold its own listener on the same address and the kernel spreads
    /// accepts among them. `freeBind` allows an address that is not (yet) on an interface.
    /// Without `reusePort`, a second process cannot bind the same address unnoticed (for
    /// the metrics and health endpoints, which only one process may serve).
    public static func listener(on address: SocketAddress, backlog: Int32 = 4096, freeBind: Bool = false,
                                reusePort: Bool = true) throws(Errno) -> FileDescriptor {
        let socket = try tcpSocket(family: address.family)
        try socket.setOption(SOL_SOCKET, SO_REUSEADDR, 1)
        if reusePort { try socket.setOption(SOL_SOCKET, SO_REUSEPORT, 1) }
        if address.family == AF_INET6 {
            // Serve exactly the IPv6 address given; IPv4 gets its own listener.
            try socket.setOption(Int32(IPPROTO_IPV6), IPV6_V6ONLY, 1)
        }
        if freeBind {
            try socket.setOption(Int32(IPPROTO_IP), IP_FREEBIND, 1)
        }
        // Accepted sockets inherit TCP_NODELAY from their listener: one call here instead
        // of one per connection.
        try socket.setNoDelay()
        try address.withSockaddr { (pointer, length) throws(Errno) in
            _ = try retryingInterrupts { clinux_bind(socket.rawValue, pointer, length) }
        }
        _ = try retryingInterrupts { CLinux.listen(socket.rawValue, backlog) }
        return socket
    }

    /// Accepts one pending connection as a non-blocking socket, with its peer's address.
    ///
    /// The corresponding C function is `accept4`.
    public func accept() throws(Errno) -> IOResult<AcceptedConnection> {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = try withUnsafeMutablePointer(to: &storage) { (pointer) throws(Errno) -> IOResult<Int32> in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (address) throws(Errno) -> IOResult<Int32> in
                try nonBlocking { clinux_accept4(rawValue, address, &length) }
            }
        }
        switch result {
        case .wouldBlock: return .wouldBlock
        case .done(let fd): return .done(AcceptedConnection(socket: FileDescriptor(owning: fd), peer: SocketAddress(storage: storage)))
        }
    }

    /// Starts a non-blocking connect. `.wouldBlock` means it is in progress: wait for the
    /// socket to become writable, then read `pendingError()`.
    ///
    /// The corresponding C function is `connect`.
    public func connect(to address: SocketAddress) throws(Errno) -> IOResult<Void> {
        do throws(Errno) {
            try address.withSockaddr { (pointer, length) throws(Errno) in
                _ = try retryingInterrupts { clinux_connect(rawValue, pointer, length) }
            }
            return .done(())
        } catch .inProgress {
            return .wouldBlock
        }
    }

    /// Receives up to `count` bytes of a connected stream socket; 0 means end of stream.
    /// What `read` does on a socket, without the file layer `read` goes through first
    /// (position lock, access checks, change notification): a relay makes two of these
    /// per message.
    ///
    /// The corresponding C function is `recv`.
    public func receive(into buffer: UnsafeMutableRawPointer, count: Int) throws(Errno) -> IOResult<Int> {
        try nonBlocking { recv(rawValue, buffer, count, 0) }
    }

    /// Sends up to `count` bytes on a connected stream socket; returns how many were
    /// taken. `MSG_NOSIGNAL`: a peer gone is an EPIPE to handle, never a signal.
    /// `endFollows`: the caller shuts the sending side (shutdown or close) right after a
    /// send that takes everything, so the last bytes are held (`MSG_MORE`) for the FIN to
    /// travel with them: one segment for both, and one acknowledgement of both. The
    /// shutdown is what releases them; without it they would wait for the next send, an
    /// acknowledgement, `pushHeldBytes`, or a timer of at least 200 ms. A close that
    /// resets (unread bytes, `setResetOnClose`) discards them: push them first.
    ///
    /// The corresponding C function is `send`.
    public func send(from buffer: UnsafeRawPointer, count: Int, endFollows: Bool = false) throws(Errno) -> IOResult<Int> {
        let flags = Int32(MSG_NOSIGNAL) | (endFollows ? Int32(MSG_MORE) : 0)
        return try nonBlocking { CLinux.send(rawValue, buffer, count, flags) }
    }

    /// The error a non-blocking connect ended with, or nil if it succeeded (`SO_ERROR`).
    public func pendingError() throws(Errno) -> Errno? {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        _ = try retryingInterrupts { getsockopt(rawValue, SOL_SOCKET, SO_ERROR, &value, &length) }
        return value == 0 ? nil : Errno(rawValue: value)
    }

    /// Ends the sending direction of the connection; the peer reads end of stream.
    ///
    /// The corresponding C function is `shutdown`.
    public func shutdown(_ how: ShutdownHow) throws(Errno) {
        _ = try retryingInterrupts { CLinux.shutdown(rawValue, how.rawValue) }
    }

    /// Sets `SO_LINGER` to zero so that closing sends a reset instead of a FIN: how a
    /// connection that cannot be served is refused at once.
    public func setResetOnClose() throws(Errno) {
        var linger = CLinux.linger(l_onoff: 1, l_linger: 0)
        _ = try retryingInterrupts {
            setsockopt(rawValue, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<CLinux.linger>.size))
        }
    }

    /// Turns off Nagle's algorithm (`TCP_NODELAY`): a proxy writes what it has read at
    /// once, and must not hold a small reply back waiting for an acknowledgement.
    public func setNoDelay() throws(Errno) {
        try setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1)
    }

    /// Sends at once what `send(from:count:endFollows:)` held back, as setting TCP_NODELAY
    /// does (`tcp_push_pending_frames`), whether or not it was set: before a reset, which
    /// would discard them.
    public func pushHeldBytes() throws(Errno) {
        try setNoDelay()
    }

    /// Holds the acknowledgement that ends a connect's handshake until the first bytes are
    /// sent, so that it travels with them: one segment fewer for the connecting side and
    /// the listener, which then accepts a connection whose first bytes are already there.
    /// Linux reads `TCP_DEFER_ACCEPT` on a connecting socket this way (`tcp_rcv_synsent_state_process`);
    /// unsent, the acknowledgement leaves on the delayed-ACK timer (200 ms), so set it only
    /// on a socket that has bytes to send as soon as it connects.
    public func holdHandshakeAckForData() throws(Errno) {
        try setOption(Int32(IPPROTO_TCP), TCP_DEFER_ACCEPT, 1)
    }

    /// Sets an integer socket option.
    ///
    /// The corresponding C function is `setsockopt`.
    func setOption(_ level: Int32, _ name: Int32, _ value: Int32) throws(Errno) {
        var value = value
        _ = try retryingInterrupts {
            setsockopt(rawValue, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    /// The address this socket is bound to.
    ///
    /// The corresponding C function is `getsockname`.
    public func localAddress() throws(Errno) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try withUnsafeMutablePointer(to: &storage) { (pointer) throws(Errno) -> Int32 in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (address) throws(Errno) -> Int32 in
                try retryingInterrupts { clinux_getsockname(rawValue, address, &length) }
            }
        }
        return SocketAddress(storage: storage)
    }
}
