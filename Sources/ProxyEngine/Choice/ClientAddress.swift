// Client addresses and address blocks as the per-connection checks of policy admission
// and session affinity compare them: the configuration's own IPAddress (128 bits in two
// integers) made straight from the socket address, and a CIDR block as a network and a
// mask, so a check is a few integer compares, with no text and no allocation.
import LinuxIO
import ServiceConfig

extension IPAddress {
    /// The address of a peer, as accept(2) gave it.
    init(_ address: SocketAddress) {
        let bits = address.addressBits
        self.init(family: address.isIPv4 ? .ipv4 : .ipv6, high: bits.high, low: bits.low)
    }
}

/// A CIDR block as a network and a mask.
struct IPBlock: Sendable {
    let family: IPAddress.Family
    let networkHigh: UInt64
    let networkLow: UInt64
    let maskHigh: UInt64
    let maskLow: UInt64

    init(_ cidr: CIDR) {
        let mask = cidr.mask
        family = cidr.address.family
        maskHigh = mask.high
        maskLow = mask.low
        networkHigh = cidr.address.high & mask.high
        networkLow = cidr.address.low & mask.low
    }

    @inline(__always)
    func contains(_ ip: IPAddress) -> Bool {
        ip.family == family && ip.high & maskHigh == networkHigh && ip.low & maskLow == networkLow
    }
}

/// An `ipBlock`: a block less the holes its `except` cuts into it.
struct HoledBlock: Sendable {
    let block: IPBlock
    let holes: [IPBlock]

    init(_ cidr: CIDR, except: [CIDR]) {
        block = IPBlock(cidr)
        holes = except.map(IPBlock.init)
    }

    @inline(__always)
    func contains(_ ip: IPAddress) -> Bool { block.contains(ip) && !holes.contains { $0.contains(ip) } }
}
