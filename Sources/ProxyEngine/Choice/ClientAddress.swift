// Client addresses and address blocks as 128-bit integers (IPv4 mapped into
// ::ffff:0:0/96): what the per-connection checks of policy admission and session affinity
// compare, with no text and no allocation.
import LinuxIO
import ServiceConfig

struct IPBits: Hashable, Sendable, CustomStringConvertible {
    let high: UInt64
    let low: UInt64

    init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    init(_ address: SocketAddress) {
        let bits = address.addressBits
        self.init(high: bits.high, low: bits.low)
    }

    init(_ ip: IPAddress) {
        if ip.family == .ipv4 {
            let value = ip.bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            self.init(high: 0, low: 0x0000_ffff_0000_0000 | value)
        } else {
            let high = ip.bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let low = ip.bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            self.init(high: high, low: low)
        }
    }

    var description: String {
        if high == 0, low >> 32 == 0xffff {
            return "\(low >> 24 & 0xff).\(low >> 16 & 0xff).\(low >> 8 & 0xff).\(low & 0xff)"
        }
        let groups = (0..<8).map { index -> String in
            let half = index < 4 ? high : low
            return String(half >> (UInt64(3 - index % 4) * 16) & 0xffff, radix: 16)
        }
        return groups.joined(separator: ":")
    }
}

/// A CIDR block as a network and a mask.
struct IPBlock: Sendable {
    let network: IPBits
    let mask: IPBits

    init(_ cidr: CIDR) {
        let length = cidr.prefixLength + (cidr.address.family == .ipv4 ? 96 : 0)
        let highBits = min(64, length), lowBits = max(0, length - 64)
        let highMask: UInt64 = highBits == 0 ? 0 : ~0 << UInt64(64 - highBits)
        let lowMask: UInt64 = lowBits == 0 ? 0 : ~0 << UInt64(64 - lowBits)
        mask = IPBits(high: highMask, low: lowMask)
        let address = IPBits(cidr.address)
        network = IPBits(high: address.high & highMask, low: address.low & lowMask)
    }

    @inline(__always)
    func contains(_ ip: IPBits) -> Bool {
        ip.high & mask.high == network.high && ip.low & mask.low == network.low
    }
}
