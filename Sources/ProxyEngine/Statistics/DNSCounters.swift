// The cluster DNS's counters, one set per worker: queries by type and answers by response
// code (each a small fixed set of labels, whatever clients send), forwarded queries by
// result and their latency, truncated answers, upstream retries over TCP, and TCP clients.
import DNS
import Synchronization

/// The `type` label of a query: the types a resolver asks the cluster DNS, then "other".
enum DNSTypeLabel {
    static let named: [DNSRecordType] = [
        .a, .aaaa, .srv, .ptr, .cname, .txt, .soa, .ns, .any,
    ]
    static let count = named.count + 1

    static func slot(of type: DNSRecordType) -> Int { named.firstIndex(of: type) ?? named.count }
    static func label(ofSlot slot: Int) -> String { slot < named.count ? named[slot].name : "other" }
}

/// The `rcode` label of an answer.
enum DNSCodeLabel {
    static let named: [DNSResponseCode] = [.noError, .formErr, .servFail, .nxDomain, .notImp, .refused, .badVers]
    static let count = named.count + 1

    static func slot(of code: DNSResponseCode) -> Int { named.firstIndex(of: code) ?? named.count }
    static func label(ofSlot slot: Int) -> String { slot < named.count ? named[slot].name : "other" }
}

/// How a forwarded query ended, as the `result` label says it.
enum DNSForwardResult: Int, CaseIterable {
    /// An upstream answered (whatever its response code).
    case answered
    /// Every upstream timed out or failed: the client got SERVFAIL.
    case failed
    /// Too many queries were already waiting upstream: SERVFAIL at once.
    case limit

    var label: String {
        switch self {
        case .answered: "answered"
        case .failed: "failed"
        case .limit: "limit"
        }
    }
}

/// One worker's DNS counts.
final class DNSCounters: Sendable {
    /// Forwarding latency buckets, in seconds: upstreams answer in a millisecond on a
    /// node's own resolver, in tens of milliseconds across a network.
    static let durationBounds: [Double] = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]
    private static let boundNanoseconds = durationBounds.map { UInt64($0 * 1e9) }

    let queries = CounterArray(count: DNSTypeLabel.count)
    let responses = CounterArray(count: DNSCodeLabel.count)
    /// Datagrams that were no query at all (shorter than a header, or a response).
    let dropped = Atomic<UInt64>(0)
    /// UDP answers sent with TC set.
    let truncated = Atomic<UInt64>(0)
    let forwarded = CounterArray(count: DNSForwardResult.allCases.count)
    /// Truncated upstream answers asked again over TCP.
    let upstreamTCPRetries = Atomic<UInt64>(0)
    let forwardDurations = CounterArray(count: durationBounds.count + 1)
    let forwardNanoseconds = Atomic<UInt64>(0)
    let tcpConnections = Atomic<UInt64>(0)
    /// TCP clients turned away because the worker had as many as it takes.
    let tcpRefused = Atomic<UInt64>(0)

    func forwardEnded(_ result: DNSForwardResult, nanoseconds: UInt64) {
        forwarded.bump(result.rawValue)
        guard result == .answered else { return }
        forwardDurations.bump(Self.boundNanoseconds.firstIndex { nanoseconds <= $0 } ?? Self.boundNanoseconds.count)
        forwardNanoseconds.bump(by: nanoseconds)
    }
}

/// The DNS counts summed over workers, only the labels seen.
public struct DNSSnapshot: Sendable {
    public let queries: [(type: String, count: UInt64)]
    public let responses: [(rcode: String, count: UInt64)]
    public let dropped: UInt64
    public let truncated: UInt64
    public let forwarded: [(result: String, count: UInt64)]
    public let upstreamTCPRetries: UInt64
    /// Per bucket of `durationBounds`, then above the last; not cumulative.
    public let forwardDurationBuckets: [UInt64]
    public let forwardSeconds: Double
    public let tcpConnections: UInt64
    public let tcpRefused: UInt64

    public static let durationBounds = DNSCounters.durationBounds

    init(_ workers: [DNSCounters]) {
        func sum(_ value: (DNSCounters) -> UInt64) -> UInt64 { workers.reduce(0) { $0 &+ value($1) } }
        queries = (0..<DNSTypeLabel.count).compactMap { slot in
            let count = sum { $0.queries[slot] }
            return count == 0 ? nil : (DNSTypeLabel.label(ofSlot: slot), count)
        }
        responses = (0..<DNSCodeLabel.count).compactMap { slot in
            let count = sum { $0.responses[slot] }
            return count == 0 ? nil : (DNSCodeLabel.label(ofSlot: slot), count)
        }
        forwarded = DNSForwardResult.allCases.map { result in (result.label, sum { $0.forwarded[result.rawValue] }) }
        dropped = sum { $0.dropped.current }
        truncated = sum { $0.truncated.current }
        upstreamTCPRetries = sum { $0.upstreamTCPRetries.current }
        forwardDurationBuckets = (0...DNSCounters.durationBounds.count).map { index in sum { $0.forwardDurations[index] } }
        forwardSeconds = Double(sum { $0.forwardNanoseconds.current }) / 1e9
        tcpConnections = sum { $0.tcpConnections.current }
        tcpRefused = sum { $0.tcpRefused.current }
    }
}
