// IP addresses and CIDR blocks as the configuration spells them. Parsed once at load
// time; the engine turns them into socket addresses when it applies a plan.
import Glibc

/// An IPv4 or IPv6 address, compared and printed in canonical form. Held as 128 bits
/// (IPv4 mapped into ::ffff:0:0/96) in two integers: the configuration's addresses and the
/// engine's per-connection checks (policy admission, affinity pins) use this one type,
/// which compares and hashes without text or allocation.
public struct IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    public enum Family: Sendable, Hashable { case ipv4, ipv6 }

    /// The most and least significant 64 bits, in host order. (The family last: a value
    /// that follows an address in a struct can then sit in its padding.)
    public let high: UInt64
    public let low: UInt64
    public let family: Family

    /// An address from its 128 bits; IPv4 when they lie in ::ffff:0:0/96 and `family` says so.
    public init(family: Family, high: UInt64, low: UInt64) {
        self.family = family
        self.high = high
        self.low = low
    }

    /// Parses dotted IPv4 ("10.96.0.10") or IPv6 ("fd00::10"); nil for anything else,
    /// including IPv4 with leading zeros, which Kubernetes rejects as ambiguous.
    public init?(_ text: String) {
        if let value = Self.dottedQuad(text) {
            self.init(family: .ipv4, high: 0, low: Self.ipv4Mapped | UInt64(value))
            return
        }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            let parts = text.split(separator: ".")
            if parts.contains(where: { $0.count > 1 && $0.first == "0" }) { return nil }
            self.init(bytes: withUnsafeBytes(of: v4) { Array($0) })
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            self.init(bytes: withUnsafeBytes(of: v6) { Array($0) })
            return
        }
        return nil
    }

    /// The common case read by hand, without inet_pton's C string and the check's array
    /// (a large configuration holds tens of thousands of addresses): four decimal numbers
    /// up to 255, without leading zeros. Nil for anything else, which the full parse judges.
    private static func dottedQuad(_ text: String) -> UInt32? {
        var value: UInt32 = 0
        var part: UInt32 = 0
        var digits = 0
        var parts = 0
        var leadingZero = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if leadingZero { return nil }
                if digits == 0, byte == UInt8(ascii: "0") { leadingZero = true }
                part = part * 10 + UInt32(byte - UInt8(ascii: "0"))
                digits += 1
                guard digits <= 3, part <= 255 else { return nil }
            case UInt8(ascii: "."):
                guard digits > 0, parts < 3 else { return nil }
                value = value << 8 | part
                (part, digits, parts, leadingZero) = (0, 0, parts + 1, false)
            default:
                return nil
            }
        }
        guard digits > 0, parts == 3 else { return nil }
        return value << 8 | part
    }

    /// 4 bytes for IPv4, 16 for IPv6, in network order.
    init(bytes: [UInt8]) {
        func number(_ slice: ArraySlice<UInt8>) -> UInt64 { slice.reduce(0) { $0 << 8 | UInt64($1) } }
        if bytes.count == 4 {
            self.init(family: .ipv4, high: 0, low: Self.ipv4Mapped | number(bytes[...]))
        } else {
            self.init(family: .ipv6, high: number(bytes[0..<8]), low: number(bytes[8..<16]))
        }
    }

    /// The ::ffff:0:0/96 prefix that IPv4 addresses are held under.
    static let ipv4Mapped: UInt64 = 0x0000_ffff_0000_0000

    /// 4 bytes for IPv4, 16 for IPv6, in network order.
    public var bytes: [UInt8] {
        func bytes(of value: UInt64, count: Int) -> [UInt8] {
            (0..<count).map { UInt8(truncatingIfNeeded: value >> UInt64(8 * (count - 1 - $0))) }
        }
        return family == .ipv4 ? bytes(of: low, count: 4) : bytes(of: high, count: 8) + bytes(of: low, count: 8)
    }

    /// Address bits: 32 for IPv4, 128 for IPv6.
    public var bitCount: Int { family == .ipv4 ? 32 : 128 }

    /// 4 or 16 bytes in network order, as the kernel reports an address; nil for any other length.
    public init?(networkOrder bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.init(bytes: bytes)
    }

    public var description: String {
        if family == .ipv4 { return dottedQuadText }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = self.family == .ipv4 ? AF_INET : AF_INET6
        _ = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &text, socklen_t(text.count)) }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// An IPv4 address as four decimal numbers, written here rather than by inet_ntop(3),
    /// whose sprintf(3) made formatting a client's address (X-Forwarded-For, once per
    /// connection) cost as much as parsing a request head's field lines. At most 15 bytes,
    /// so the string is stored inline.
    private var dottedQuadText: String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 15) { text in
            var count = 0
            for shift in stride(from: 24, through: 0, by: -8) {
                let octet = Int(truncatingIfNeeded: low >> UInt64(shift)) & 0xff
                if shift != 24 { text[count] = UInt8(ascii: "."); count += 1 }
                if octet >= 100 { text[count] = UInt8(truncatingIfNeeded: 48 + octet / 100); count += 1 }
                if octet >= 10 { text[count] = UInt8(truncatingIfNeeded: 48 + octet / 10 % 10); count += 1 }
                text[count] = UInt8(truncatingIfNeeded: 48 + octet % 10)
                count += 1
            }
            return String(decoding: UnsafeBufferPointer(rebasing: text[..<count]), as: UTF8.self)
        }
    }

    /// "10.0.0.1:80" or "[fd00::1]:80": the address with a port, as kube-proxy writes it.
    public func withPort<Port: BinaryInteger>(_ port: Port) -> String {
        family == .ipv4 ? "\(self):\(port)" : "[\(self)]:\(port)"
    }

    public var isUnspecified: Bool { family == .ipv4 ? low == Self.ipv4Mapped : high == 0 && low == 0 }
    public var isLoopback: Bool {
        family == .ipv4 ? low >> 24 & 0xff == 127 : high == 0 && low == 1
    }
    public var isLinkLocal: Bool {
        family == .ipv4 ? low >> 16 & 0xffff == 0xa9fe : high >> 54 == 0x3fa
    }

    /// IPv4 first, then by value.
    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        if lhs.family != rhs.family { return lhs.family == .ipv4 }
        return (lhs.high, lhs.low) < (rhs.high, rhs.low)
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
              let length = Int(parts[1]), length >= 0, length <= address.bitCount
        else { return nil }
        self.address = address
        self.prefixLength = length
    }

    public func contains(_ ip: IPAddress) -> Bool {
        guard ip.family == address.family else { return false }
        let (high, low) = mask
        return ip.high & high == address.high & high && ip.low & low == address.low & low
    }

    /// The prefix as a mask over the 128 bits (an IPv4 prefix counts from bit 96).
    public var mask: (high: UInt64, low: UInt64) {
        let length = prefixLength + (address.family == .ipv4 ? 96 : 0)
        let highBits = min(64, length), lowBits = max(0, length - 64)
        return (highBits == 0 ? 0 : ~0 << UInt64(64 - highBits), lowBits == 0 ? 0 : ~0 << UInt64(64 - lowBits))
    }

    public var description: String { "\(address)/\(prefixLength)" }
}

extension CIDR {
    /// How many addresses the block holds, capped at 2^62 (an IPv6 /64 is plenty to hash into).
    public var addressCount: UInt64 {
        let hostBits = address.bitCount - prefixLength
        return hostBits >= 62 ? 1 << 62 : 1 << UInt64(hostBits)
    }

    /// The address `offset` places after the block's first one (host bits zero); an
    /// offset past the block wraps within it (only its host bits are used), so the
    /// result is always inside the block.
    public func address(at offset: UInt64) -> IPAddress {
        let (highMask, lowMask) = mask
        // A 64-bit offset reaches only the low half: host bits in the high half stay zero.
        return IPAddress(family: address.family, high: address.high & highMask,
                         low: address.low & lowMask | offset & ~lowMask)
    }
}
