// The rtnetlink address messages as bytes: requests to add, remove and list addresses, and
// the kernel's acknowledgements and dump parts. The layouts are the kernel's
// (<linux/netlink.h>, <linux/rtnetlink.h>, <linux/if_addr.h>): host byte order except the
// address itself, every message and attribute padded to 4 bytes. Pure functions of bytes,
// so the parsing is tested without a socket.
internal import CLinux

enum NetlinkMessage {
    static let route: Int32 = 0  // NETLINK_ROUTE
    private static let doneType: UInt16 = 3, errorType: UInt16 = 2  // NLMSG_DONE, NLMSG_ERROR
    private static let newAddress: UInt16 = 20, deleteAddress: UInt16 = 21, getAddress: UInt16 = 22  // RTM_*ADDR
    private static let request: UInt16 = 0x1, acknowledge: UInt16 = 0x4  // NLM_F_REQUEST, NLM_F_ACK
    private static let dump: UInt16 = 0x300  // NLM_F_DUMP (NLM_F_ROOT | NLM_F_MATCH)
    private static let exclusive: UInt16 = 0x200, create: UInt16 = 0x400  // NLM_F_EXCL, NLM_F_CREATE
    private static let attributeAddress: UInt16 = 1, attributeLocal: UInt16 = 2  // IFA_ADDRESS, IFA_LOCAL
    private static let attributeProtocol: UInt16 = 11  // IFA_PROTO (Linux 5.18)
    private static let noDuplicateDetection: UInt8 = 0x02  // IFA_F_NODAD
    private static let headerSize = 16, addressMessageSize = 8  // nlmsghdr, ifaddrmsg

    /// What one datagram of a dump held: records, and whether the dump goes on.
    enum DumpPart: Equatable {
        case more([InterfaceAddressRecord])
        case done([InterfaceAddressRecord])
    }

    static func isAddress(_ address: [UInt8]) -> Bool { address.count == 4 || address.count == 16 }

    /// RTM_NEWADDR for a host address, failing if it exists, with IFA_PROTO.
    static func addAddress(_ address: [UInt8], interfaceIndex index: UInt32, protocolNumber: UInt8) -> [UInt8] {
        let attributes = hostAddressAttributes(address) + attribute(attributeProtocol, [protocolNumber])
        return message(newAddress, flags: request | acknowledge | create | exclusive,
                       body: addressMessage(for: address, interfaceIndex: index) + attributes)
    }

    /// RTM_DELADDR for a host address.
    static func removeAddress(_ address: [UInt8], interfaceIndex index: UInt32) -> [UInt8] {
        message(deleteAddress, flags: request | acknowledge,
                body: addressMessage(for: address, interfaceIndex: index) + hostAddressAttributes(address))
    }

    /// RTM_GETADDR for every address of every family.
    static func dumpAddresses() -> [UInt8] {
        message(getAddress, flags: request | dump, body: [UInt8](repeating: 0, count: addressMessageSize))
    }

    /// Reads an acknowledgement: returns for success, throws the kernel's error otherwise.
    static func decodeAcknowledgement(_ reply: ArraySlice<UInt8>) throws(Errno) {
        let reply = Array(reply)
        guard reply.count >= headerSize + 4, UInt16(reading: reply, at: 4) == errorType else { throw .ioError }
        let code = Int32(bitPattern: UInt32(reading: reply, at: headerSize))
        if code != 0 { throw Errno(rawValue: -code) }
    }

    /// Reads one datagram of an address dump.
    static func decodeDump(_ datagram: ArraySlice<UInt8>) throws(Errno) -> DumpPart {
        let bytes = Array(datagram)
        var records: [InterfaceAddressRecord] = []
        var offset = 0
        while offset + headerSize <= bytes.count {
            let length = Int(UInt32(reading: bytes, at: offset))
            guard length >= headerSize, offset + length <= bytes.count else { throw .ioError }
            switch UInt16(reading: bytes, at: offset + 4) {
            case doneType:
                return .done(records)
            case errorType:
                try decodeAcknowledgement(bytes[offset..<(offset + length)])
            case newAddress:
                if let record = addressRecord(bytes[(offset + headerSize)..<(offset + length)]) { records.append(record) }
            default:
                break  // nothing else belongs in an address dump; skip it
            }
            offset += aligned(length)
        }
        return .more(records)
    }

    /// ifaddrmsg and its attributes; nil for a family other than IPv4 and IPv6.
    private static func addressRecord(_ payload: ArraySlice<UInt8>) -> InterfaceAddressRecord? {
        let bytes = Array(payload)
        guard bytes.count >= addressMessageSize else { return nil }
        var local: [UInt8]?, address: [UInt8]?, protocolNumber: UInt8 = 0
        var offset = addressMessageSize
        while offset + 4 <= bytes.count {
            let length = Int(UInt16(reading: bytes, at: offset))
            guard length >= 4, offset + length <= bytes.count else { break }
            let value = Array(bytes[(offset + 4)..<(offset + length)])
            switch UInt16(reading: bytes, at: offset + 2) {
            case attributeLocal: local = value
            case attributeAddress: address = value
            case attributeProtocol: protocolNumber = value.first ?? 0
            default: break
            }
            offset += aligned(length)
        }
        // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer on a
        // point-to-point link and the same address everywhere else (if_addr.h).
        guard Int32(bytes[0]) == AF_INET || Int32(bytes[0]) == AF_INET6, let ip = local ?? address, isAddress(ip) else {
            return nil
        }
        return InterfaceAddressRecord(address: ip, prefixLength: bytes[1], interfaceIndex: UInt32(reading: bytes, at: 4),
                                      protocolNumber: protocolNumber)
    }

    /// ifaddrmsg for a host address (/32 or /128). IPv6 skips duplicate address detection:
    /// the address is ours by decision, and must serve at once.
    private static func addressMessage(for address: [UInt8], interfaceIndex index: UInt32) -> [UInt8] {
        let isIPv4 = address.count == 4
        return [UInt8(isIPv4 ? AF_INET : AF_INET6), UInt8(address.count * 8), isIPv4 ? 0 : noDuplicateDetection, 0]
            + bytes(of: index)
    }

    private static func hostAddressAttributes(_ address: [UInt8]) -> [UInt8] {
        attribute(attributeLocal, address) + attribute(attributeAddress, address)
    }

    private static func attribute(_ type: UInt16, _ value: [UInt8]) -> [UInt8] {
        let unpadded = bytes(of: UInt16(4 + value.count)) + bytes(of: type) + value
        return unpadded + [UInt8](repeating: 0, count: aligned(unpadded.count) - unpadded.count)
    }

    private static func message(_ type: UInt16, flags: UInt16, body: [UInt8]) -> [UInt8] {
        // Sequence 1, port id 0: one request per socket, and the kernel fills in our port.
        bytes(of: UInt32(headerSize + body.count)) + bytes(of: type) + bytes(of: flags)
            + bytes(of: UInt32(1)) + bytes(of: UInt32(0)) + body
    }

    private static func aligned(_ length: Int) -> Int { (length + 3) & ~3 }

    private static func bytes<T: FixedWidthInteger>(of value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }
}

extension FixedWidthInteger {
    /// A little-endian (host order on every machine svcproxy runs on) integer from `bytes`.
    fileprivate init(reading bytes: [UInt8], at offset: Int) {
        self = bytes[offset..<(offset + MemoryLayout<Self>.size)].reversed().reduce(0) { $0 << 8 | Self($1) }
    }
}
