// The node's own addresses, for serving NodePorts on each of them (getifaddrs(3)).
internal import CLinux

public enum NetworkInterfaces {
    /// Every IPv4 and IPv6 address on an interface that is up, in text form without a zone.
    public static func addresses() throws(Errno) -> [String] {
        var list: UnsafeMutablePointer<ifaddrs>?
        _ = try retryingInterrupts { getifaddrs(&list) }
        defer { freeifaddrs(list) }
        var result: [String] = []
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
            result.append(socketAddress.ip)
        }
        return result
    }
}
