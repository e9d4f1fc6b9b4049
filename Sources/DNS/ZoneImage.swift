// The zone as the answer path reads it: every node, RRset and record as plain numbers in
// tables, and every name and RDATA in one arena of bytes, all allocated once when the zone
// is built and freed with it. Reading it is loads through pointers: no array is copied and
// no reference count touched per query, which the arrays of ZoneNode would cost.

/// A node: its name, an ExternalName's target (empty span for none), its RRsets.
struct PackedNode {
    var name: ArenaSpan
    var canonicalName: ArenaSpan
    var firstSet: Int32
    var setCount: Int32
    var authority: ZoneAuthority
}

/// An RRset: its records, and the nodes whose addresses go in the additional section.
struct PackedSet {
    var type: UInt16
    var firstRecord: Int32
    var recordCount: Int32
    var firstAdditional: Int32
    var additionalCount: Int32
}

/// The SOA of a negative answer.
struct PackedAuthority {
    var owner: ArenaSpan
    var record: PackedRecord
}

/// The index's slot: a node's number (-1: empty) and its name's hash.
struct IndexSlot {
    var hash: UInt64
    var node: Int32
}

/// Pointers into memory that the owning DNSZone allocates in its init and frees in its
/// deinit, never writing it in between: so it may be read from any thread, hence
/// `@unchecked Sendable`. A value of plain pointers, so copying it costs nothing.
struct ZoneImage: @unchecked Sendable {
    /// Every name and RDATA of the zone, one after another.
    let base: UnsafeMutableRawPointer
    let nodes: UnsafeMutableBufferPointer<PackedNode>
    let sets: UnsafeMutableBufferPointer<PackedSet>
    let records: UnsafeMutableBufferPointer<PackedRecord>
    let additional: UnsafeMutableBufferPointer<Int32>
    let authorities: UnsafeMutableBufferPointer<PackedAuthority>
    /// Open addressing with linear probing over a power-of-two table at most half full; a
    /// probe compares names only on a full hash match.
    let slots: UnsafeMutableBufferPointer<IndexSlot>
    let mask: Int
    /// The zone's name and `pod.<zone>`, lowercase wire form.
    let zoneName: ArenaSpan
    let podName: ArenaSpan

    init(nodes zoneNodes: [ZoneNode], authorities zoneAuthorities: [(owner: [UInt8], data: ResourceData)], zoneName zone: [UInt8], podName pod: [UInt8]) {
        var bytes: [UInt8] = []
        /// Names are kept once each, however many records carry them.
        var names: [[UInt8]: ArenaSpan] = [:]
        func span(_ data: [UInt8], shared: Bool = true) -> ArenaSpan {
            if shared, let known = names[data] { return known }
            let span = ArenaSpan(offset: UInt32(bytes.count), length: UInt32(data.count))
            bytes += data
            if shared { names[data] = span }
            return span
        }
        func pack(_ data: ResourceData) -> PackedRecord {
            switch data {
            case .raw(let raw): PackedRecord(kind: .raw, first: span(raw, shared: false))
            case .name(let name): PackedRecord(kind: .name, first: span(name))
            case .prefixedName(let fixed, let name, let compressible):
                PackedRecord(kind: .prefixedName, first: span(fixed, shared: false), second: span(name), compressible: compressible)
            case .soa(let mname, let rname, let fields):
                PackedRecord(kind: .soa, first: span(mname), second: span(rname), third: span(fields, shared: false))
            }
        }
        var packedNodes: [PackedNode] = []
        var packedSets: [PackedSet] = []
        var packedRecords: [PackedRecord] = []
        var packedAdditional: [Int32] = []
        for node in zoneNodes {
            packedNodes.append(PackedNode(
                name: span(node.name), canonicalName: node.canonicalName.map { span($0) } ?? .empty,
                firstSet: Int32(packedSets.count), setCount: Int32(node.recordSets.count), authority: node.authority))
            for set in node.recordSets {
                packedSets.append(PackedSet(
                    type: set.type, firstRecord: Int32(packedRecords.count), recordCount: Int32(set.records.count),
                    firstAdditional: Int32(packedAdditional.count), additionalCount: Int32(set.additional.count)))
                packedRecords += set.records.map(pack)
                packedAdditional += set.additional.map { Int32($0) }
            }
        }
        let packedAuthorities = zoneAuthorities.map { PackedAuthority(owner: span($0.owner), record: pack($0.data)) }
        zoneName = span(zone)
        podName = span(pod)

        var size = 16
        while size < zoneNodes.count * 2 { size <<= 1 }
        var table = Array(repeating: IndexSlot(hash: 0, node: -1), count: size)
        mask = size - 1
        for (number, node) in zoneNodes.enumerated() {
            let hash = WireName.hash(node.name)
            var slot = Int(truncatingIfNeeded: hash) & mask
            while table[slot].node >= 0 { slot = (slot + 1) & mask }
            table[slot] = IndexSlot(hash: hash, node: Int32(number))
        }

        base = .allocate(byteCount: max(1, bytes.count), alignment: 16)
        UnsafeMutableRawBufferPointer(start: base, count: bytes.count).copyBytes(from: bytes)
        self.nodes = Self.copy(packedNodes)
        sets = Self.copy(packedSets)
        records = Self.copy(packedRecords)
        additional = Self.copy(packedAdditional)
        authorities = Self.copy(packedAuthorities)
        slots = Self.copy(table)
    }

    private static func copy<Element>(_ elements: [Element]) -> UnsafeMutableBufferPointer<Element> {
        let buffer = UnsafeMutableBufferPointer<Element>.allocate(capacity: max(1, elements.count))
        _ = buffer.initialize(from: elements)
        return buffer
    }

    /// Frees the memory; the zone's deinit, once nothing can read it.
    func deallocate() {
        base.deallocate()
        nodes.deallocate()
        sets.deallocate()
        records.deallocate()
        additional.deallocate()
        authorities.deallocate()
        slots.deallocate()
    }

    @inline(__always)
    func bytes(_ span: ArenaSpan) -> UnsafeRawBufferPointer { span.bytes(base) }

    /// The node named like `name` (any case), given the hash of its lowercase form.
    func find(_ hash: UInt64, _ name: UnsafeRawBufferPointer) -> Int? {
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slots[slot]
            if entry.node < 0 { return nil }
            if entry.hash == hash, WireName.equal(bytes(nodes[Int(entry.node)].name), lowercase: name) { return Int(entry.node) }
            slot = (slot + 1) & mask
        }
    }

    /// The node named `name`, lowercase wire form.
    func find(_ name: UnsafeRawBufferPointer) -> Int? {
        var hash = WireName.hashSeed
        for byte in name { hash = WireName.hash(hash, byte) }
        return find(hash, name)
    }
}
