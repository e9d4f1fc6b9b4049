// Queries that are not ours, upstream and back: the forwarder relays only an answer to the
// very question it sent, under the client's id; the chase puts our CNAME before the
// upstream's records for its target.
@testable import DNS
import ServiceConfig
import Testing

/// An upstream's response to `query`: its question echoed, QR and RA set, `answers` owned
/// by the question's name (a pointer to it).
func upstreamResponse(to query: [UInt8], id: UInt16? = nil, flags: UInt16 = 0x8180, rcode: UInt8 = 0, answers: [(UInt16, [UInt8])] = []) -> [UInt8] {
    var end = 12
    while query[end] != 0 { end += 1 + Int(query[end]) }
    let responseID = id ?? (UInt16(query[0]) << 8 | UInt16(query[1]))
    let allFlags = flags | UInt16(rcode)
    var bytes: [UInt8] = [UInt8(responseID >> 8), UInt8(responseID & 0xff), UInt8(allFlags >> 8), UInt8(allFlags & 0xff)]
    bytes += [0, 1, 0, UInt8(answers.count), 0, 0, 0, 0]
    bytes += query[12..<(end + 5)]
    for (type, data) in answers {
        bytes += [0xc0, 0x0c, UInt8(type >> 8), UInt8(type & 0xff), 0, 1, 0, 0, 1, 0, 0, UInt8(data.count)] + data
    }
    return bytes
}

@Suite struct ForwardTests {
    let zone = sampleZone(forwarding: true)

    func forward(_ bytes: [UInt8]) throws -> DNSForward {
        guard case .forward(let forward) = resolve(zone, bytes) else { throw ForwardingTestError.notForwarded }
        return forward
    }

    @Test func upstreamQueryIsTheClientsWithAnotherID() throws {
        let client = query("Www.Example.com", .a, id: 7, edns: 4096)
        let forward = try self.forward(client)
        #expect(forward.clientID == 7 && forward.type == .a && forward.responseLimit == 1232)
        #expect(forward.question == DNSQuestion(name: wireName("www.example.com"), type: .a, class: 1))
        let upstream = forward.upstreamQuery(id: 0xbeef)
        // The client's 4096 becomes the 1232 it gets from us: the upstream truncates, not we.
        let size = upstream.count - 8
        #expect(upstream[0...1] == [0xbe, 0xef] && upstream[2..<size] == client[2..<size] && upstream[(size + 2)...] == client[(size + 2)...])
        #expect(upstream[size...(size + 1)] == [0x04, 0xd0])
        let small = try self.forward(query("www.example.com", .a, id: 7, edns: 512))
        #expect(small.upstreamQuery(id: 1)[2...] == query("www.example.com", .a, id: 7, edns: 512)[2...])
        #expect(try self.forward(query("example.com", .a)).responseLimit == 512)
        guard case .forward(let tcp) = resolve(zone, client, transport: .tcp) else { throw ForwardingTestError.notForwarded }
        #expect(tcp.responseLimit == 65535)
    }

    @Test func clientResponseTakesOnlyAnAnswerToTheQuestion() throws {
        let forward = try self.forward(query("www.example.com", .a, id: 7))
        let sent = forward.upstreamQuery(id: 0xbeef)
        let good = upstreamResponse(to: sent, answers: [(1, [192, 0, 2, 53])])
        let relayed = try #require(good.withUnsafeBytes { forward.clientResponse(from: $0, upstreamID: 0xbeef) })
        #expect(relayed[0...1] == [0, 7] && relayed[2...] == good[2...])
        #expect(Reply(relayed)?.answers == ["www.example.com. A 192.0.2.53"])

        let otherCase = upstreamResponse(to: query("WWW.example.COM", .a, id: 0xbeef))
        #expect(otherCase.withUnsafeBytes { forward.clientResponse(from: $0, upstreamID: 0xbeef) } != nil)
        let rejected = [
            upstreamResponse(to: sent, id: 0xbeee),
            upstreamResponse(to: sent, flags: 0x0180),
            upstreamResponse(to: query("www.example.org", .a, id: 0xbeef)),
            upstreamResponse(to: query("www.example.com", .aaaa, id: 0xbeef)),
            Array(good.prefix(11)),
            Array(good.prefix(20)),
        ]
        for bytes in rejected {
            #expect(bytes.withUnsafeBytes { forward.clientResponse(from: $0, upstreamID: 0xbeef) } == nil)
        }
    }

    @Test func tooBigAnUpstreamAnswerIsTruncated() throws {
        let forward = try self.forward(query("www.example.com", .a, id: 7))
        let sent = forward.upstreamQuery(id: 1)
        let big = upstreamResponse(to: sent, answers: Array(repeating: (1, [192, 0, 2, 53]), count: 40))
        let relayed = try #require(big.withUnsafeBytes { forward.clientResponse(from: $0, upstreamID: 1) })
        let reply = try #require(Reply(relayed))
        #expect(reply.truncated && reply.answers.isEmpty && reply.message.id == 7 && relayed.count <= 512)
    }

    @Test func aTruncatedRelayKeepsTheClientsOPT() throws {
        let forward = try self.forward(query("www.example.com", .a, id: 7, edns: 600))
        let sent = forward.upstreamQuery(id: 1)
        let big = upstreamResponse(to: sent, answers: Array(repeating: (1, [192, 0, 2, 53]), count: 60))
        let relayed = try #require(big.withUnsafeBytes { forward.clientResponse(from: $0, upstreamID: 1) })
        let reply = try #require(Reply(relayed))
        #expect(reply.truncated && reply.answers.isEmpty && relayed.count <= 600)
        #expect(reply.message.additional.map(\.type) == [DNSRecordType.opt.rawValue])
    }

    @Test func serverFailureAnswersTheClient() throws {
        let forward = try self.forward(query("www.example.com", .aaaa, id: 9, edns: 1232))
        let reply = try #require(Reply(forward.serverFailure()))
        #expect(reply.rcode == .servFail && reply.message.id == 9 && reply.message.flags & 0x8180 == 0x8180)
        #expect(reply.message.questions.first?.name == wireName("www.example.com") && reply.additional.count == 1)
    }

    @Test func wireHelpersReadCodeAndTC() {
        let response = upstreamResponse(to: query("x.example", .a), flags: 0x8380, rcode: 3)
        #expect(response.withUnsafeBytes { DNSWire.rcode(of: $0) } == .nxDomain)
        #expect(response.withUnsafeBytes { DNSWire.isTruncated($0) })
        #expect([UInt8](repeating: 0, count: 5).withUnsafeBytes { DNSWire.rcode(of: $0) } == nil)
    }
}

@Suite struct ChaseTests {
    let zone = sampleZone(forwarding: true)

    func chase(_ type: DNSRecordType = .a, edns: UInt16? = nil) throws -> DNSChase {
        guard case .chase(let chase) = resolve(zone, query("EXT.other.svc.cluster.local", type, id: 3, edns: edns)) else {
            throw ForwardingTestError.notChased
        }
        return chase
    }

    @Test func upstreamQueryAsksForTheTarget() throws {
        let sent = try #require(Reply(try chase(.aaaa).upstreamQuery(id: 0x4242)))
        #expect(sent.message.id == 0x4242 && sent.message.flags == 0x0100)
        #expect(sent.message.questions.first?.name == wireName("www.example.com") && sent.message.questions.first?.type == 28)
        #expect(sent.additional == ["OPT 1232 0"])
    }

    @Test func clientGetsTheCNAMEAndTheUpstreamsRecords() throws {
        let chase = try self.chase()
        let sent = chase.upstreamQuery(id: 0x4242)
        let upstream = upstreamResponse(to: sent, answers: [(1, [192, 0, 2, 53]), (1, [192, 0, 2, 54])])
        let reply = try #require(Reply(upstream.withUnsafeBytes { chase.clientResponse(from: $0, upstreamID: 0x4242) }))
        #expect(reply.message.id == 3 && reply.rcode == .noError && reply.authoritative)
        #expect(reply.answers == ["EXT.other.svc.cluster.local. CNAME www.example.com.",
                                  "www.example.com. A 192.0.2.53", "www.example.com. A 192.0.2.54"])
        // The target's name is written once and pointed at.
        #expect(reply.bytes.count < 12 + 33 + 4 + 2 * 30 + 2 * 30)
    }

    @Test func upstreamsCodeIsKeptAndAMismatchGivesTheCNAMEAlone() throws {
        let chase = try self.chase(edns: 1232)
        let sent = chase.upstreamQuery(id: 1)
        let missing = upstreamResponse(to: sent, rcode: 3)
        let nx = try #require(Reply(missing.withUnsafeBytes { chase.clientResponse(from: $0, upstreamID: 1) }))
        #expect(nx.rcode == .nxDomain && nx.answers.count == 1 && nx.additional.count == 1)
        let alone = try #require(Reply(chase.clientResponse(from: nil, upstreamID: 1)))
        #expect(alone.rcode == .noError && alone.answers == ["EXT.other.svc.cluster.local. CNAME www.example.com."])
        let wrongID = upstreamResponse(to: sent, id: 2, answers: [(1, [1, 2, 3, 4])])
        #expect(Reply(wrongID.withUnsafeBytes { chase.clientResponse(from: $0, upstreamID: 1) })?.answers.count == 1)
    }

    @Test func cnameQueriesAreNotChased() {
        guard case .answer = resolve(zone, query("ext.other.svc.cluster.local", .cname)) else {
            Issue.record("chased a CNAME query")
            return
        }
    }
}

enum ForwardingTestError: Error { case notForwarded, notChased }

@Suite struct ResolvConfTests {
    @Test func nameserversInOrderWithoutScopesOrComments() {
        let text = """
            # generated
            search default.svc.cluster.local svc.cluster.local
            nameserver 10.0.0.2
            ;nameserver 10.0.0.9
            nameserver\tfe80::1%eth0 # link-local
            nameserver 2001:db8::53
            nameserver not-an-address
            options ndots:5
            """
        #expect(ResolvConf.nameservers(text) == [ip("10.0.0.2"), ip("fe80::1"), ip("2001:db8::53")])
        #expect(ResolvConf.nameservers("").isEmpty)
    }
}
