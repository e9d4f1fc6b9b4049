// An IPv4 or IPv6 socket address, held as the kernel's own struct so that connect and
// bind take it without conversion. Built once per endpoint or listener (never per
// connection) from the text form that the configuration uses.
internal import CLinux

/// An IPv4 or IPv6 address and port.
public struct SocketAddress: Sendable, CustomStringConvertible {
    enum Storage {
        case v4(sockaddr_in)
        case v6(sockaddr_in6)
    }

    let storage: Storage

    init(_ storage: Storage) { self.storage = storage }

    /// Parses "10.0.0.1" or "fd00::1" (no brackets) and pairs it with `port`.
    /// An IPv6 link-local address may carry its zone as a numeric scope id.
    public init?(ip: String, port: UInt16, scopeID: UInt32 = 0) {
        var v4 = sockaddr_in()
        if inet_pton(AF_INET, ip, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = port.bigEndian
            self.init(.v4(v4))
            return
        }
        var v6 = sockaddr_in6()
        if inet_pton(AF_INET6, ip, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = port.bigEndian
            v6.sin6_scope_id = scopeID
            self.init(.v6(v6))
            return
        }
        return nil
    }

    /// Reads a kernel-filled `sockaddr_storage` (from accept or getsockname).
    init?(storage: sockaddr_storage) {
        var storage = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            self.init(.v4(withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in.self) }))
        case AF_INET6:
            self.init(.v6(withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in6.self) }))
        default:
            return nil
        }
    }

    /// The address family, `AF_INET` or `AF_INET6`.
    var family: Int32 {
        switch storage {
        case .v4: AF_INET
        case .v6: AF_INET6
        }
    }

    public var port: UInt16 {
        switch storage {
        case .v4(let a): UInt16(bigEndian: a.sin_port)
        case .v6(let a): UInt16(bigEndian: a.sin6_port)
        }
    }

    /// The address without the port, in its usual text form.
    public var ip: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        switch storage {
        case .v4(var a): _ = inet_ntop(AF_INET, &a.sin_addr, &text, socklen_t(text.count))
        case .v6(var a): _ = inet_ntop(AF_INET6, &a.sin6_addr, &text, socklen_t(text.count))
        }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// "10.0.0.1:80" or "[fd00::1]:80".
    public var description: String {
        switch storage {
        case .v4: "\(ip):\(port)"
        case .v6: "[\(ip)]:\(port)"
        }
    }

    /// Calls `body` with the address as the `sockaddr` pointer and length the kernel expects.
    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws(Errno) -> R) throws(Errno) -> R {
        switch storage {
        case .v4(var a):
            return try withUnsafePointer(to: &a) { (p) throws(Errno) -> R in
                try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { (s) throws(Errno) -> R in
                    try body(s, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .v6(var a):
            return try withUnsafePointer(to: &a) { (p) throws(Errno) -> R in
                try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { (s) throws(Errno) -> R in
                    try body(s, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
    }
}

/// Two addresses are equal when the kernel would treat them as the same endpoint: same
/// family, port, address bytes and (IPv6) scope id. Compared as integers, not as text, so
/// that a table keyed by address costs no formatting. The IPv6 flow label is not part of
/// the identity and is ignored.
extension SocketAddress: Hashable {
    public static func == (lhs: SocketAddress, rhs: SocketAddress) -> Bool {
        lhs.family == rhs.family && lhs.port == rhs.port && lhs.scopeID == rhs.scopeID
            && lhs.addressBits == rhs.addressBits
    }

    public func hash(into hasher: inout Hasher) {
        let bits = addressBits
        hasher.combine(family)
        hasher.combine(port)
        hasher.combine(scopeID)
        hasher.combine(bits.high)
        hasher.combine(bits.low)
    }

    /// The IPv6 scope id (the interface of a link-local address); 0 for IPv4.
    var scopeID: UInt32 {
        switch storage {
        case .v4: 0
        case .v6(let a): a.sin6_scope_id
        }
    }
}
