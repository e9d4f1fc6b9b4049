// Telling the neighbours on a link that an address now lives at this interface's hardware
// address, as keepalived and MetalLB's layer-2 speaker do when an address moves: a
// gratuitous ARP request for IPv4 (RFC 5227 section 3: sender and target protocol address
// both the announced one, broadcast) through a packet socket (packet(7)), and an
// unsolicited Neighbor Advertisement for IPv6 (RFC 4861 section 7.2.6: to all-nodes
// ff02::1, Override set, Solicited clear, with the target link-layer address option)
// through an ICMPv6 raw socket (raw(7), icmp6(7)), whose checksum the kernel computes
// (RFC 3542 section 3.1). Both need CAP_NET_RAW. Policy (when and how often) is the
// caller's; this file only builds and sends the frames.
internal import CLinux

public enum NeighborAnnouncement {
    /// ETH_P_ARP (linux/if_ether.h), in host order.
    private static let arpEtherType: UInt16 = 0x0806
    /// ARPHRD_ETHER (linux/if_arp.h): an Ethernet-like link with 6-byte addresses.
    private static let ethernetHardware: UInt16 = 1

    /// The hardware (MAC) address of the interface `index`: 6 bytes, or nil when it has
    /// none of that size (loopback, a tunnel) or is not listed.
    ///
    /// The corresponding C function is `getifaddrs` (its AF_PACKET entries).
    public static func hardwareAddress(interfaceIndex index: UInt32) -> [UInt8]? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return nil }
        defer { freeifaddrs(list) }
        var cursor = list
        while let entry = cursor?.pointee {
            cursor = entry.ifa_next
            guard let address = entry.ifa_addr, Int32(address.pointee.sa_family) == AF_PACKET else { continue }
            let link = UnsafeRawPointer(address).loadUnaligned(as: sockaddr_ll.self)
            guard UInt32(link.sll_ifindex) == index, link.sll_halen == 6 else { continue }
            let bytes = withUnsafeBytes(of: link.sll_addr) { Array($0.prefix(6)) }
            return bytes.allSatisfy { $0 == 0 } ? nil : bytes
        }
        return nil
    }

    /// Broadcasts one gratuitous ARP request for `address` (4 bytes, network order) from
    /// `hardwareAddress` on the interface `index`.
    public static func sendGratuitousARP(_ address: [UInt8], hardwareAddress: [UInt8], interfaceIndex index: UInt32) throws(Errno) {
        guard address.count == 4, hardwareAddress.count == 6 else { throw .invalidArgument }
        let frame = arpRequest(address, hardwareAddress: hardwareAddress)
        let socketType = Int32(SOCK_DGRAM.rawValue | SOCK_CLOEXEC.rawValue)
        let socket = FileDescriptor(owning: try retryingInterrupts {
            CLinux.socket(AF_PACKET, socketType, Int32(arpEtherType.bigEndian))
        })
        var link = sockaddr_ll()
        link.sll_family = UInt16(AF_PACKET)
        link.sll_protocol = arpEtherType.bigEndian
        link.sll_ifindex = Int32(index)
        link.sll_halen = 6
        withUnsafeMutableBytes(of: &link.sll_addr) { for i in 0..<6 { $0[i] = 0xff } }
        _ = try retryingInterrupts {
            frame.withUnsafeBytes { bytes in
                withUnsafePointer(to: &link) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(socket.rawValue, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_ll>.size))
                    }
                }
            }
        }
    }

    /// Sends one unsolicited Neighbor Advertisement for `address` (16 bytes) with
    /// `hardwareAddress` to all nodes on the interface `index`.
    public static func sendUnsolicitedNeighborAdvertisement(_ address: [UInt8], hardwareAddress: [UInt8],
                                                            interfaceIndex index: UInt32) throws(Errno) {
        guard address.count == 16, hardwareAddress.count == 6 else { throw .invalidArgument }
        let message = neighborAdvertisement(address, hardwareAddress: hardwareAddress)
        let socketType = Int32(SOCK_RAW.rawValue | SOCK_CLOEXEC.rawValue)
        let socket = FileDescriptor(owning: try retryingInterrupts { CLinux.socket(AF_INET6, socketType, Int32(IPPROTO_ICMPV6)) })
        // A receiver drops neighbour discovery that a router could have forwarded: the hop
        // limit must arrive as 255 (RFC 4861 section 7.1.2).
        var hops: Int32 = 255
        _ = try retryingInterrupts { setsockopt(socket.rawValue, Int32(IPPROTO_IPV6), IPV6_MULTICAST_HOPS, &hops, 4) }
        var interface = Int32(index)
        _ = try retryingInterrupts { setsockopt(socket.rawValue, Int32(IPPROTO_IPV6), IPV6_MULTICAST_IF, &interface, 4) }
        var destination = sockaddr_in6()
        destination.sin6_family = sa_family_t(AF_INET6)
        destination.sin6_scope_id = index
        withUnsafeMutableBytes(of: &destination.sin6_addr) { bytes in
            bytes[0] = 0xff
            bytes[1] = 0x02
            bytes[15] = 0x01
        }
        _ = try retryingInterrupts {
            message.withUnsafeBytes { bytes in
                withUnsafePointer(to: &destination) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(socket.rawValue, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                    }
                }
            }
        }
    }

    /// An ARP request (RFC 826) whose sender and target protocol addresses are both
    /// `address`: 28 bytes, without the Ethernet header the packet socket adds.
    static func arpRequest(_ address: [UInt8], hardwareAddress: [UInt8]) -> [UInt8] {
        let header: [UInt8] = [0x00, UInt8(ethernetHardware), 0x08, 0x00, 6, 4, 0x00, 0x01]
        return header + hardwareAddress + address + [UInt8](repeating: 0, count: 6) + address
    }

    /// A Neighbor Advertisement (ICMPv6 type 136) with Override set and the checksum left
    /// to the kernel: 32 bytes.
    static func neighborAdvertisement(_ address: [UInt8], hardwareAddress: [UInt8]) -> [UInt8] {
        let header: [UInt8] = [136, 0, 0, 0, 0x20, 0, 0, 0]
        let targetLinkLayerOption: [UInt8] = [2, 1] + hardwareAddress
        return header + address + targetLinkLayerOption
    }
}
