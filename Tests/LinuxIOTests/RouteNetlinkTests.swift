// rtnetlink against the kernel itself, in a network namespace of the test's own: an address
// added with a protocol mark is listed with it, a second add is EEXIST, and a removed
// address is gone (docs/kernel-notes.md, "rtnetlink addresses" and "IFA_PROTO").
import Glibc
import Testing
@testable import LinuxIO

@Suite(.enabled(if: canMakeNetworkNamespaces, "network namespaces need root"))
struct RouteNetlinkTests {
    static let v4: [UInt8] = [10, 96, 0, 10]
    static let v6: [UInt8] = [0xfd, 0] + [UInt8](repeating: 0, count: 13) + [0x10]

    @Test func addedAddressesAreListedWithTheirProtocolAndRemovedAgain() throws {
        let (listed, second, afterRemoval, secondRemoval) = try inPrivateNetworkNamespace {
            () throws -> ([InterfaceAddressRecord], Errno?, [InterfaceAddressRecord], Errno?) in
            guard let lo = RouteNetlink.interfaceIndex(named: "lo") else { throw Errno(rawValue: ENODEV) }
            for address in [Self.v4, Self.v6] { try RouteNetlink.addAddress(address, interfaceIndex: lo, protocolNumber: 83) }
            let listed = try RouteNetlink.addresses()
            var second: Errno?
            do { try RouteNetlink.addAddress(Self.v4, interfaceIndex: lo, protocolNumber: 83) } catch let error as Errno { second = error }
            for address in [Self.v4, Self.v6] { try RouteNetlink.removeAddress(address, interfaceIndex: lo) }
            var secondRemoval: Errno?
            do { try RouteNetlink.removeAddress(Self.v4, interfaceIndex: lo) } catch let error as Errno { secondRemoval = error }
            return (listed, second, try RouteNetlink.addresses(), secondRemoval)
        }
        #expect(listed.contains(InterfaceAddressRecord(address: Self.v4, prefixLength: 32, interfaceIndex: 1, protocolNumber: 83)))
        #expect(listed.contains(InterfaceAddressRecord(address: Self.v6, prefixLength: 128, interfaceIndex: 1, protocolNumber: 83)))
        #expect(second == .exists)
        #expect(!afterRemoval.contains { $0.address == Self.v4 || $0.address == Self.v6 })
        #expect(secondRemoval == .addressNotAvailable)
    }

    @Test func anAddressAddedWithoutAMarkIsListedWithProtocolZero() throws {
        // What `ip address add` without `proto` leaves: svcproxy must read it as someone else's.
        let listed = try inPrivateNetworkNamespace { () throws -> [InterfaceAddressRecord] in
            guard let lo = RouteNetlink.interfaceIndex(named: "lo") else { throw Errno(rawValue: ENODEV) }
            try RouteNetlink.addAddress(Self.v4, interfaceIndex: lo, protocolNumber: 0)
            return try RouteNetlink.addresses()
        }
        #expect(listed.contains(InterfaceAddressRecord(address: Self.v4, prefixLength: 32, interfaceIndex: 1, protocolNumber: 0)))
    }
}
