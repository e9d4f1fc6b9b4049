// The engine's counters by service port, shared with whoever reads them (the metrics and
// status endpoints run on their own thread). A reload looks counters up by name, so they
// survive endpoint changes; service ports that leave the plan leave the registry.
import ServiceConfig
import Synchronization
import TLS

public final class StatisticsRegistry: Sendable {
    private let table = Mutex<[ServicePortName: ServicePortStatistics]>([:])
    private let ingressTable = Mutex<[IngressRouteKey: IngressRouteStatistics]>([:])
    /// Per worker: connections to endpoints the Ingress proxy opened and reused.
    let upstream: [UpstreamCounters]
    /// Per worker: TLS handshakes of the Ingress's HTTPS listeners.
    let tls: [TLSCounters]
    /// Per worker: the cluster DNS's queries and answers.
    let dns: [DNSCounters]
    /// Per worker: how its loop waited for events.
    let loops: [LoopCounters]
    /// Whether new connections are steered by CPU: set by the engine as it starts, cleared
    /// by worker 0 once every group it holds steers by hash.
    let steeringByCPU = Atomic<Bool>(false)
    let workerCount: Int
    /// The certificates the HTTPS listeners serve, for expiry metrics and `status`.
    private let served = Mutex<[ServedCertificate]>([])

    func setServedCertificates(_ certificates: [ServedCertificate]) { served.withLock { $0 = certificates } }
    public var servedCertificates: [ServedCertificate] { served.withLock { $0 } }

    init(workers: Int) {
        workerCount = workers
        upstream = (0..<workers).map { _ in UpstreamCounters() }
        tls = (0..<workers).map { _ in TLSCounters() }
        dns = (0..<workers).map { _ in DNSCounters() }
        loops = (0..<workers).map { _ in LoopCounters() }
    }

    /// The cluster DNS's counts, summed over workers.
    public func dnsSnapshot() -> DNSSnapshot { DNSSnapshot(dns) }

    /// How the workers waited for events (summed over workers) and how many connections
    /// each accepted.
    public func loopSnapshot() -> LoopSnapshot { LoopSnapshot(loops, steeringByCPU: steeringByCPU.load(ordering: .relaxed)) }

    /// The statistics of an Ingress path, made on first use.
    func ingressStatistics(for key: IngressRouteKey) -> IngressRouteStatistics {
        ingressTable.withLock { table in
            if let existing = table[key] { return existing }
            let made = IngressRouteStatistics(key: key, workers: workerCount)
            table[key] = made
            return made
        }
    }

    /// Forgets the Ingress paths that left the plan.
    func keepIngressRoutes(_ keys: Set<IngressRouteKey>) {
        ingressTable.withLock { table in table = table.filter { keys.contains($0.key) } }
    }

    /// The TLS handshake counts, summed over workers.
    public func tlsSnapshot() -> TLSSnapshot {
        func sum(_ value: (TLSCounters) -> UInt64) -> UInt64 { tls.reduce(0) { $0 &+ value($1) } }
        return TLSSnapshot(handshakesTLS12: sum { $0.tls12.current }, handshakesTLS13: sum { $0.tls13.current },
                           failed: sum { $0.failed.current }, timedOut: sum { $0.timedOut.current },
                           resumed: sum { $0.resumed.current }, kernelTLS: sum { $0.kernelTLS.current },
                           paced: sum { $0.paced.current })
    }

    /// Every Ingress path's counters, summed over workers, in key order.
    public func ingressSnapshot() -> IngressSnapshot {
        let all = ingressTable.withLock { Array($0.values) }
        return IngressSnapshot(routes: all.sorted { $0.key < $1.key }.map { $0.snapshot() },
                               upstreamConnectionsOpened: upstream.reduce(0) { $0 &+ $1.opened.current },
                               upstreamConnectionsReused: upstream.reduce(0) { $0 &+ $1.reused.current })
    }

    /// The statistics of `name`, made on first use.
    func statistics(for name: ServicePortName) -> ServicePortStatistics {
        table.withLock { table in
            if let existing = table[name] { return existing }
            let made = ServicePortStatistics(name: name, workers: workerCount)
            table[name] = made
            return made
        }
    }

    /// Forgets service ports and endpoints that left the plan (PlanDiff).
    func drop(servicePorts: Set<ServicePortName>, endpoints: [ServicePortName: Set<Endpoint>]) {
        let kept = table.withLock { table in
            for name in servicePorts { table[name] = nil }
            return endpoints.keys.compactMap { table[$0] }
        }
        for statistics in kept { statistics.forget(endpoints[statistics.name] ?? []) }
    }

    /// Every service port's counters, summed over workers, in name order.
    public func snapshot() -> [ServicePortSnapshot] {
        let all = table.withLock { Array($0.values) }
        return all.sorted { $0.name < $1.name }.map { $0.snapshot() }
    }
}
