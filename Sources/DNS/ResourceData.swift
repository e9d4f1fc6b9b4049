// Record data as the codec keeps it: raw bytes, or bytes around the names that a writer may
// compress. RFC 3597 §4 allows compression only inside the RDATA of RFC 1035's types (NS,
// CNAME, PTR, SOA, MX); an SRV target is written whole (RFC 2782) but may still be pointed at.

enum ResourceData: Hashable, Sendable {
    /// A, AAAA, TXT, OPT, and every type whose RDATA holds no name we know of.
    case raw([UInt8])
    /// CNAME, NS, PTR: one name, compressed.
    case name([UInt8])
    /// MX (compressed) and SRV (not): fixed fields, then a name.
    case prefixedName([UInt8], [UInt8], compressible: Bool)
    /// MNAME, RNAME (compressed), then serial, refresh, retry, expire and minimum.
    case soa([UInt8], [UInt8], [UInt8])
}

extension MessageWriter {
    /// Writes a whole record: owner (a pointer when `ownerPointer` is given), type, class,
    /// TTL, then RDATA with its length filled in after the names are written.
    mutating func record(owner: [UInt8]?, ownerPointer: UInt16? = nil, type: UInt16, class: UInt16 = 1, ttl: UInt32, data: ResourceData) {
        if let ownerPointer {
            append16(0xc000 | ownerPointer)
        } else {
            name(owner ?? WireName.root)
        }
        append16(type)
        append16(`class`)
        append32(ttl)
        let lengthAt = count
        append16(0)
        switch data {
        case .raw(let bytes):
            append(bytes)
        case .name(let target):
            name(target)
        case .prefixedName(let prefix, let target, let compressible):
            append(prefix)
            let start = count
            name(target, compress: compressible)
            if !compressible { remember(nameAt: start, length: target.count) }
        case .soa(let mname, let rname, let tail):
            name(mname)
            name(rname)
            append(tail)
        }
        set16(UInt16(truncatingIfNeeded: count - lengthAt - 2), at: lengthAt)
    }
}
