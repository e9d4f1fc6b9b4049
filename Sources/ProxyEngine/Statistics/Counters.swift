// Counters on the data path. Each worker has its own set for every service port and
// endpoint and is the only thread that writes it, so an increment is a relaxed load and
// store (no locked instruction, no lock); a scrape reads every worker's set and adds them up.
import ServiceConfig
import Synchronization

extension Atomic where Value == UInt64 {
    /// Adds `amount`. Only for counters that a single thread writes.
    @inline(__always)
    func bump(by amount: UInt64 = 1) {
        store(load(ordering: .relaxed) &+ amount, ordering: .relaxed)
    }

    var current: UInt64 { load(ordering: .relaxed) }
}

/// One worker's counts for one service port.
final class ServicePortCounters: Sendable {
    let accepted = Atomic<UInt64>(0)
    let refusedNoEndpoints = Atomic<UInt64>(0)
    /// Arrived where a Local traffic policy applies, with no endpoint on this node.
    let refusedNoLocalEndpoints = Atomic<UInt64>(0)
    /// Refused by `--max-connections`, by the service's `svcproxy.io/max-connections`,
    /// because no endpoint's NetworkPolicy admitted the client, and because the client's
    /// egress policies allowed none of those that did.
    let refusedNodeLimit = Atomic<UInt64>(0)
    let refusedServiceLimit = Atomic<UInt64>(0)
    let deniedByPolicy = Atomic<UInt64>(0)
    let deniedByEgressPolicy = Atomic<UInt64>(0)
    /// Connect attempts after a connection's first.
    let retries = Atomic<UInt64>(0)
    /// Connections whose every connect attempt failed.
    let connectsExhausted = Atomic<UInt64>(0)
}

/// One worker's counts for one endpoint of a service port.
final class EndpointCounters: Sendable {
    /// Connections established to this endpoint; with `closed`, gives the active count.
    let established = Atomic<UInt64>(0)
    let closed = Atomic<UInt64>(0)
    let connectErrors = Atomic<UInt64>(0)
    /// Client → endpoint.
    let bytesSent = Atomic<UInt64>(0)
    /// Endpoint → client.
    let bytesReceived = Atomic<UInt64>(0)
    /// How the last connect to this endpoint from this worker went.
    let lastConnect = Atomic<UInt8>(ConnectOutcome.none.rawValue)
}

enum ConnectOutcome: UInt8 {
    case none = 0
    case succeeded = 1
    case failed = 2
}

/// Every worker's counters for one service port; kept across reloads by name, so the
/// counters of a service port whose endpoints change keep counting up.
final class ServicePortStatistics: Sendable {
    let name: ServicePortName
    let perWorker: [ServicePortCounters]
    /// For a UDP service port: its datagrams and flows, per worker.
    let udp: [UDPCounters]
    /// Affinity pins evicted for room; any worker may count one, so this one is shared
    /// (and rare: only a full table evicts).
    let affinityEvictions = Atomic<UInt64>(0)
    private let endpoints: Mutex<[Endpoint: [EndpointCounters]]>
    private let workerCount: Int

    init(name: ServicePortName, workers: Int) {
        self.name = name
        workerCount = workers
        perWorker = (0..<workers).map { _ in ServicePortCounters() }
        udp = (0..<workers).map { _ in UDPCounters() }
        endpoints = Mutex([:])
    }

    /// The per-worker counters of `endpoint`, made on first use.
    func counters(for endpoint: Endpoint) -> [EndpointCounters] {
        endpoints.withLock { table in
            if let existing = table[endpoint] { return existing }
            let made = (0..<workerCount).map { _ in EndpointCounters() }
            table[endpoint] = made
            return made
        }
    }

    /// Forgets endpoints that left the plan.
    func forget(_ gone: Set<Endpoint>) {
        endpoints.withLock { table in for endpoint in gone { table[endpoint] = nil } }
    }

    func endpointCounters() -> [(Endpoint, [EndpointCounters])] {
        endpoints.withLock { table in table.sorted { $0.key.description < $1.key.description }.map { ($0.key, $0.value) } }
    }
}

/// Why a UDP flow ended, as the metrics' `reason` label says it.
enum UDPFlowEnd: Int, CaseIterable {
    case timeout, refused, endpointRemoved, evicted, closed

    var label: String {
        switch self {
        case .timeout: "timeout"
        case .refused: "refused"
        case .endpointRemoved: "endpoint_removed"
        case .evicted: "evicted"
        case .closed: "closed"
        }
    }
}

/// Why a datagram was dropped, as the metrics' `reason` label says it.
enum UDPDrop: Int, CaseIterable {
    case policy, noEndpoints, sendFailed, truncated, limit, noLocalEndpoints, egressPolicy

    var label: String {
        switch self {
        case .policy: "policy"
        case .egressPolicy: "policy_egress"
        case .noEndpoints: "no_endpoints"
        case .sendFailed: "send_failed"
        case .truncated: "truncated"
        case .limit: "limit"
        case .noLocalEndpoints: "no_local_endpoints"
        }
    }
}

/// One worker's UDP counts for one service port.
final class UDPCounters: Sendable {
    let datagramsIn = Atomic<UInt64>(0)
    let datagramsOut = Atomic<UInt64>(0)
    let bytesIn = Atomic<UInt64>(0)
    let bytesOut = Atomic<UInt64>(0)
    let flowsCreated = Atomic<UInt64>(0)
    /// By UDPFlowEnd.
    let flowsEnded = CounterArray(count: UDPFlowEnd.allCases.count)
    /// By UDPDrop.
    let dropped = CounterArray(count: UDPDrop.allCases.count)
}
