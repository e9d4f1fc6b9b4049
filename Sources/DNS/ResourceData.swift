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

/// A run of bytes in the zone's arena (ZoneImage): where a name or RDATA is kept.
struct ArenaSpan: Sendable {
    var offset: UInt32
    var length: UInt32

    static let empty = ArenaSpan(offset: 0, length: 0)

    @inline(__always)
    func bytes(_ arena: UnsafeRawPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: arena + Int(offset), count: Int(length))
    }
}

/// A `ResourceData` as the zone's image keeps it: spans of its arena in place of arrays, so
/// that writing it touches no reference count.
struct PackedRecord: Sendable {
    enum Kind: UInt8, Sendable { case raw, name, prefixedName, soa }

    var kind: Kind
    /// The raw bytes; the name; the fixed fields before the name; MNAME.
    var first: ArenaSpan
    /// The name after the fixed fields; RNAME.
    var second: ArenaSpan = .empty
    /// The SOA's serial, refresh, retry, expire and minimum.
    var third: ArenaSpan = .empty
    /// For `prefixedName`: whether the name may be compressed (MX) or not (SRV).
    var compressible = false
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
        let lengthAt = recordHeader(type: type, class: `class`, ttl: ttl)
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

    /// The same for a record of the zone's image, its bytes in `arena`; owned by `owner`, or
    /// by the name at `ownerPointer` when `owner` is nil.
    mutating func record(owner: UnsafeRawBufferPointer?, ownerPointer: UInt16, type: UInt16, ttl: UInt32, record: PackedRecord, arena: UnsafeRawPointer) {
        if let owner {
            name(owner)
        } else {
            append16(0xc000 | ownerPointer)
        }
        let lengthAt = recordHeader(type: type, class: 1, ttl: ttl)
        switch record.kind {
        case .raw:
            append(record.first.bytes(arena))
        case .name:
            name(record.first.bytes(arena))
        case .prefixedName:
            append(record.first.bytes(arena))
            let start = count
            name(record.second.bytes(arena), compress: record.compressible)
            if !record.compressible { remember(nameAt: start, length: Int(record.second.length)) }
        case .soa:
            name(record.first.bytes(arena))
            name(record.second.bytes(arena))
            append(record.third.bytes(arena))
        }
        set16(UInt16(truncatingIfNeeded: count - lengthAt - 2), at: lengthAt)
    }

    /// Type, class, TTL and a zero RDLENGTH; where the RDLENGTH is, to fill in.
    @inline(__always)
    private mutating func recordHeader(type: UInt16, class: UInt16, ttl: UInt32) -> Int {
        append16(type)
        append16(`class`)
        append32(ttl)
        let lengthAt = count
        append16(0)
        return lengthAt
    }
}
