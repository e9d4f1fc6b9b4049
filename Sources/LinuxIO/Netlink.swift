// Adding and removing an interface's addresses over rtnetlink (rtnetlink(7)): what
// `ip address add 10.96.0.10/32 dev lo` does, without running `ip`. One blocking
// NETLINK_ROUTE socket per request; the kernel acknowledges each request with an
// NLMSG_ERROR message whose error is zero on success. The message layouts are the kernel's
// (<linux/netlink.h>, <linux/rtnetlink.h>, <linux/if_addr.h>), in host byte order except
// the address itself.
internal import CLinux

public enum RouteNetlink {
    private static let netlinkRoute: Int32 = 0  // NETLINK_ROUTE
    private static let newAddress: UInt16 = 20  // RTM_NEWADDR
    private static let deleteAddress: UInt16 = 21  // RTM_DELADDR
    private static let errorMessage: UInt16 = 2  // NLMSG_ERROR
    private static let request: UInt16 = 0x1, acknowledge: UInt16 = 0x4  // NLM_F_REQUEST, NLM_F_ACK
    private static let exclusive: UInt16 = 0x200, create: UInt16 = 0x400  // NLM_F_EXCL, NLM_F_CREATE
    private static let attributeAddress: UInt16 = 1, attributeLocal: UInt16 = 2  // IFA_ADDRESS, IFA_LOCAL
    private static let noDuplicateDetection: UInt8 = 0x02  // IFA_F_NODAD

    /// The index of the interface called `name`, or nil if there is none.
    ///
    /// The corresponding C function is `if_nametoindex`.
    public static func interfaceIndex(named name: String) -> UInt32? {
        let index = if_nametoindex(name)
        return index == 0 ? nil : index
    }

    /// Adds `address` (4 or 16 bytes, network order) as a host address (/32 or /128) to
    /// the interface `index`. Throws `.exists` (EEXIST) if it is already there and
    /// `.notPermitted` (EPERM) without CAP_NET_ADMIN.
    public static func addAddress(_ address: [UInt8], interfaceIndex index: UInt32) throws(Errno) {
        try send(newAddress, flags: request | acknowledge | create | exclusive, address: address, interfaceIndex: index)
    }

    /// Removes the host address `address` from the interface `index`. Throws
    /// `.addressNotAvailable` (EADDRNOTAVAIL) if it is not there.
    public static func removeAddress(_ address: [UInt8], interfaceIndex index: UInt32) throws(Errno) {
        try send(deleteAddress, flags: request | acknowledge, address: address, interfaceIndex: index)
    }

    private static func send(_ type: UInt16, flags: UInt16, address: [UInt8], interfaceIndex index: UInt32) throws(Errno) {
        guard address.count == 4 || address.count == 16 else { throw .invalidArgument }
        let socketType = Int32(SOCK_RAW.rawValue | SOCK_CLOEXEC.rawValue)
        let socket = FileDescriptor(owning: try retryingInterrupts { CLinux.socket(AF_NETLINK, socketType, netlinkRoute) })
        // The kernel answers at once; the timeout only bounds the wait should it not.
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        _ = setsockopt(socket.rawValue, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let message = encode(type, flags: flags, address: address, interfaceIndex: index)
        let sent = message.withUnsafeBytes { bytes in CLinux.write(socket.rawValue, bytes.baseAddress, bytes.count) }
        if sent < 0 { throw Errno.current }
        var reply = [UInt8](repeating: 0, count: 4096)
        let count = reply.withUnsafeMutableBytes { bytes in CLinux.read(socket.rawValue, bytes.baseAddress, bytes.count) }
        if count < 0 { throw Errno.current }
        // nlmsghdr (16 bytes), then for NLMSG_ERROR a negative errno (or 0 for an ack).
        guard count >= 20, UInt16(reply[4]) | UInt16(reply[5]) << 8 == errorMessage else { throw .ioError }
        let code = reply[16..<20].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let error = Int32(bitPattern: code)
        if error != 0 { throw Errno(rawValue: -error) }
    }

    /// nlmsghdr + ifaddrmsg + IFA_LOCAL and IFA_ADDRESS attributes.
    static func encode(_ type: UInt16, flags: UInt16, address: [UInt8], interfaceIndex index: UInt32) -> [UInt8] {
        var body: [UInt8] = []
        let isIPv4 = address.count == 4
        body += [UInt8(isIPv4 ? AF_INET : AF_INET6), UInt8(address.count * 8), isIPv4 ? 0 : noDuplicateDetection, 0]
        body += bytes(of: index)
        for attribute in [attributeLocal, attributeAddress] {
            body += bytes(of: UInt16(4 + address.count)) + bytes(of: attribute) + address
        }
        var header: [UInt8] = []
        header += bytes(of: UInt32(16 + body.count)) + bytes(of: type) + bytes(of: flags)
        header += bytes(of: UInt32(1)) + bytes(of: UInt32(0))  // sequence, port id (the kernel fills ours)
        return header + body
    }

    private static func bytes<T: FixedWidthInteger>(of value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }
}

extension Errno {
    public static let notPermitted = Errno(rawValue: EPERM)
    public static let exists = Errno(rawValue: EEXIST)
    public static let ioError = Errno(rawValue: EIO)
    public static let noDevice = Errno(rawValue: ENODEV)
}
