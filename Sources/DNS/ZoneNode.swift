// The zone as the resolver reads it: one node per name that exists, whether it holds
// records or is an empty non-terminal (RFC 8020: a name with names below it exists, and
// answers NODATA rather than NXDOMAIN), and an open-addressing index from the name's hash
// to its node, so that a query costs one hash of its name and, usually, one probe.

/// Which SOA a negative answer at a node carries: ours, or the reverse zone's we answer in.
enum ZoneAuthority: Int, Sendable {
    case zone = 0, reverseIPv4, reverseIPv6
}

/// The records of one type at a name.
struct ZoneRecordSet: Sendable {
    let type: UInt16
    var records: [ResourceData]
    /// Nodes whose address records go in the additional section: SRV targets, NS glue.
    var additional: [Int]
}

struct ZoneNode: Sendable {
    /// Lowercase wire form.
    let name: [UInt8]
    var recordSets: [ZoneRecordSet] = []
    /// An ExternalName Service: the target of its CNAME, which stands alone at the name.
    var canonicalName: [UInt8]?
    let authority: ZoneAuthority

    func recordSet(_ type: UInt16) -> ZoneRecordSet? {
        recordSets.first { $0.type == type }
    }
}

/// Open addressing with linear probing over a power-of-two table at most half full; a slot
/// holds a node's number and its name's hash, so a probe compares names only on a full match.
struct ZoneIndex: Sendable {
    private var slots: [Int32]
    private var hashes: [UInt64]
    private let mask: Int

    init(_ nodes: [ZoneNode]) {
        var size = 16
        while size < nodes.count * 2 { size <<= 1 }
        slots = Array(repeating: -1, count: size)
        hashes = Array(repeating: 0, count: size)
        mask = size - 1
        for (number, node) in nodes.enumerated() {
            let hash = WireName.hash(node.name)
            var slot = Int(truncatingIfNeeded: hash) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(number)
            hashes[slot] = hash
        }
    }

    /// The node named like `query[start ..< start + length]` (any case), given its hash.
    func find(_ hash: UInt64, _ query: UnsafeRawBufferPointer, start: Int, length: Int, in nodes: [ZoneNode]) -> Int? {
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let number = Int(slots[slot])
            if number < 0 { return nil }
            if hashes[slot] == hash, Self.equal(nodes[number].name, query, start: start, length: length) { return number }
            slot = (slot + 1) & mask
        }
    }

    /// The node named `name` (lowercase wire form).
    func find(_ name: [UInt8], in nodes: [ZoneNode]) -> Int? {
        name.withUnsafeBytes { find(WireName.hash(name), $0, start: 0, length: name.count, in: nodes) }
    }

    private static func equal(_ name: [UInt8], _ query: UnsafeRawBufferPointer, start: Int, length: Int) -> Bool {
        guard name.count == length else { return false }
        for index in 0..<length where name[index] != WireName.lowercased(query[start + index]) { return false }
        return true
    }
}
