// Adding, removing and listing an interface's addresses over rtnetlink (rtnetlink(7)):
// what `ip address add 10.96.0.10/32 dev lo proto 83`, `ip address del` and
// `ip address show` do, without running `ip`. One blocking NETLINK_ROUTE socket per
// request; the kernel acknowledges a change with an NLMSG_ERROR message whose error is zero
// on success, and ends a dump with NLMSG_DONE. The byte layouts live in
// NetlinkMessages.swift; this file only moves them through the socket.
internal import CLinux

/// One address as the kernel lists it (RTM_NEWADDR in an RTM_GETADDR dump).
public struct InterfaceAddressRecord: Sendable, Hashable {
    /// 4 or 16 bytes, network order: IFA_LOCAL where the kernel gives one, else IFA_ADDRESS.
    public let address: [UInt8]
    public let prefixLength: UInt8
    public let interfaceIndex: UInt32
    /// IFA_PROTO, who added the address; 0 (IFAPROT_UNSPEC) when it carries none or the
    /// kernel is older than 5.18 and does not keep one.
    public let protocolNumber: UInt8

    public init(address: [UInt8], prefixLength: UInt8, interfaceIndex: UInt32, protocolNumber: UInt8) {
        self.address = address
        self.prefixLength = prefixLength
        self.interfaceIndex = interfaceIndex
        self.protocolNumber = protocolNumber
    }
}

public enum RouteNetlink {
    /// The index of the interface called `name`, or nil if there is none.
    ///
    /// The corresponding C function is `if_nametoindex`.
    public static func interfaceIndex(named name: String) -> UInt32? {
        let index = if_nametoindex(name)
        return index == 0 ? nil : index
    }

    /// The name of the interface with index `index`, or nil if there is none.
    ///
    /// The corresponding C function is `if_indextoname`.
    public static func interfaceName(index: UInt32) -> String? {
        var name = [CChar](repeating: 0, count: Int(IF_NAMESIZE))
        guard if_indextoname(index, &name) != nil else { return nil }
        return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Adds `address` (4 or 16 bytes, network order) as a host address (/32 or /128) to
    /// the interface `index`, marked with `protocolNumber` (IFA_PROTO) so that a later
    /// dump tells who added it. Throws `.exists` (EEXIST) if it is already there and
    /// `.notPermitted` (EPERM) without CAP_NET_ADMIN. A kernel older than 5.18 adds the
    /// address and drops the mark.
    public static func addAddress(_ address: [UInt8], interfaceIndex index: UInt32, protocolNumber: UInt8) throws(Errno) {
        guard NetlinkMessage.isAddress(address) else { throw .invalidArgument }
        try change(NetlinkMessage.addAddress(address, interfaceIndex: index, protocolNumber: protocolNumber))
    }

    /// Removes the host address `address` from the interface `index`. Throws
    /// `.addressNotAvailable` (EADDRNOTAVAIL) if it is not there.
    public static func removeAddress(_ address: [UInt8], interfaceIndex index: UInt32) throws(Errno) {
        guard NetlinkMessage.isAddress(address) else { throw .invalidArgument }
        try change(NetlinkMessage.removeAddress(address, interfaceIndex: index))
    }

    /// Every IPv4 and IPv6 address of every interface, up or down (RTM_GETADDR dump). Needs
    /// no privilege.
    public static func addresses() throws(Errno) -> [InterfaceAddressRecord] {
        let socket = try openSocket()
        try send(NetlinkMessage.dumpAddresses(), on: socket)
        var records: [InterfaceAddressRecord] = []
        // A dump comes in as many datagrams as it needs; 64 KiB holds the largest the
        // kernel sends at once, so none is truncated.
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = try receive(into: &buffer, on: socket)
            switch try NetlinkMessage.decodeDump(buffer[..<count]) {
            case .more(let part): records += part
            case .done(let part): return records + part
            }
        }
    }

    /// Sends one change request and waits for its acknowledgement.
    private static func change(_ message: [UInt8]) throws(Errno) {
        let socket = try openSocket()
        try send(message, on: socket)
        var reply = [UInt8](repeating: 0, count: 4096)
        let count = try receive(into: &reply, on: socket)
        try NetlinkMessage.decodeAcknowledgement(reply[..<count])
    }

    private static func openSocket() throws(Errno) -> FileDescriptor {
        let socketType = Int32(SOCK_RAW.rawValue | SOCK_CLOEXEC.rawValue)
        let socket = FileDescriptor(owning: try retryingInterrupts { CLinux.socket(AF_NETLINK, socketType, NetlinkMessage.route) })
        // The kernel answers at once; the timeout only bounds the wait should it not.
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        _ = setsockopt(socket.rawValue, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return socket
    }

    private static func send(_ message: [UInt8], on socket: borrowing FileDescriptor) throws(Errno) {
        _ = try retryingInterrupts {
            message.withUnsafeBytes { bytes in CLinux.write(socket.rawValue, bytes.baseAddress, bytes.count) }
        }
    }

    private static func receive(into buffer: inout [UInt8], on socket: borrowing FileDescriptor) throws(Errno) -> Int {
        try retryingInterrupts {
            buffer.withUnsafeMutableBytes { bytes in CLinux.read(socket.rawValue, bytes.baseAddress, bytes.count) }
        }
    }
}

extension Errno {
    public static let notPermitted = Errno(rawValue: EPERM)
    public static let exists = Errno(rawValue: EEXIST)
    public static let ioError = Errno(rawValue: EIO)
}
