// Which service addresses to add to the node, which to take away, and which to leave as
// they are, decided from the addresses the kernel lists and the ones the plan wants. A
// pure function of those values, so that the rules below are table-tested without a
// network namespace.
//
// The rules: an address is svcproxy's when it is a host address (/32, /128) marked with
// `ClusterIPAddresses.addressProtocol` (IFA_PROTO), or when this process added it itself
// (the fallback for kernels that keep no mark). Only svcproxy's addresses are ever
// removed: the ones the plan no longer wants, including those an earlier run left behind
// when it was killed. A wanted address that is already local, whoever added it, is left
// alone; one that is svcproxy's is kept in place, never removed and added again, so that
// connections to it are not disturbed. A wanted address that is nowhere is added.
// svcproxy's addresses on another interface than the configured one (the flag changed
// between runs) are removed and added again on the configured one: kept where they were,
// they would be announced and answered on the old link.
import LinuxIO
import ServiceConfig

/// An address where it sits: on which interface.
struct PlacedAddress: Hashable, Sendable, Comparable {
    let ip: IPAddress
    let interfaceIndex: UInt32

    static func < (lhs: PlacedAddress, rhs: PlacedAddress) -> Bool {
        (lhs.ip, lhs.interfaceIndex) < (rhs.ip, rhs.interfaceIndex)
    }
}

struct ClusterIPAddressChanges: Equatable {
    /// Wanted and on no interface: to add. Sorted.
    var add: [IPAddress] = []
    /// svcproxy's and no longer wanted: to remove. Sorted.
    var remove: [PlacedAddress] = []
    /// svcproxy's and still wanted: to leave in place and remove later. Sorted.
    var keep: [PlacedAddress] = []

    /// - Parameters:
    ///   - wanted: the service addresses the plan wants local.
    ///   - present: every address the kernel lists, on every interface.
    ///   - addedHere: the addresses this process added (and so are its own even where the
    ///     kernel kept no mark).
    ///   - marker: the IFA_PROTO value that marks svcproxy's addresses.
    ///   - interfaceIndex: the configured interface, where svcproxy's addresses belong;
    ///     nil when unknown (then they are kept wherever they are).
    init(wanted: Set<IPAddress>, present: [InterfaceAddressRecord], addedHere: Set<PlacedAddress>, marker: UInt8,
         interfaceIndex: UInt32? = nil) {
        var local: Set<IPAddress> = []
        var ours: Set<PlacedAddress> = []
        var misplaced: Set<PlacedAddress> = []
        for record in present {
            guard let ip = IPAddress(networkOrder: record.address) else { continue }
            let placed = PlacedAddress(ip: ip, interfaceIndex: record.interfaceIndex)
            let isHostAddress = Int(record.prefixLength) == record.address.count * 8
            guard isHostAddress, record.protocolNumber == marker || addedHere.contains(placed) else {
                local.insert(ip)
                continue
            }
            if let interfaceIndex, record.interfaceIndex != interfaceIndex {
                misplaced.insert(placed)  // not local once removed: added again where it belongs
            } else {
                local.insert(ip)
                ours.insert(placed)
            }
        }
        add = wanted.subtracting(local).sorted()
        remove = (ours.filter { !wanted.contains($0.ip) } + misplaced).sorted()
        keep = ours.filter { wanted.contains($0.ip) }.sorted()
    }
}
