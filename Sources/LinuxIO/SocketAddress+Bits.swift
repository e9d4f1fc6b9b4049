// A socket address's IP as two 64-bit halves, IPv4 mapped into ::ffff:0:0/96, so that a
// per-connection check (a NetworkPolicy block, a session-affinity key) compares integers
// instead of text.
internal import CLinux

extension SocketAddress {
    /// The address as 128 bits (IPv4 as `::ffff:a.b.c.d`): the high and low halves.
    public var addressBits: (high: UInt64, low: UInt64) {
        switch storage {
        case .v4(let a):
            return (0, 0x0000_ffff_0000_0000 | UInt64(UInt32(bigEndian: a.sin_addr.s_addr)))
        case .v6(var a):
            return withUnsafeBytes(of: &a.sin6_addr) { bytes in
                var high: UInt64 = 0, low: UInt64 = 0
                for index in 0..<8 { high = high << 8 | UInt64(bytes[index]) }
                for index in 8..<16 { low = low << 8 | UInt64(bytes[index]) }
                return (high, low)
            }
        }
    }

    /// Whether this is an IPv4 address (`addressBits` then holds it mapped into ::ffff:0:0/96).
    public var isIPv4: Bool {
        if case .v4 = storage { return true }
        return false
    }
}
