// Random damage to valid queries and responses never crashes the codec: a deterministic
// generator mutates a few bytes of each, 10,000 times, and every response it gives parses.
@testable import DNS
import Testing

/// SplitMix64: the same mutations on every run.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ z >> 30) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ z >> 27) &* 0x94d0_49bb_1331_11eb
        return z ^ z >> 31
    }
}

@Suite struct RobustnessTests {
    @Test func mutatedQueriesNeverCrashAndAnswersParse() throws {
        let zone = sampleZone(forwarding: true)
        let seeds = [
            query("web.default.svc.cluster.local", .a), query("_pg._tcp.db.default.svc.cluster.local", .srv, edns: 1232),
            query("ext.other.svc.cluster.local", .a), query("10.0.96.10.in-addr.arpa", .ptr),
            query("10-1-2-3.x.pod.cluster.local", .any, edns: 600), query("example.com", .a),
        ]
        var generator = SeededGenerator(state: 1)
        var answers = DNSAnswerBuffer()
        for round in 0..<10_000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                case 1: bytes.removeLast(min(bytes.count - 1, Int.random(in: 1...8, using: &generator)))
                case 2: bytes.append(UInt8.random(in: 0...255, using: &generator))
                default: bytes[Int.random(in: 0..<min(12, bytes.count), using: &generator)] ^= 1 << UInt8.random(in: 0...7, using: &generator)
                }
            }
            let transport = round % 2 == 0 ? DNSTransport.udp : .tcp
            switch resolve(zone, bytes, transport: transport, rotation: round) {
            case .answer(let response, let outcome):
                #expect(ReadMessage(response) != nil)
                // The buffer's entry, reused across rounds, writes the same bytes.
                let written = bytes.withUnsafeBytes { zone.resolve($0, transport: transport, rotation: round, into: &answers) }
                guard case .written(let writtenOutcome) = written else {
                    Issue.record("the buffer's entry did not write the answer")
                    continue
                }
                #expect(Array(answers.bytes) == response && writtenOutcome == outcome)
            case .written:
                Issue.record("the array entry answered into a buffer")
            case .forward(let forward):
                let upstream = upstreamResponse(to: forward.upstreamQuery(id: 5))
                _ = upstream.withUnsafeBytes { forward.clientResponse(from: $0, upstreamID: 5) }
                _ = bytes.withUnsafeBytes { forward.clientResponse(from: $0, upstreamID: 5) }
            case .chase(let chase):
                _ = bytes.withUnsafeBytes { chase.clientResponse(from: $0, upstreamID: 5) }
            case .drop:
                break
            }
        }
    }
}
