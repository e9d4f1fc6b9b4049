// The allocation-free entry, `resolve(_:transport:rotation:into:)`: the same answers as the
// array-returning one, byte for byte, into one buffer reused across queries of any size,
// and cut to the limit within it, down to answers larger than the buffer itself.
@testable import DNS
import ServiceConfig
import Testing

@Suite struct AnswerBufferTests {
    /// Resolves `bytes` through the buffer: the resolution and, when written, the answer.
    func written(_ zone: DNSZone, _ bytes: [UInt8], transport: DNSTransport = .udp, rotation: Int = 0, into buffer: inout DNSAnswerBuffer) -> (DNSResolution, [UInt8]?) {
        let resolution = bytes.withUnsafeBytes { zone.resolve($0, transport: transport, rotation: rotation, into: &buffer) }
        guard case .written = resolution else { return (resolution, nil) }
        return (resolution, Array(buffer.bytes))
    }

    /// Whether both entries give the same for `bytes`.
    func agree(_ zone: DNSZone, _ bytes: [UInt8], transport: DNSTransport = .udp, rotation: Int = 0, buffer: inout DNSAnswerBuffer) -> Bool {
        let old = resolve(zone, bytes, transport: transport, rotation: rotation)
        let (new, answer) = written(zone, bytes, transport: transport, rotation: rotation, into: &buffer)
        switch (old, new) {
        case (.answer(let expected, let outcome), .written(let writtenOutcome)):
            return answer == expected && outcome == writtenOutcome
        case (.forward(let a), .forward(let b)):
            return a.question == b.question && a.upstreamQuery(id: 7) == b.upstreamQuery(id: 7)
        case (.chase(let a), .chase(let b)):
            return a.upstreamQuery(id: 7) == b.upstreamQuery(id: 7)
        case (.drop, .drop):
            return true
        default:
            return false
        }
    }

    static let names: [(String, DNSRecordType)] = [
        ("web.default.svc.cluster.local", .a), ("WEB.Default.svc.cluster.local", .aaaa),
        ("web.default.svc.cluster.local", .any), ("web.default.svc.cluster.local", .txt),
        ("_http._tcp.web.default.svc.cluster.local", .srv), ("_pg._tcp.db.default.svc.cluster.local", .srv),
        ("_pg._tcp.db.default.svc.cluster.local", .any), ("db.default.svc.cluster.local", .a),
        ("db-0.db.default.svc.cluster.local", .a), ("10-1-0-3.db.default.svc.cluster.local", .a),
        ("10.0.96.10.in-addr.arpa", .ptr), ("9.9.9.9.in-addr.arpa", .ptr),
        ("ext.other.svc.cluster.local", .a), ("ext.other.svc.cluster.local", .cname),
        ("alias.other.svc.cluster.local", .a), ("alias.other.svc.cluster.local", .any),
        ("empty.default.svc.cluster.local", .a), ("nope.default.svc.cluster.local", .a),
        ("default.svc.cluster.local", .a), ("cluster.local", .soa), ("cluster.local", .ns), ("cluster.local", .any),
        ("dns-version.cluster.local", .txt), ("10-1-2-3.default.pod.cluster.local", .a),
        ("fd00--1.default.pod.cluster.local", .aaaa), ("default.pod.cluster.local", .a), ("x.y.pod.cluster.local", .a),
        ("www.example.com", .a), ("cluster.local", .axfr),
    ]

    @Test func sameBytesAsTheArrayEntry() {
        var buffer = DNSAnswerBuffer()
        for forwarding in [false, true] {
            let zone = sampleZone(forwarding: forwarding)
            for (name, type) in Self.names {
                for edns in [nil, 512, 4096] as [UInt16?] {
                    for transport in [DNSTransport.udp, .tcp] {
                        for rotation in [0, 1, 5] {
                            let bytes = query(name, type, edns: edns)
                            #expect(agree(zone, bytes, transport: transport, rotation: rotation, buffer: &buffer), "\(name) \(type) \(String(describing: edns)) \(transport)")
                        }
                    }
                }
            }
            let odd: [[UInt8]] = [
                [], [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0], query("cluster.local", .soa, flags: 0x2000),
                query("web.default.svc.cluster.local", .a, edns: 1232, ednsVersion: 1),
                query("web.default.svc.cluster.local", .a, flags: 0x8100), query("web.default.svc.cluster.local", .a, class: 3),
            ]
            for bytes in odd { #expect(agree(zone, bytes, buffer: &buffer)) }
        }
    }

    @Test func aBigAnswerThenASmallOneReuseTheBuffer() throws {
        let zone = SizeTests.bigZone(600)
        var buffer = DNSAnswerBuffer()
        let big = query("many.big.svc.cluster.local", .a)
        let (_, bigAnswer) = written(zone, big, transport: .tcp, into: &buffer)
        let bigBytes = try #require(bigAnswer)
        let bigReply = try #require(Reply(bigBytes))
        #expect(bigReply.answers.count == 600 && !bigReply.truncated)
        let small = query("web.default.svc.cluster.local", .a)
        let (_, smallAnswer) = written(zone, small, into: &buffer)
        #expect(smallAnswer == responseBytes(zone, small))
        #expect(buffer.bytes.count < 100 && Reply(Array(buffer.bytes))?.answers == ["web.default.svc.cluster.local. A 10.96.0.10"])
        #expect(agree(zone, big, transport: .tcp, buffer: &buffer))
    }

    @Test func truncationHappensInTheBuffer() throws {
        var buffer = DNSAnswerBuffer()
        let zone = SizeTests.bigZone(40)
        let (resolution, answer) = written(zone, query("many.big.svc.cluster.local", .a), into: &buffer)
        guard case .written(let outcome) = resolution, let answer else {
            Issue.record("no answer")
            return
        }
        let reply = try #require(Reply(answer))
        #expect(outcome.truncated && reply.truncated && reply.answers.isEmpty && answer.count <= 512)
        #expect(agree(zone, query("many.big.svc.cluster.local", .a, edns: 1000), buffer: &buffer))
    }

    /// 5,000 addresses take 80,000 bytes: more than the buffer holds, even over TCP; the
    /// answer is cut to header and question with TC, as one over the limit is.
    @Test func anAnswerLargerThanTheBufferIsTruncated() throws {
        let zone = SizeTests.bigZone(5000)
        var buffer = DNSAnswerBuffer()
        for transport in [DNSTransport.udp, .tcp] {
            let (resolution, answer) = written(zone, query("many.big.svc.cluster.local", .a, edns: 4096), transport: transport, into: &buffer)
            guard case .written(let outcome) = resolution, let answer else {
                Issue.record("no answer")
                continue
            }
            let reply = try #require(Reply(answer))
            #expect(outcome.truncated && reply.truncated && reply.answers.isEmpty && reply.additional == ["OPT 1232 32768"])
            #expect(agree(zone, query("many.big.svc.cluster.local", .a, edns: 4096), transport: transport, buffer: &buffer))
        }
        // Then an answer that fits, from the same buffer.
        #expect(agree(zone, query("web.default.svc.cluster.local", .aaaa), buffer: &buffer))
    }
}
