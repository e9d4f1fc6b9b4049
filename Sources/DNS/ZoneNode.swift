// The zone as the resolver reads it: one node per name that exists, whether it holds
// records or is an empty non-terminal (RFC 8020: a name with names below it exists, and
// answers NODATA rather than NXDOMAIN). ZoneImage packs them, with an open-addressing index
// from the name's hash to its node, so that a query costs one hash of its name and, usually,
// one probe.

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
