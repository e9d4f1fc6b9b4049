// The responder's settings, from the node configuration: which zone it serves, how long
// answers may be cached, how big a UDP answer may be, and whether other names go upstream.
import ServiceConfig

/// How the zone answers; a value, so that a reload that changes nothing keeps the zone.
public struct DNSZoneSettings: Hashable, Sendable {
    /// The cluster domain, "cluster.local", without a trailing dot (one given is stripped).
    public var domain: String
    /// The TTL of every record, and of negative answers (the SOA's minimum).
    public var ttl: UInt32
    /// The most the responder sends over UDP, and the size its OPT records advertise
    /// (1232: RFC 9715's advice, so that answers are not fragmented).
    public var udpSize: Int
    /// Names outside the zone, and reverse names that are not ours, go upstream; without
    /// forwarding they are REFUSED.
    public var forwarding: Bool
    /// The glue for `ns.dns.<zone>`, the zone's name server (the responder's own addresses).
    public var nameserverAddresses: [IPAddress]

    public init(
        domain: String = "cluster.local", ttl: UInt32 = 5, udpSize: Int = 1232, forwarding: Bool = false,
        nameserverAddresses: [IPAddress] = []
    ) {
        self.domain = domain.hasSuffix(".") ? String(domain.dropLast()) : domain
        self.ttl = ttl
        self.udpSize = udpSize
        self.forwarding = forwarding
        self.nameserverAddresses = nameserverAddresses
    }

    /// The UDP size clamped to what DNS allows: never below the 512 bytes every client takes.
    var udpLimit: Int { min(65535, max(512, udpSize)) }
}
