// Domain names in wire form (RFC 1035 §3.1): length-prefixed labels ending in the root's
// zero byte. The zone keeps every name this way, lowercased, so that a query's name is
// compared and hashed as the bytes it arrives in, without text.

enum WireName {
    /// The root name: one zero byte.
    static let root: [UInt8] = [0]

    /// The lowercase wire form of a dotted name ("Web.Default.svc.cluster.local", a trailing
    /// dot allowed); nil for an empty label, a label over 63 bytes, or a name over 255.
    static func encode(_ text: String) -> [UInt8]? {
        if text == "." { return root }
        var wire: [UInt8] = []
        var labelStart = 0
        wire.append(0)
        for byte in text.utf8 {
            if byte == UInt8(ascii: ".") {
                guard closeLabel(&wire, labelStart) else { return nil }
                labelStart = wire.count
                wire.append(0)
            } else {
                wire.append(lowercased(byte))
            }
        }
        if wire.count - labelStart == 1 {
            // A trailing dot, or the root itself: the open label is the terminator.
            guard wire.count == 1 || text.hasSuffix(".") else { return nil }
        } else {
            guard closeLabel(&wire, labelStart) else { return nil }
            wire.append(0)
        }
        return wire.count <= 255 ? wire : nil
    }

    /// Fills in the length byte of the label that starts at `start`.
    private static func closeLabel(_ wire: inout [UInt8], _ start: Int) -> Bool {
        let length = wire.count - start - 1
        guard length > 0, length <= 63 else { return false }
        wire[start] = UInt8(length)
        return true
    }

    /// "web.default.svc.cluster.local." for a wire name; "." for the root.
    static func text(_ wire: [UInt8]) -> String {
        var text: [UInt8] = []
        var offset = 0
        while offset < wire.count, wire[offset] != 0 {
            let length = Int(wire[offset])
            let end = min(wire.count, offset + 1 + length)
            text.append(contentsOf: wire[(offset + 1)..<end])
            text.append(UInt8(ascii: "."))
            offset = end
        }
        return text.isEmpty ? "." : String(decoding: text, as: UTF8.self)
    }

    /// ASCII lowercase: DNS compares names without regard to ASCII case only (RFC 4343).
    @inline(__always)
    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte &- 0x41 < 26 ? byte | 0x20 : byte
    }

    /// FNV-1a over the lowercased bytes: the zone's index key, computed while a query's name
    /// is read, so that the lookup needs no copy of the name.
    static let hashSeed: UInt64 = 0xcbf2_9ce4_8422_2325
    @inline(__always)
    static func hash(_ state: UInt64, _ byte: UInt8) -> UInt64 {
        (state ^ UInt64(lowercased(byte))) &* 0x0000_0100_0000_01b3
    }

    static func hash(_ wire: [UInt8]) -> UInt64 {
        wire.reduce(hashSeed) { hash($0, $1) }
    }

    /// The offsets where `wire`'s labels start, the first one first (the root not counted).
    static func labelStarts(_ wire: [UInt8]) -> [Int] {
        var starts: [Int] = []
        var offset = 0
        while offset < wire.count, wire[offset] != 0 {
            starts.append(offset)
            offset += 1 + Int(wire[offset])
        }
        return starts
    }

    /// `name` with `prefix` labels ahead of it: "_http" + "_tcp" + "web.default.svc.…".
    static func prepending(_ labels: [String], to name: [UInt8]) -> [UInt8]? {
        encode(labels.joined(separator: ".") + "." + text(name))
    }

    /// Whether `name` is `suffix` or lies under it, both lowercase wire form.
    static func isSubdomain(_ name: [UInt8], of suffix: [UInt8]) -> Bool {
        guard name.count >= suffix.count else { return false }
        let start = name.count - suffix.count
        guard name[start...].elementsEqual(suffix) else { return false }
        return labelStarts(name).contains(start) || start == name.count - 1
    }

    /// Whether `lowercase` (lowercase wire form) is `name` in any case.
    @inline(__always)
    static func equal(_ lowercase: UnsafeRawBufferPointer, lowercase name: UnsafeRawBufferPointer) -> Bool {
        guard lowercase.count == name.count else { return false }
        for index in 0..<name.count where lowercase[index] != lowercased(name[index]) { return false }
        return true
    }

    /// Whether `name` (wire form, any case) is `suffix` (lowercase wire form) or lies under it:
    /// `isSubdomain(_:of:)` on the bytes in place, without a lowercased copy.
    static func isSubdomain(_ name: UnsafeRawBufferPointer, of suffix: UnsafeRawBufferPointer) -> Bool {
        guard name.count >= suffix.count else { return false }
        let start = name.count - suffix.count
        for index in 0..<suffix.count where lowercased(name[start + index]) != suffix[index] { return false }
        // The suffix must begin at a label of `name`, not inside one.
        var offset = 0
        while offset < start, name[offset] != 0 { offset += 1 + Int(name[offset]) }
        return offset == start
    }
}
