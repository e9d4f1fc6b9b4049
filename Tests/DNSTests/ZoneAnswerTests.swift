// Every kind of record the zone holds (specification §2.2–2.6), asked for and read back.
@testable import DNS
import Testing

@Suite struct ZoneAnswerTests {
    let zone = sampleZone()

    @Test func clusterIPServiceHasOneAddressPerFamily() throws {
        let a = try #require(ask(zone, "web.default.svc.cluster.local", .a))
        #expect(a.answers == ["web.default.svc.cluster.local. A 10.96.0.10"])
        #expect(a.rcode == .noError && a.authoritative && a.ttls == [5])
        let aaaa = try #require(ask(zone, "web.default.svc.cluster.local", .aaaa))
        #expect(aaaa.answers == ["web.default.svc.cluster.local. AAAA fd00::10"])
    }

    @Test func headlessServiceHasEveryEndpointAddress() throws {
        let a = try #require(ask(zone, "db.default.svc.cluster.local", .a))
        #expect(a.answers == ["10.1.0.1", "10.1.0.2", "10.1.0.3"].map { "db.default.svc.cluster.local. A \($0)" })
        let aaaa = try #require(ask(zone, "db.default.svc.cluster.local", .aaaa))
        #expect(aaaa.answers == ["db.default.svc.cluster.local. AAAA fd00::1:3"])
    }

    @Test func endpointsAreNamedByHostnameOrDashedAddress() throws {
        #expect(ask(zone, "db-1.db.default.svc.cluster.local", .a)?.answers == ["db-1.db.default.svc.cluster.local. A 10.1.0.2"])
        #expect(ask(zone, "10-1-0-3.db.default.svc.cluster.local", .a)?.answers == ["10-1-0-3.db.default.svc.cluster.local. A 10.1.0.3"])
        #expect(ask(zone, "fd00--1-3.db.default.svc.cluster.local", .aaaa)?.answers == ["fd00--1-3.db.default.svc.cluster.local. AAAA fd00::1:3"])
    }

    @Test func clusterIPServiceSRVTargetsTheServiceWithItsAddressesAdditional() throws {
        let srv = try #require(ask(zone, "_http._tcp.web.default.svc.cluster.local", .srv))
        #expect(srv.answers == ["_http._tcp.web.default.svc.cluster.local. SRV 0 100 80 web.default.svc.cluster.local."])
        #expect(srv.additional == ["web.default.svc.cluster.local. A 10.96.0.10", "web.default.svc.cluster.local. AAAA fd00::10"])
        #expect(ask(zone, "_dns._udp.web.default.svc.cluster.local", .srv)?.answers.count == 1)
        #expect(ask(zone, "_dns._tcp.web.default.svc.cluster.local", .srv)?.rcode == .nxDomain)
    }

    @Test func headlessServiceSRVTargetsEachEndpoint() throws {
        let srv = try #require(ask(zone, "_pg._tcp.db.default.svc.cluster.local", .srv))
        let targets = ["db-0", "db-1", "10-1-0-3", "fd00--1-3"].map { "\($0).db.default.svc.cluster.local." }
        #expect(srv.answers == targets.map { "_pg._tcp.db.default.svc.cluster.local. SRV 0 25 5432 \($0)" })
        #expect(srv.additional.count == 4)
        #expect(srv.additional.first == "db-0.db.default.svc.cluster.local. A 10.1.0.1")
    }

    @Test func reverseNamesPointAtServicesAndEndpoints() throws {
        #expect(ask(zone, "10.0.96.10.in-addr.arpa", .ptr)?.answers == ["10.0.96.10.in-addr.arpa. PTR web.default.svc.cluster.local."])
        #expect(ask(zone, "1.0.1.10.IN-ADDR.ARPA", .ptr)?.answers == ["1.0.1.10.IN-ADDR.ARPA. PTR db-0.db.default.svc.cluster.local."])
        let nibbles = "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa"
        #expect(ask(zone, nibbles, .ptr)?.answers == ["\(nibbles). PTR web.default.svc.cluster.local."])
        let reverseA = try #require(ask(zone, "10.0.96.10.in-addr.arpa", .a))
        #expect(reverseA.rcode == .noError && reverseA.answers.isEmpty && reverseA.authority.first?.hasPrefix("in-addr.arpa. SOA") == true)
    }

    @Test func externalNameIsACNAMEForAnyType() throws {
        for type in [DNSRecordType.a, .aaaa, .cname, .txt, .any] {
            let reply = try #require(ask(zone, "ext.other.svc.cluster.local", type))
            #expect(reply.answers == ["ext.other.svc.cluster.local. CNAME www.example.com."])
            #expect(reply.rcode == .noError)
        }
    }

    @Test func externalNameIntoTheZoneIsFollowed() throws {
        let reply = try #require(ask(zone, "alias.other.svc.cluster.local", .a))
        #expect(reply.answers == ["alias.other.svc.cluster.local. CNAME web.default.svc.cluster.local.",
                                  "web.default.svc.cluster.local. A 10.96.0.10"])
    }

    @Test func externalNameIntoTheZoneWithoutTheTypeIsNODATAWithTheSOA() throws {
        let reply = try #require(ask(zone, "alias.other.svc.cluster.local", .txt))
        #expect(reply.rcode == .noError)
        #expect(reply.answers == ["alias.other.svc.cluster.local. CNAME web.default.svc.cluster.local."])
        #expect(reply.authority.count == 1 && reply.authority.first?.hasPrefix("cluster.local. SOA ") == true)
    }

    @Test func apexHasSOAAndNSWithGlue() throws {
        let soa = try #require(ask(zone, "cluster.local", .soa))
        #expect(soa.answers.count == 1)
        #expect(soa.answers.first?.hasPrefix("cluster.local. SOA ns.dns.cluster.local. hostmaster.cluster.local. ") == true)
        #expect(soa.answers.first?.hasSuffix(" 7200 1800 86400 5") == true)
        let ns = try #require(ask(zone, "cluster.local", .ns))
        #expect(ns.answers == ["cluster.local. NS ns.dns.cluster.local."])
        #expect(ns.additional == ["ns.dns.cluster.local. A 10.96.0.53"])
        #expect(ask(zone, "ns.dns.cluster.local", .a)?.answers == ["ns.dns.cluster.local. A 10.96.0.53"])
    }

    @Test func schemaVersionIsATXTRecord() {
        #expect(ask(zone, "dns-version.cluster.local", .txt)?.answers == ["dns-version.cluster.local. TXT \"1.1.0\""])
    }

    @Test func podNamesSpellTheirAddresses() throws {
        #expect(ask(zone, "10-244-1-7.anything.pod.cluster.local", .a)?.answers == ["10-244-1-7.anything.pod.cluster.local. A 10.244.1.7"])
        #expect(ask(zone, "fd00--7.default.pod.cluster.local", .aaaa)?.answers == ["fd00--7.default.pod.cluster.local. AAAA fd00::7"])
        let wrongFamily = try #require(ask(zone, "10-244-1-7.default.pod.cluster.local", .aaaa))
        #expect(wrongFamily.rcode == .noError && wrongFamily.answers.isEmpty && wrongFamily.authority.count == 1)
        #expect(ask(zone, "10-244-1-300.default.pod.cluster.local", .a)?.rcode == .nxDomain)
        #expect(ask(zone, "x.10-244-1-7.default.pod.cluster.local", .a)?.rcode == .nxDomain)
    }

    @Test func anyGivesEveryRecordSetAtTheName() throws {
        let reply = try #require(ask(zone, "web.default.svc.cluster.local", .any))
        #expect(reply.answers == ["web.default.svc.cluster.local. A 10.96.0.10", "web.default.svc.cluster.local. AAAA fd00::10"])
        let apex = try #require(ask(zone, "cluster.local", .any))
        #expect(apex.answers.count == 2)
    }

    @Test func recordCountAndPrintedZoneAgree() {
        let lines = zone.printed().split(separator: "\n")
        #expect(lines.count == zone.recordCount)
        #expect(lines == lines.sorted())
        #expect(lines.contains("web.default.svc.cluster.local. 5 IN A 10.96.0.10"))
        #expect(lines.contains("ext.other.svc.cluster.local. 5 IN CNAME www.example.com."))
        #expect(lines.contains("_pg._tcp.db.default.svc.cluster.local. 5 IN SRV 0 25 5432 db-0.db.default.svc.cluster.local."))
    }
}
