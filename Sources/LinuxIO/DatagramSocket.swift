// UDP sockets: a listener per service address (SO_REUSEPORT, one per worker, so the kernel
// keeps each client's datagrams on one worker), a connected socket per flow to its
// endpoint, and the two calls that move datagrams. A datagram is read whole or known to be
// cut: MSG_TRUNC makes the kernel report its real length.
internal import CLinux

/// A datagram that arrived: its real length (more than the buffer held when it was cut
/// short) and, on an unconnected socket, who sent it.
public struct ReceivedDatagram: Sendable {
    public let length: Int
    public let peer: SocketAddress?

    /// The datagram was longer than the buffer: its end is lost.
    public func isTruncated(capacity: Int) -> Bool { length > capacity }
}

extension FileDescriptor {
    /// A UDP socket bound to `address` with `SO_REUSEADDR` and `SO_REUSEPORT` (one per
    /// worker: the kernel hashes a client's address and port to one of them, so a flow's
    /// datagrams all reach the same worker), `IPV6_V6ONLY` for IPv6, and `IP_FREEBIND` when
    /// the address may not be on an interface yet.
    ///
    /// The corresponding C functions are `socket` and `bind`.
    public static func udpListener(on address: SocketAddress, freeBind: Bool = false) throws(Errno) -> FileDescriptor {
        let socket = try udpSocket(family: address.family)
        try socket.setOption(SOL_SOCKET, SO_REUSEADDR, 1)
        try socket.setOption(SOL_SOCKET, SO_REUSEPORT, 1)
        if address.family == AF_INET6 { try socket.setOption(Int32(IPPROTO_IPV6), IPV6_V6ONLY, 1) }
        if freeBind { try socket.setOption(Int32(IPPROTO_IP), IP_FREEBIND, 1) }
        try address.withSockaddr { (pointer, length) throws(Errno) in
            _ = try retryingInterrupts { clinux_bind(socket.rawValue, pointer, length) }
        }
        return socket
    }

    /// A new non-blocking UDP socket of the family of `address`, to connect to it.
    public static func udpSocket(for address: SocketAddress) throws(Errno) -> FileDescriptor {
        try udpSocket(family: address.family)
    }

    static func udpSocket(family: Int32) throws(Errno) -> FileDescriptor {
        let type = Int32(SOCK_DGRAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)
        return FileDescriptor(owning: try retryingInterrupts { socket(family, type, Int32(IPPROTO_UDP)) })
    }

    /// Reads one datagram into `buffer`, with its sender when the socket is not connected.
    /// A connected socket reports its endpoint's ICMP port unreachable here as
    /// ECONNREFUSED.
    ///
    /// The corresponding C function is `recvfrom`.
    public func receiveDatagram(into buffer: UnsafeMutableRawPointer, count: Int) throws(Errno) -> IOResult<ReceivedDatagram> {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = try withUnsafeMutablePointer(to: &storage) { (pointer) throws(Errno) -> IOResult<Int> in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (address) throws(Errno) -> IOResult<Int> in
                try nonBlocking { recvfrom(rawValue, buffer, count, Int32(MSG_TRUNC), address, &length) }
            }
        }
        switch result {
        case .wouldBlock: return .wouldBlock
        case .done(let received): return .done(ReceivedDatagram(length: received, peer: length > 0 ? SocketAddress(storage: storage) : nil))
        }
    }

    /// Sends one datagram to `address` (nil: the connected peer).
    ///
    /// The corresponding C function is `sendto`.
    public func sendDatagram(from buffer: UnsafeRawPointer, count: Int, to address: SocketAddress? = nil) throws(Errno) -> IOResult<Int> {
        guard let address else { return try nonBlocking { CLinux.send(rawValue, buffer, count, 0) } }
        return try address.withSockaddr { (pointer, length) throws(Errno) -> IOResult<Int> in
            try nonBlocking { sendto(rawValue, buffer, count, 0, pointer, length) }
        }
    }
}

extension SocketAddress {
    /// The address as a hashable value: what a flow table is keyed by.
    public struct Key: Hashable, Sendable {
        let family: Int32
        /// IPv6 link-local addresses of two interfaces are two clients.
        let scope: UInt32
        let high: UInt64
        let low: UInt64
        let port: UInt16
    }

    public var key: Key {
        switch storage {
        case .v4(let address):
            return Key(family: AF_INET, scope: 0, high: 0, low: UInt64(address.sin_addr.s_addr), port: address.sin_port)
        case .v6(let address):
            var bytes = address.sin6_addr
            let (high, low) = withUnsafeBytes(of: &bytes) { ($0.load(fromByteOffset: 0, as: UInt64.self), $0.load(fromByteOffset: 8, as: UInt64.self)) }
            return Key(family: AF_INET6, scope: address.sin6_scope_id, high: high, low: low, port: address.sin6_port)
        }
    }
}
