// IP addresses and CIDR blocks as the configuration spells them. Parsed once at load
// time; the engine turns them into socket addresses when it applies a plan.
import Glibc

/// An IPv4 or IPv6 address, compared and printed in canonical form.
public struct IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    public enum Family: Sendable, Hashable { case ipv4, ipv6 }

    /// 4 bytes for IPv4, 16 for IPv6, in network order.
    public let bytes: [UInt8]

    public var family: Family { bytes.count == 4 ? .ipv4 : .ipv6 }

    /// Parses dotted IPv4 ("10.96.0.10") or IPv6 ("fd00::10"); nil for anything else,
    /// including IPv4 with leading zeros, which Kubernetes rejects as ambiguous.
    public init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            let parts = text.split(separator: ".")
            if parts.contains(where: { $0.count > 1 && $0.first == "0" }) { return nil }
            bytes = withUnsafeBytes(of: v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            bytes = withUnsafeBytes(of: v6) { Array($0) }
            return
        }
        return nil
    }

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// 4 or 16 bytes in network order, as the kernel reports an address; nil for any other length.
    public init?(networkOrder bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    public var description: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        _ = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &text, socklen_t(text.count)) }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// "10.0.0.1:80" or "[fd00::1]:80": the address with a port, as kube-proxy writes it.
    public func withPort<Port: BinaryInteger>(_ port: Port) -> String {
        family == .ipv4 ? "\(self):\(port)" : "[\(self)]:\(port)"
    }

    public var isUnspecified: Bool { bytes.allSatisfy { $0 == 0 } }
    public var isLoopback: Bool {
        family == .ipv4 ? bytes[0] == 127 : bytes == [UInt8](repeating: 0, count: 15) + [1]
    }
    public var isLinkLocal: Bool {
        family == .ipv4 ? (bytes[0] == 169 && bytes[1] == 254) : (bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80)
    }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        lhs.bytes.count != rhs.bytes.count ? lhs.bytes.count < rhs.bytes.count : lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }
}

/// An address block such as "127.0.0.0/8" or "fd00::/64".
public struct CIDR: Hashable, Sendable, CustomStringConvertible {
    public let address: IPAddress
    public let prefixLength: Int

    /// Parses "ADDRESS/PREFIX". The host bits need not be zero (kube-proxy accepts
    /// "10.0.0.5/24" in --nodeport-addresses and means the /24).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPAddress(String(parts[0])),
              let length = Int(parts[1]), length >= 0, length <= address.bytes.count * 8
        else { return nil }
        self.address = address
        self.prefixLength = length
    }

    public func contains(_ ip: IPAddress) -> Bool {
        guard ip.family == address.family else { return false }
        var remaining = prefixLength
        for (a, b) in zip(address.bytes, ip.bytes) where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xff << (8 - bits))
            if a & mask != b & mask { return false }
            remaining -= bits
        }
        return true
    }

    public var description: String { "\(address)/\(prefixLength)" }
}

extension CIDR {
    /// How many addresses the block holds, capped at 2^62 (an IPv6 /64 is plenty to hash into).
    public var addressCount: UInt64 {
        let hostBits = address.bytes.count * 8 - prefixLength
        return hostBits >= 62 ? 1 << 62 : 1 << UInt64(hostBits)
    }

    /// The address `offset` places after the block's first one (host bits zero).
    public func address(at offset: UInt64) -> IPAddress {
        var bytes = address.bytes
        var remaining = prefixLength
        for index in bytes.indices {
            let bits = min(8, max(0, remaining))
            bytes[index] &= UInt8(truncatingIfNeeded: 0xff << (8 - bits))
            remaining -= 8
        }
        var carry = offset
        for index in bytes.indices.reversed() where carry > 0 {
            let sum = UInt64(bytes[index]) + (carry & 0xff)
            bytes[index] = UInt8(truncatingIfNeeded: sum)
            carry = (carry >> 8) + (sum >> 8)
        }
        return IPAddress(bytes: bytes)
    }
}
