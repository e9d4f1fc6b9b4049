// NXDOMAIN for names that do not exist, NODATA for names that exist without the type
// (empty non-terminals included, RFC 8020), both with the zone's SOA for negative caching
// (RFC 2308); and names that are not ours, refused or forwarded.
@testable import DNS
import Testing

struct NegativeRow: CustomTestStringConvertible, Sendable {
    let name: String
    let type: DNSRecordType
    let rcode: DNSResponseCode
    var testDescription: String { "\(name) \(type)" }
}

private let negativeRows: [NegativeRow] = [
    NegativeRow(name: "cluster.local", type: .a, rcode: .noError),
    NegativeRow(name: "svc.cluster.local", type: .a, rcode: .noError),
    NegativeRow(name: "default.svc.cluster.local", type: .a, rcode: .noError),
    NegativeRow(name: "other.svc.cluster.local", type: .srv, rcode: .noError),
    NegativeRow(name: "pod.cluster.local", type: .a, rcode: .noError),
    NegativeRow(name: "anything.pod.cluster.local", type: .a, rcode: .noError),
    NegativeRow(name: "dns.cluster.local", type: .a, rcode: .noError),
    NegativeRow(name: "_tcp.web.default.svc.cluster.local", type: .srv, rcode: .noError),
    NegativeRow(name: "_tcp.db.default.svc.cluster.local", type: .srv, rcode: .noError),
    NegativeRow(name: "web.default.svc.cluster.local", type: .txt, rcode: .noError),
    NegativeRow(name: "web.default.svc.cluster.local", type: .srv, rcode: .noError),
    NegativeRow(name: "ns.dns.cluster.local", type: .aaaa, rcode: .noError),
    NegativeRow(name: "dns-version.cluster.local", type: .a, rcode: .noError),
    NegativeRow(name: "nope.default.svc.cluster.local", type: .a, rcode: .nxDomain),
    NegativeRow(name: "web.nowhere.svc.cluster.local", type: .a, rcode: .nxDomain),
    NegativeRow(name: "nowhere.svc.cluster.local", type: .a, rcode: .nxDomain),
    NegativeRow(name: "empty.default.svc.cluster.local", type: .a, rcode: .nxDomain),
    NegativeRow(name: "x.web.default.svc.cluster.local", type: .a, rcode: .nxDomain),
    NegativeRow(name: "_http._udp.web.default.svc.cluster.local", type: .srv, rcode: .nxDomain),
    NegativeRow(name: "db-9.db.default.svc.cluster.local", type: .a, rcode: .nxDomain),
    NegativeRow(name: "other.cluster.local", type: .a, rcode: .nxDomain),
    NegativeRow(name: "a.b.c.cluster.local", type: .soa, rcode: .nxDomain),
]

@Suite struct NegativeAnswerTests {
    let zone = sampleZone()

    @Test(arguments: negativeRows)
    func negativeAnswerCarriesTheZoneSOA(_ row: NegativeRow) throws {
        let reply = try #require(ask(zone, row.name, row.type))
        #expect(reply.rcode == row.rcode)
        #expect(reply.answers.isEmpty)
        #expect(reply.authoritative)
        #expect(reply.authority.count == 1)
        #expect(reply.authority.first?.hasPrefix("cluster.local. SOA ns.dns.cluster.local. ") == true)
        #expect(reply.message.authority.first?.ttl == 5)
    }

    @Test func namesOutsideTheZoneAreRefusedWithoutForwarding() throws {
        for name in ["example.com", "local", "cluster.local.example.com", "3.2.1.10.in-addr.arpa", "in-addr.arpa", "96.10.in-addr.arpa"] {
            let reply = try #require(ask(zone, name, .a))
            #expect(reply.rcode == .refused, "\(name)")
            #expect(!reply.authoritative && reply.answers.isEmpty && reply.authority.isEmpty)
        }
    }

    @Test func namesOutsideTheZoneAreForwardedWithForwarding() {
        let forwarding = sampleZone(forwarding: true)
        for name in ["example.com", "9.9.9.9.in-addr.arpa", "x.ip6.arpa"] {
            guard case .forward(let forward) = resolve(forwarding, query(name, .a)) else {
                Issue.record("\(name) not forwarded")
                continue
            }
            #expect(forward.question.name == WireName.encode(name))
        }
        // Ours stays ours.
        guard case .answer = resolve(forwarding, query("10.0.96.10.in-addr.arpa", .ptr)) else {
            Issue.record("our reverse name forwarded")
            return
        }
    }
}
