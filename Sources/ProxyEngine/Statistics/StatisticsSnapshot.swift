// What a scrape or `svcproxy status` sees: every worker's counters added up, per service
// port and endpoint, as plain values.
import ServiceConfig

public struct EndpointSnapshot: Sendable {
    /// From the last connect attempts: up if the last one (of any worker) succeeded.
    public enum Health: String, Sendable, Codable {
        case up
        case down
        case unknown
    }

    public let endpoint: Endpoint
    public let health: Health
    public let established: UInt64
    public let active: UInt64
    public let connectErrors: UInt64
    public let bytesSent: UInt64
    public let bytesReceived: UInt64
}

public struct ServicePortSnapshot: Sendable {
    public let name: ServicePortName
    public let accepted: UInt64
    public let refusedNoEndpoints: UInt64
    /// Refused by a Local traffic policy: no endpoint on this node.
    public let refusedNoLocalEndpoints: UInt64
    public let refusedNodeLimit: UInt64
    public let refusedServiceLimit: UInt64
    public let deniedByPolicy: UInt64
    /// Refused by the client pod's NetworkPolicy egress.
    public let deniedByEgressPolicy: UInt64
    public let retries: UInt64
    public let connectsExhausted: UInt64
    /// Affinity pins evicted because the table was full (`--affinity-table-size`).
    public let affinityEvictions: UInt64
    public let endpoints: [EndpointSnapshot]
    public let udp: UDPSnapshot
}

/// A UDP service port's datagrams and flows, summed over workers (all zero for TCP).
public struct UDPSnapshot: Sendable {
    public let datagramsIn: UInt64
    public let datagramsOut: UInt64
    public let bytesIn: UInt64
    public let bytesOut: UInt64
    public let flowsCreated: UInt64
    /// Ended flows by reason (`timeout`, `refused`, `endpoint_removed`, `evicted`, `closed`).
    public let flowsEnded: [(reason: String, count: UInt64)]
    /// Dropped datagrams by reason.
    public let dropped: [(reason: String, count: UInt64)]

    /// Read apart from the workers' updates, ended may pass created for an instant: never
    /// below zero.
    public var activeFlows: UInt64 {
        let ended = flowsEnded.reduce(0) { $0 &+ $1.count }
        return flowsCreated >= ended ? flowsCreated - ended : 0
    }
}

extension ServicePortStatistics {
    func snapshot() -> ServicePortSnapshot {
        func sum(_ value: (ServicePortCounters) -> UInt64) -> UInt64 { perWorker.reduce(0) { $0 &+ value($1) } }
        let endpoints = endpointCounters().map { endpoint, workers in
            func sum(_ value: (EndpointCounters) -> UInt64) -> UInt64 { workers.reduce(0) { $0 &+ value($1) } }
            let established = sum { $0.established.current }
            let closed = sum { $0.closed.current }
            let outcomes = workers.map { ConnectOutcome(rawValue: $0.lastConnect.load(ordering: .relaxed)) ?? .none }
            let health: EndpointSnapshot.Health = outcomes.contains(.succeeded) ? .up : outcomes.contains(.failed) ? .down : .unknown
            return EndpointSnapshot(endpoint: endpoint, health: health, established: established,
                                    active: established >= closed ? established - closed : 0,
                                    connectErrors: sum { $0.connectErrors.current },
                                    bytesSent: sum { $0.bytesSent.current }, bytesReceived: sum { $0.bytesReceived.current })
        }
        return ServicePortSnapshot(name: name, accepted: sum { $0.accepted.current },
                                   refusedNoEndpoints: sum { $0.refusedNoEndpoints.current },
                                   refusedNoLocalEndpoints: sum { $0.refusedNoLocalEndpoints.current },
                                   refusedNodeLimit: sum { $0.refusedNodeLimit.current },
                                   refusedServiceLimit: sum { $0.refusedServiceLimit.current },
                                   deniedByPolicy: sum { $0.deniedByPolicy.current },
                                   deniedByEgressPolicy: sum { $0.deniedByEgressPolicy.current },
                                   retries: sum { $0.retries.current },
                                   connectsExhausted: sum { $0.connectsExhausted.current },
                                   affinityEvictions: affinityEvictions.load(ordering: .relaxed), endpoints: endpoints,
                                   udp: udpSnapshot())
    }

    private func udpSnapshot() -> UDPSnapshot {
        func sum(_ value: (UDPCounters) -> UInt64) -> UInt64 { udp.reduce(0) { $0 &+ value($1) } }
        // Ends before creations: a flow made and ended between the two reads then shows in
        // both, never in the ends alone.
        let ended = UDPFlowEnd.allCases.map { reason in (reason.label, sum { $0.flowsEnded[reason.rawValue] }) }
        return UDPSnapshot(
            datagramsIn: sum { $0.datagramsIn.current }, datagramsOut: sum { $0.datagramsOut.current },
            bytesIn: sum { $0.bytesIn.current }, bytesOut: sum { $0.bytesOut.current },
            flowsCreated: sum { $0.flowsCreated.current },
            flowsEnded: ended,
            dropped: UDPDrop.allCases.map { reason in (reason.label, sum { $0.dropped[reason.rawValue] }) })
    }
}
