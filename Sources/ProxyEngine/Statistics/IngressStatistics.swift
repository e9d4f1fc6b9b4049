// Counters of the Ingress proxy: one set per Ingress path (the labels of
// svcproxy_ingress_requests_total), one per worker, written by that worker alone as the
// TCP counters are (Counters.swift).
import ServiceConfig
import Synchronization

/// Which Ingress path served a request; all empty for requests that matched no rule.
public struct IngressRouteKey: Hashable, Sendable, Comparable {
    public let namespace: String
    public let ingress: String
    public let host: String
    public let path: String
    public let service: String

    public static let unmatched = IngressRouteKey(namespace: "", ingress: "", host: "", path: "", service: "")

    public init(namespace: String, ingress: String, host: String, path: String, service: String) {
        self.namespace = namespace
        self.ingress = ingress
        self.host = host
        self.path = path
        self.service = service
    }

    public static func < (a: IngressRouteKey, b: IngressRouteKey) -> Bool {
        (a.namespace, a.ingress, a.host, a.path, a.service) < (b.namespace, b.ingress, b.host, b.path, b.service)
    }
}

/// A fixed number of relaxed atomic counters, for the per-class and per-bucket counts
/// that would otherwise be a property each.
final class CounterArray: @unchecked Sendable {
    // Safe to share: the storage is fixed at init and only ever reached through Atomic.
    private let storage: UnsafeMutablePointer<Atomic<UInt64>>
    let count: Int

    init(count: Int) {
        self.count = count
        storage = .allocate(capacity: count)
        for index in 0..<count { (storage + index).initialize(to: Atomic(0)) }
    }

    deinit {
        storage.deinitialize(count: count)
        storage.deallocate()
    }

    func bump(_ index: Int, by amount: UInt64 = 1) { storage[index].bump(by: amount) }
    subscript(index: Int) -> UInt64 { storage[index].current }
}

/// The `code` label of a response: the status itself when RFC 9110 (or RFC 6585, 8297)
/// names it, else its class (`2xx`). Endpoints may answer any three digits, and a series per
/// code would let them grow the metrics without bound; the named codes are a fixed set.
enum ResponseCodeLabel {
    static let named: [Int] = [
        100, 101, 103, 200, 201, 202, 203, 204, 205, 206, 300, 301, 302, 303, 304, 307, 308,
        400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 421, 422, 425, 426,
        428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 511,
    ]
    /// Slots: one per named code, then one per class 1xx … 5xx, then one for anything else.
    static let count = named.count + 6
    /// Status → slot, for every status a response can carry.
    private static let slots: [UInt8] = (0..<1000).map { status in
        if let index = named.firstIndex(of: status) { return UInt8(index) }
        let statusClass = status / 100
        return UInt8((1...5).contains(statusClass) ? named.count + statusClass - 1 : named.count + 5)
    }

    static func slot(of status: Int) -> Int { (0..<1000).contains(status) ? Int(slots[status]) : named.count + 5 }

    static func label(ofSlot slot: Int) -> String {
        if slot < named.count { return "\(named[slot])" }
        let statusClass = slot - named.count + 1
        return statusClass <= 5 ? "\(statusClass)xx" : "other"
    }
}

/// One worker's counts for one Ingress path.
final class IngressRouteCounters: Sendable {
    /// The Prometheus default buckets, in seconds, as ingress-nginx uses them.
    static let durationBounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    private static let boundNanoseconds = durationBounds.map { UInt64($0 * 1e9) }

    /// Responses by status, in the slots of ResponseCodeLabel.
    let responses = CounterArray(count: ResponseCodeLabel.count)
    /// Request and response bytes, heads and bodies, as they crossed the proxy.
    let requestBytes = Atomic<UInt64>(0)
    let responseBytes = Atomic<UInt64>(0)
    /// Requests per duration bucket (not cumulative; the scrape adds them up).
    let durations = CounterArray(count: durationBounds.count + 1)
    let durationNanoseconds = Atomic<UInt64>(0)

    func record(status: Int, requestBytes sent: UInt64, responseBytes received: UInt64, nanoseconds: UInt64) {
        responses.bump(ResponseCodeLabel.slot(of: status))
        requestBytes.bump(by: sent)
        responseBytes.bump(by: received)
        durations.bump(Self.boundNanoseconds.firstIndex { nanoseconds <= $0 } ?? Self.boundNanoseconds.count)
        durationNanoseconds.bump(by: nanoseconds)
    }
}

/// Every worker's counters for one Ingress path; kept across reloads by key.
final class IngressRouteStatistics: Sendable {
    let key: IngressRouteKey
    let perWorker: [IngressRouteCounters]

    init(key: IngressRouteKey, workers: Int) {
        self.key = key
        perWorker = (0..<workers).map { _ in IngressRouteCounters() }
    }

    func snapshot() -> IngressRouteSnapshot {
        func sum(_ value: (IngressRouteCounters) -> UInt64) -> UInt64 { perWorker.reduce(0) { $0 &+ value($1) } }
        return IngressRouteSnapshot(
            key: key,
            responses: (0..<ResponseCodeLabel.count).compactMap { slot in
                let count = sum { $0.responses[slot] }
                return count == 0 ? nil : (ResponseCodeLabel.label(ofSlot: slot), count)
            },
            requestBytes: sum { $0.requestBytes.current }, responseBytes: sum { $0.responseBytes.current },
            durationBuckets: (0...IngressRouteCounters.durationBounds.count).map { index in sum { $0.durations[index] } },
            durationSeconds: Double(sum { $0.durationNanoseconds.current }) / 1e9)
    }
}

/// One worker's counts of connections to endpoints made and reused by the Ingress proxy.
final class UpstreamCounters: Sendable {
    let opened = Atomic<UInt64>(0)
    /// Requests sent on a pooled connection rather than a new one.
    let reused = Atomic<UInt64>(0)
}

public struct IngressRouteSnapshot: Sendable {
    public let key: IngressRouteKey
    /// Responses by `code` label (`404`, or a class such as `2xx` for codes without a
    /// name), only those seen.
    public let responses: [(code: String, count: UInt64)]
    public let requestBytes: UInt64
    public let responseBytes: UInt64
    /// Per bucket of `IngressRouteSnapshot.durationBounds`, then above the last; not cumulative.
    public let durationBuckets: [UInt64]
    public let durationSeconds: Double

    public static let durationBounds = IngressRouteCounters.durationBounds
    public var requests: UInt64 { responses.reduce(0) { $0 &+ $1.count } }
    /// Responses with a 4xx or 5xx status.
    public var errors: UInt64 { responses.filter { $0.code.hasPrefix("4") || $0.code.hasPrefix("5") }.reduce(0) { $0 &+ $1.count } }
}

public struct IngressSnapshot: Sendable {
    public let routes: [IngressRouteSnapshot]
    public let upstreamConnectionsOpened: UInt64
    public let upstreamConnectionsReused: UInt64
}

/// One worker's counts of TLS handshakes on the Ingress's HTTPS listeners.
final class TLSCounters: Sendable {
    let tls12 = Atomic<UInt64>(0)
    let tls13 = Atomic<UInt64>(0)
    let failed = Atomic<UInt64>(0)
    /// Clients that did not finish a handshake within --ingress-tls-handshake-timeout.
    let timedOut = Atomic<UInt64>(0)
    let resumed = Atomic<UInt64>(0)
    /// Connections whose records the kernel encrypts (kTLS).
    let kernelTLS = Atomic<UInt64>(0)
    /// Handshakes whose costly step waited for a later turn of the loop (HTTPHandshakePacing.swift).
    let paced = Atomic<UInt64>(0)

    func handshakeCompleted(version: String, resumed wasResumed: Bool, kernelTLS inKernel: Bool) {
        if version == "TLSv1.3" { tls13.bump() } else { tls12.bump() }
        if wasResumed { resumed.bump() }
        if inKernel { kernelTLS.bump() }
    }
}

public struct TLSSnapshot: Sendable {
    public let handshakesTLS12: UInt64
    public let handshakesTLS13: UInt64
    public let failed: UInt64
    public let timedOut: UInt64
    public let resumed: UInt64
    public let kernelTLS: UInt64
    public let paced: UInt64
}
