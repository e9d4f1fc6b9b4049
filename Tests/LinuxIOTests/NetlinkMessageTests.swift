// The rtnetlink address messages as bytes: what a request holds, and how a dump and an
// acknowledgement are read. No socket: the kernel's side is in RouteNetlinkTests.
import Testing
@testable import LinuxIO

@Suite struct NetlinkMessageTests {
    /// A 16-byte nlmsghdr of `type` around `body`.
    static func message(_ type: UInt16, _ body: [UInt8]) -> [UInt8] {
        le(UInt32(16 + body.count)) + le(type) + le(UInt16(0)) + le(UInt32(1)) + le(UInt32(0)) + body
    }

    static func attribute(_ type: UInt16, _ value: [UInt8]) -> [UInt8] {
        let unpadded = le(UInt16(4 + value.count)) + le(type) + value
        return unpadded + [UInt8](repeating: 0, count: (4 - unpadded.count % 4) % 4)
    }

    static func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }

    @Test func addRequestMarksTheHostAddressWithItsProtocol() {
        let bytes = NetlinkMessage.addAddress([10, 96, 0, 10], interfaceIndex: 1, protocolNumber: 83)
        // header, ifaddrmsg (AF_INET, /32, index 1), IFA_LOCAL, IFA_ADDRESS, IFA_PROTO padded to 8
        #expect(bytes.count == 16 + 8 + 8 + 8 + 8)
        #expect(Array(bytes[0..<4]) == Self.le(UInt32(bytes.count)))
        #expect(Array(bytes[16..<24]) == [2, 32, 0, 0, 1, 0, 0, 0])
        #expect(Array(bytes[40..<48]) == [5, 0, 11, 0, 83, 0, 0, 0])
    }

    @Test func dumpPartsAreReadUntilDone() throws {
        let v4 = [UInt8]([2, 32, 0, 0]) + Self.le(UInt32(1))
            + Self.attribute(1, [10, 96, 0, 10]) + Self.attribute(2, [10, 96, 0, 10]) + Self.attribute(11, [83])
        let v6 = [UInt8]([10, 64, 0, 0]) + Self.le(UInt32(3)) + Self.attribute(1, [0xfd] + [UInt8](repeating: 0, count: 14) + [1])
        let link = [UInt8]([17, 0, 0, 0]) + Self.le(UInt32(3))  // AF_PACKET: not an address of ours to read
        let first = Self.message(20, v4) + Self.message(20, v6) + Self.message(20, link)
        guard case .more(let records) = try NetlinkMessage.decodeDump(first[...]) else {
            Issue.record("a datagram without NLMSG_DONE ended the dump")
            return
        }
        #expect(records == [
            InterfaceAddressRecord(address: [10, 96, 0, 10], prefixLength: 32, interfaceIndex: 1, protocolNumber: 83),
            InterfaceAddressRecord(address: [0xfd] + [UInt8](repeating: 0, count: 14) + [1], prefixLength: 64,
                                   interfaceIndex: 3, protocolNumber: 0),
        ])
        #expect(try NetlinkMessage.decodeDump(Self.message(3, Self.le(UInt32(0)))[...]) == .done([]))
    }

    @Test func acknowledgementCarriesTheKernelsError() throws {
        try NetlinkMessage.decodeAcknowledgement(Self.message(2, Self.le(Int32(0)))[...])
        #expect(throws: Errno.exists) {
            try NetlinkMessage.decodeAcknowledgement(Self.message(2, Self.le(Int32(-17)))[...])
        }
        #expect(throws: Errno.ioError) { try NetlinkMessage.decodeAcknowledgement([1, 2, 3][...]) }
    }

    @Test func aTruncatedMessageIsAnErrorNotACrash() {
        let whole = Self.message(20, [2, 32, 0, 0] + Self.le(UInt32(1)))
        #expect(throws: Errno.ioError) { try NetlinkMessage.decodeDump(whole.prefix(whole.count - 2)) }
    }
}
