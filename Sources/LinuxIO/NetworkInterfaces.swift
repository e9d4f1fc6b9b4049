// The node's own addresses, for serving NodePorts on each of them (getifaddrs(3)).
internal import CLinux

/// One address of a network interface.
public struct InterfaceAddress: Sendable, Hashable {
    public let interface: String
    /// The address in text form, without a zone.
    public let ip: String
    /// The interface index, for IPv6 link-local addresses.
    public let scopeID: UInt32
}

public enum NetworkInterfaces {
    /// Every IPv4 and IPv6 address on an interface that is up.
    public static func addresses() throws(Errno) -> [InterfaceAddress] {
        var list: UnsafeMutablePointer<ifaddrs>?
        _ = try retryingInterrupts { getifaddrs(&list) }
        defer { freeifaddrs(list) }
        var result: [InterfaceAddress] = []
        var cursor = list
        while let entry = cursor?.pointee {
            cursor = entry.ifa_next
            guard let address = entry.ifa_addr, entry.ifa_flags & UInt32(IFF_UP) != 0 else { continue }
            let family = Int32(address.pointee.sa_family)
            guard family == AF_INET || family == AF_INET6 else { continue }
            var storage = sockaddr_storage()
            let size = family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size
            withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(start: address, count: size)) }
            guard let socketAddress = SocketAddress(storage: storage) else { continue }
            var scope: UInt32 = 0
            if case .v6(let v6) = socketAddress.storage { scope = v6.sin6_scope_id }
            result.append(InterfaceAddress(interface: String(cString: entry.ifa_name), ip: socketAddress.ip, scopeID: scope))
        }
        return result
    }
}
