// The small values the DNS responder's handler and metrics speak in: record types, response
// codes, the transport a query came over, and what became of a query. They are numbers on
// the wire; names exist only for metric labels and printing, so the label set stays small.

/// A resource record type (RFC 1035 §3.2.2, RFC 3596, RFC 2782, RFC 6891), as its 16-bit number.
public struct DNSRecordType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let a = DNSRecordType(rawValue: 1)
    public static let ns = DNSRecordType(rawValue: 2)
    public static let cname = DNSRecordType(rawValue: 5)
    public static let soa = DNSRecordType(rawValue: 6)
    public static let ptr = DNSRecordType(rawValue: 12)
    public static let txt = DNSRecordType(rawValue: 16)
    public static let aaaa = DNSRecordType(rawValue: 28)
    public static let srv = DNSRecordType(rawValue: 33)
    public static let opt = DNSRecordType(rawValue: 41)
    public static let ixfr = DNSRecordType(rawValue: 251)
    public static let axfr = DNSRecordType(rawValue: 252)
    public static let any = DNSRecordType(rawValue: 255)

    /// A metric label: "A", "AAAA", "SRV", "PTR", "CNAME", "TXT", "SOA", "NS", "ANY", and
    /// "other" for every other type, so a client sending random types cannot grow the label set.
    public var name: String {
        switch self {
        case .a, .aaaa, .srv, .ptr, .cname, .txt, .soa, .ns, .any: description
        default: "other"
        }
    }

    /// The master-file mnemonic, with RFC 3597's "TYPE65" for types without one here.
    public var description: String {
        switch self {
        case .a: "A"
        case .ns: "NS"
        case .cname: "CNAME"
        case .soa: "SOA"
        case .ptr: "PTR"
        case .txt: "TXT"
        case .aaaa: "AAAA"
        case .srv: "SRV"
        case .opt: "OPT"
        case .ixfr: "IXFR"
        case .axfr: "AXFR"
        case .any: "ANY"
        default: "TYPE\(rawValue)"
        }
    }
}

/// A response code, extended by EDNS (RFC 6891 §6.1.3): the header's 4 bits and the OPT
/// record's 8 more, 0...4095.
public struct DNSResponseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue & 0xfff }

    public static let noError = DNSResponseCode(rawValue: 0)
    public static let formErr = DNSResponseCode(rawValue: 1)
    public static let servFail = DNSResponseCode(rawValue: 2)
    public static let nxDomain = DNSResponseCode(rawValue: 3)
    public static let notImp = DNSResponseCode(rawValue: 4)
    public static let refused = DNSResponseCode(rawValue: 5)
    public static let badVers = DNSResponseCode(rawValue: 16)

    /// A metric label: "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
    /// "BADVERS", and "other" for the rest.
    public var name: String {
        switch self {
        case .noError: "NOERROR"
        case .formErr: "FORMERR"
        case .servFail: "SERVFAIL"
        case .nxDomain: "NXDOMAIN"
        case .notImp: "NOTIMP"
        case .refused: "REFUSED"
        case .badVers: "BADVERS"
        default: "other"
        }
    }

    /// The name, or "RCODE<n>" for codes without a label of their own.
    public var description: String { name == "other" ? "RCODE\(rawValue)" : name }

    /// The 4 bits the header holds.
    var headerBits: UInt16 { rawValue & 0xf }
    /// The 8 bits the OPT record's TTL holds (its top byte).
    var extendedBits: UInt8 { UInt8(truncatingIfNeeded: rawValue >> 4) }
}

/// How a query arrived: over UDP a response is bounded by the client's buffer (512 bytes, or
/// its EDNS size); over TCP by the 16-bit length prefix alone.
public enum DNSTransport: Sendable { case udp, tcp }

/// What became of a query, for metrics and logs: the question's type, the response code
/// sent, and whether the response was cut to fit (TC set).
public struct DNSOutcome: Sendable, Equatable {
    public let type: DNSRecordType
    public let rcode: DNSResponseCode
    public let truncated: Bool

    public init(type: DNSRecordType, rcode: DNSResponseCode, truncated: Bool) {
        self.type = type
        self.rcode = rcode
        self.truncated = truncated
    }
}

/// A question as the zone and the forwarder compare it: the name in lowercase wire form
/// (length-prefixed labels ending in the root's zero byte), its type and class.
public struct DNSQuestion: Hashable, Sendable {
    public let name: [UInt8]
    public let type: DNSRecordType
    public let `class`: UInt16

    public init(name: [UInt8], type: DNSRecordType, class: UInt16) {
        self.name = name
        self.type = type
        self.class = `class`
    }
}

/// What `DNSZone.resolve` decided for one query.
public enum DNSResolution {
    /// A response for the client, complete and sized for its transport.
    case answer([UInt8], DNSOutcome)
    /// The same, written into the `DNSAnswerBuffer` given to `resolve(_:transport:rotation:into:)`
    /// (its `bytes`); only that entry gives it.
    case written(DNSOutcome)
    /// A name outside the zone (or a reverse name not ours) with forwarding on: the engine
    /// sends `upstreamQuery` upstream and relays `clientResponse`.
    case forward(DNSForward)
    /// An ExternalName Service's CNAME with forwarding on: the engine resolves the target
    /// upstream and the CNAME is sent with the upstream's records.
    case chase(DNSChase)
    /// Not a query at all (a response, or shorter than a header): nothing is sent.
    case drop
}
