// A host name turned into the addresses to connect to, by glibc's resolver (getaddrinfo(3):
// /etc/hosts, then DNS, as nsswitch.conf orders them), in the order it prefers them
// (RFC 6724, gai.conf). The one place svcproxy resolves a name: the API server's URL may
// name its host. An address literal is returned as it is, without a lookup.
internal import CLinux

/// Why a name gave no address, in getaddrinfo's words (gai_strerror).
public struct NameResolutionError: Error, Sendable, CustomStringConvertible {
    public let host: String
    public let reason: String

    public var description: String { "Failed to resolve \(host): \(reason)" }
}

extension SocketAddress {
    /// The TCP addresses of `host` at `port`, in the resolver's order, without repeats.
    /// Blocks for as long as the resolver takes (its own timeouts, resolv.conf(5)).
    ///
    /// The corresponding C function is `getaddrinfo`.
    public static func resolve(host: String, port: UInt16) throws(NameResolutionError) -> [SocketAddress] {
        if let literal = SocketAddress(ip: host, port: port) { return [literal] }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_protocol = Int32(IPPROTO_TCP)
        // Only families the node has an address of: no IPv6 answer tried on an IPv4-only node.
        hints.ai_flags = AI_ADDRCONFIG
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0 else {
            let reason = status == EAI_SYSTEM ? "\(Errno.current)" : String(cString: gai_strerror(status))
            throw NameResolutionError(host: host, reason: reason)
        }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var entry = list
        while let current = entry {
            if let sockaddr = current.pointee.ai_addr, let address = SocketAddress(sockaddr, length: current.pointee.ai_addrlen),
               !addresses.contains(address) {
                addresses.append(address)
            }
            entry = current.pointee.ai_next
        }
        guard !addresses.isEmpty else { throw NameResolutionError(host: host, reason: "no address") }
        return addresses
    }

    /// Copies a resolver's `sockaddr` of `length` bytes; nil for a family other than IPv4 or IPv6.
    private init?(_ address: UnsafeMutablePointer<sockaddr>, length: socklen_t) {
        var storage = sockaddr_storage()
        let count = min(Int(length), MemoryLayout<sockaddr_storage>.size)
        withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(start: address, count: count)) }
        self.init(storage: storage)
    }
}
