// Which service addresses svcproxy adds, removes and keeps, from a listing of the node's
// addresses: one row per situation a start, a reload, a restart after a crash or an exit
// can meet.
import Testing
@testable import LinuxIO
@testable import ProxyEngine
import ServiceConfig

@Suite struct ClusterIPAddressChangesTests {
    static let ours = ClusterIPAddresses.addressProtocol
    static let lo: UInt32 = 1, eth0: UInt32 = 2

    struct Row: CustomTestStringConvertible, Sendable {
        let name: String
        let wanted: [String]
        /// (address, prefix length, interface, IFA_PROTO)
        let present: [(String, UInt8, UInt32, UInt8)]
        var addedHere: [(String, UInt32)] = []
        var add: [String] = []
        var remove: [(String, UInt32)] = []
        var keep: [(String, UInt32)] = []
        /// The configured interface.
        var interface: UInt32?
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        Row(name: "a wanted address on no interface is added", wanted: ["10.96.0.10"], present: [],
            add: ["10.96.0.10"]),
        Row(name: "a wanted address someone else added is left alone", wanted: ["10.96.0.10"],
            present: [("10.96.0.10", 32, lo, 0)]),
        Row(name: "someone else's address that nothing wants is left alone", wanted: [],
            present: [("10.96.0.10", 32, lo, 0)]),
        Row(name: "ours and still wanted after a restart is kept, not added again", wanted: ["10.96.0.10"],
            present: [("10.96.0.10", 32, lo, ours)], keep: [("10.96.0.10", lo)]),
        Row(name: "ours and no longer wanted after a restart is removed", wanted: [],
            present: [("10.96.0.10", 32, lo, ours), ("fd00::10", 128, lo, ours)],
            remove: [("10.96.0.10", lo), ("fd00::10", lo)]),
        Row(name: "a load-balancer pool address (the other mark) is not a ClusterIP leftover", wanted: [],
            present: [("10.250.0.240", 32, eth0, ClusterIPAddresses.loadBalancerAddressProtocol)]),
        Row(name: "ours on another interface than today's is still ours", wanted: [],
            present: [("10.96.0.10", 32, eth0, ours)], remove: [("10.96.0.10", eth0)]),
        Row(name: "ours and wanted on another interface than the configured one moves there", wanted: ["10.250.0.240"],
            present: [("10.250.0.240", 32, eth0, ours)], add: ["10.250.0.240"], remove: [("10.250.0.240", eth0)], interface: lo),
        Row(name: "ours and wanted on the configured interface stays", wanted: ["10.250.0.240"],
            present: [("10.250.0.240", 32, lo, ours), ("10.250.0.241", 32, eth0, ours)],
            remove: [("10.250.0.241", eth0)], keep: [("10.250.0.240", lo)], interface: lo),
        Row(name: "someone else's wanted address on another interface is left alone", wanted: ["10.250.0.240"],
            present: [("10.250.0.240", 32, eth0, 0)], interface: lo),
        Row(name: "our mark on a wider prefix is not ours: svcproxy adds only host addresses", wanted: [],
            present: [("10.96.0.10", 24, lo, ours)]),
        Row(name: "without a mark, what this process added is still its own", wanted: [],
            present: [("10.96.0.10", 32, lo, 0)], addedHere: [("10.96.0.10", lo)], remove: [("10.96.0.10", lo)]),
        Row(name: "what this process added but someone removed is simply forgotten", wanted: ["10.96.0.11"],
            present: [], addedHere: [("10.96.0.10", lo)], add: ["10.96.0.11"]),
        Row(name: "a wanted address both someone else's and ours keeps ours", wanted: ["10.96.0.10"],
            present: [("10.96.0.10", 32, eth0, 0), ("10.96.0.10", 32, lo, ours)], keep: [("10.96.0.10", lo)]),
        Row(name: "exit wants nothing: every one of ours goes, no one else's", wanted: [],
            present: [("10.96.0.10", 32, lo, ours), ("10.96.0.11", 32, lo, 0), ("127.0.0.1", 8, lo, 1)],
            remove: [("10.96.0.10", lo)]),
    ]

    @Test(arguments: rows)
    func decidesFromTheListing(_ row: Row) throws {
        func placed(_ pairs: [(String, UInt32)]) throws -> [PlacedAddress] {
            try pairs.map { PlacedAddress(ip: try #require(IPAddress($0.0)), interfaceIndex: $0.1) }
        }
        let present = try row.present.map {
            InterfaceAddressRecord(address: try #require(IPAddress($0.0)).bytes, prefixLength: $0.1, interfaceIndex: $0.2,
                                   protocolNumber: $0.3)
        }
        let changes = ClusterIPAddressChanges(wanted: Set(row.wanted.compactMap(IPAddress.init)), present: present,
                                              addedHere: Set(try placed(row.addedHere)), marker: Self.ours,
                                              interfaceIndex: row.interface)
        #expect(changes.add == row.add.compactMap(IPAddress.init))
        #expect(changes.remove == (try placed(row.remove)))
        #expect(changes.keep == (try placed(row.keep)))
    }
}
