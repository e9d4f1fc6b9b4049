// The message around the records: header rules (RFC 1035 §4.1.1), EDNS (RFC 6891), the size
// limits of each transport and truncation, case echo, rotation and name compression.
@testable import DNS
import ServiceConfig
import Testing

@Suite struct HeaderTests {
    let zone = sampleZone()

    @Test func shortPacketsAndResponsesAreDropped() {
        for bytes in [[], [1, 2, 3], Array(repeating: 0, count: 11)] as [[UInt8]] {
            guard case .drop = resolve(zone, bytes) else {
                Issue.record("answered \(bytes.count) bytes")
                continue
            }
        }
        guard case .drop = resolve(zone, query("web.default.svc.cluster.local", .a, flags: 0x8100)) else {
            Issue.record("answered a response")
            return
        }
    }

    @Test func headerOnlyAndMalformedQueriesAreFormErr() throws {
        let headerOnly: [UInt8] = [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]
        let cases: [[UInt8]] = [
            headerOnly,
            query("web.default.svc.cluster.local", .a, questions: 0),
            query("web.default.svc.cluster.local", .a, questions: 2),
            Array(query("web.default.svc.cluster.local", .a).dropLast(2)),
            [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1],
            query("web.default.svc.cluster.local", .a, edns: 1232, optCount: 2),
            query("web.default.svc.cluster.local", .opt),
        ]
        for bytes in cases {
            guard case .answer(let response, let outcome) = resolve(zone, bytes) else {
                Issue.record("no answer")
                continue
            }
            let reply = try #require(Reply(response))
            #expect(reply.rcode == .formErr && outcome.rcode == .formErr)
            #expect(reply.message.id == 0x1234 && reply.message.flags & 0x8000 != 0 && reply.message.flags & 0x0100 != 0)
        }
    }

    @Test func otherOpcodesAreNotImplemented() throws {
        let notify = query("cluster.local", .soa, flags: 0x2000)
        let reply = try #require(Reply(responseBytes(zone, notify)))
        #expect(reply.rcode == .notImp)
        #expect(reply.message.flags & 0x7800 == 0x2000)
    }

    @Test func otherClassesAndZoneTransfersAreRefused() throws {
        #expect(Reply(responseBytes(zone, query("version.bind", .txt, class: 3)))?.rcode == .refused)
        #expect(ask(zone, "cluster.local", .axfr)?.rcode == .refused)
        #expect(ask(zone, "cluster.local", .ixfr)?.rcode == .refused)
        #expect(Reply(responseBytes(zone, query("web.default.svc.cluster.local", .a, class: 255)))?.answers.count == 1)
    }

    @Test func recursionFlagsFollowTheQueryAndForwarding() throws {
        let withoutRD = try #require(Reply(responseBytes(zone, query("web.default.svc.cluster.local", .a, flags: 0))))
        #expect(withoutRD.message.flags & 0x0180 == 0)
        let forwarding = try #require(Reply(responseBytes(sampleZone(forwarding: true), query("web.default.svc.cluster.local", .a))))
        #expect(forwarding.message.flags & 0x0180 == 0x0180)
    }

    @Test func outcomeNamesTheTypeAndCode() {
        guard case .answer(_, let outcome) = resolve(zone, query("nope.cluster.local", .aaaa)) else {
            Issue.record("no answer")
            return
        }
        #expect(outcome == DNSOutcome(type: .aaaa, rcode: .nxDomain, truncated: false))
        #expect(DNSRecordType(rawValue: 65).name == "other" && DNSRecordType(rawValue: 65).description == "TYPE65")
        #expect(DNSResponseCode.badVers.name == "BADVERS" && DNSResponseCode(rawValue: 9).name == "other")
    }
}

@Suite struct EDNSTests {
    let zone = sampleZone()

    @Test func optIsEchoedWithOurSizeAndTheDOBit() throws {
        let reply = try #require(ask(zone, "web.default.svc.cluster.local", .a, edns: 4096))
        #expect(reply.additional == ["OPT 1232 32768"])
        #expect(ask(zone, "web.default.svc.cluster.local", .a)?.additional == [])
    }

    @Test func laterVersionsAreBadVers() throws {
        let bytes = query("web.default.svc.cluster.local", .a, edns: 1232, ednsVersion: 1)
        let reply = try #require(Reply(responseBytes(zone, bytes)))
        #expect(reply.rcode == .badVers)
        #expect(reply.message.flags & 0xf == 0 && reply.answers.isEmpty && reply.additional.count == 1)
        #expect(bytes.withUnsafeBytes { _ in reply.bytes.withUnsafeBytes { DNSWire.rcode(of: $0) } } == .badVers)
    }
}

@Suite struct SizeTests {
    /// A headless Service with `count` endpoints: 16 bytes an A record once compressed.
    static func bigZone(_ count: Int, udpSize: Int = 1232) -> DNSZone {
        let endpoints = (0..<count).map { ClusterNamesEndpoint.make(ip("10.2.\($0 / 250).\($0 % 250 + 1)")) }
        return sampleZone(udpSize: udpSize, names: [.init(namespace: "big", name: "many", target: .headless(endpoints), ports: [])])
    }

    @Test func udpWithoutEDNSIsCutAt512() throws {
        let zone = Self.bigZone(40)
        guard case .answer(let bytes, let outcome) = resolve(zone, query("many.big.svc.cluster.local", .a)) else {
            Issue.record("no answer")
            return
        }
        let reply = try #require(Reply(bytes))
        #expect(outcome.truncated && reply.truncated && reply.answers.isEmpty && reply.message.questions.count == 1)
        #expect(bytes.count <= 512)
        #expect(bytes.withUnsafeBytes { DNSWire.isTruncated($0) })
        let fits = try #require(ask(Self.bigZone(25), "many.big.svc.cluster.local", .a))
        #expect(!fits.truncated && fits.answers.count == 25 && fits.bytes.count <= 512)
    }

    @Test func udpWithEDNSIsCutAtTheClientsSizeWithinOurs() throws {
        let zone = Self.bigZone(70)
        let small = try #require(ask(zone, "many.big.svc.cluster.local", .a, edns: 1000))
        #expect(small.truncated && small.additional == ["OPT 1232 32768"] && small.bytes.count <= 1000)
        let large = try #require(ask(zone, "many.big.svc.cluster.local", .a, edns: 4096))
        #expect(!large.truncated && large.answers.count == 70 && large.bytes.count <= 1232)
        let tiny = try #require(ask(zone, "many.big.svc.cluster.local", .a, edns: 100))
        #expect(tiny.truncated)
        #expect(ask(Self.bigZone(25), "many.big.svc.cluster.local", .a, edns: 100)?.truncated == false)
    }

    @Test func tcpTakesTheWholeAnswer() throws {
        let reply = try #require(ask(Self.bigZone(600), "many.big.svc.cluster.local", .a, transport: .tcp))
        #expect(!reply.truncated && reply.answers.count == 600)
    }

    /// SRV targets are written whole (RFC 2782), 48 bytes a record here; their addresses
    /// point at them, 16 bytes each.
    @Test func additionalRecordsThatDoNotFitAreDroppedWithoutTC() throws {
        let endpoints = (0..<8).map {
            ClusterNamesEndpoint.make(ip("10.3.0.\($0 + 1)"), hostname: "h\($0)", port: .init(name: "p", protocol: .tcp, number: 1))
        }
        let zone = sampleZone(names: [.init(namespace: "big", name: "srv", target: .headless(endpoints), ports: [])])
        let reply = try #require(ask(zone, "_p._tcp.srv.big.svc.cluster.local", .srv))
        #expect(!reply.truncated && reply.answers.count == 8 && reply.additional.isEmpty && reply.bytes.count <= 512)
        let tcp = try #require(ask(zone, "_p._tcp.srv.big.svc.cluster.local", .srv, transport: .tcp))
        #expect(tcp.additional.count == 8)
    }
}

@Suite struct NameTests {
    let zone = sampleZone()

    @Test func namesMatchInAnyCaseAndAnswersEchoTheQuestionsCase() throws {
        let reply = try #require(ask(zone, "WeB.DeFault.SVC.Cluster.LOCAL", .a))
        #expect(reply.answers == ["WeB.DeFault.SVC.Cluster.LOCAL. A 10.96.0.10"])
        #expect(reply.message.questions.first?.name == wireName("WeB.DeFault.SVC.Cluster.LOCAL"))
        let srv = try #require(ask(zone, "_HTTP._Tcp.web.default.svc.cluster.local", .srv))
        #expect(srv.answers.first?.hasPrefix("_HTTP._Tcp.web.default.svc.cluster.local. SRV") == true)
    }

    @Test func rotationTurnsEveryRecordSet() throws {
        let order = { (rotation: Int) in ask(self.zone, "db.default.svc.cluster.local", .a, rotation: rotation)?.answers.map { $0.split(separator: " ").last ?? "" } ?? [] }
        #expect(order(0) == ["10.1.0.1", "10.1.0.2", "10.1.0.3"])
        #expect(order(1) == ["10.1.0.2", "10.1.0.3", "10.1.0.1"])
        #expect(order(5) == ["10.1.0.3", "10.1.0.1", "10.1.0.2"])
        #expect(order(-1) == ["10.1.0.3", "10.1.0.1", "10.1.0.2"])
        #expect(order(Int.max).count == 3 && order(Int.min).count == 3)
    }

    @Test func compressionPointsBackAndShrinksTheResponse() throws {
        let reply = try #require(ask(SizeTests.bigZone(100), "many.big.svc.cluster.local", .a, transport: .tcp))
        let question = 12 + wireName("many.big.svc.cluster.local").count + 4
        // Each A record: a 2-byte pointer, then 14 bytes; uncompressed, the owner alone is 28.
        #expect(reply.bytes.count == question + 100 * 16)
        let srv = try #require(ask(zone, "_pg._tcp.db.default.svc.cluster.local", .srv))
        #expect(srv.answers.count == 4 && srv.additional.count == 4)
        try expectPointersOnlyBackwards(srv.bytes)
        try expectPointersOnlyBackwards(reply.bytes)
    }

    /// Walks every record of `bytes`, checking that each owner's and SRV target's pointer
    /// targets an earlier offset than its own.
    func expectPointersOnlyBackwards(_ bytes: [UInt8]) throws {
        var pointers = 0
        func check(nameAt start: Int) -> Int {
            var position = start
            while position < bytes.count, bytes[position] != 0, bytes[position] & 0xc0 != 0xc0 { position += 1 + Int(bytes[position]) }
            guard position + 1 < bytes.count else { return bytes.count }
            if bytes[position] & 0xc0 == 0xc0 {
                let target = Int(bytes[position] & 0x3f) << 8 | Int(bytes[position + 1])
                #expect(target < position)
                pointers += 1
                return position + 2
            }
            return position + 1
        }
        var offset = check(nameAt: 12) + 4
        while offset < bytes.count {
            let end = check(nameAt: offset)
            let type = Int(bytes[end]) << 8 | Int(bytes[end + 1])
            let length = Int(bytes[end + 8]) << 8 | Int(bytes[end + 9])
            if type == 33 { _ = check(nameAt: end + 16) }
            offset = end + 10 + length
        }
        #expect(offset == bytes.count && pointers > 0)
    }
}

/// Headless endpoints for the size tests.
enum ClusterNamesEndpoint {
    static func make(_ address: IPAddress, hostname: String? = nil, port: ClusterNames.Port? = nil) -> ClusterNames.HeadlessEndpoint {
        .init(ip: address, hostname: hostname, ports: port.map { [$0] } ?? [])
    }
}
