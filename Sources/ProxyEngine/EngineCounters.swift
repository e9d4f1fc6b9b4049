// What the limits and NetworkPolicy admission refused, for status and metrics: read from
// the counters the workers keep (atomics, relaxed: a snapshot, not a transaction).
import ServiceConfig

/// Refusals since the engine started, node-wide and per service port of the running plan.
public struct RefusalCounters: Sendable, Equatable {
    /// Connections refused by `--max-connections` or a service's limit.
    public var refusedByLimits = 0
    /// Open connections, counted only while `--max-connections` is set.
    public var openUnderNodeLimit = 0
    /// Per service port: connections refused by its `svcproxy.io/max-connections`.
    public var refusedByServiceLimit: [ServicePortName: Int] = [:]
    /// Per service port: connections that no endpoint's NetworkPolicy admitted.
    public var deniedByPolicy: [ServicePortName: Int] = [:]
}

extension Engine {
    public var refusals: RefusalCounters {
        var counters = RefusalCounters()
        counters.refusedByLimits = budget.refused.load(ordering: .relaxed)
        counters.openUnderNodeLimit = budget.open.load(ordering: .relaxed)
        for (name, route) in routes {
            counters.refusedByServiceLimit[name] = route.shared.refused.load(ordering: .relaxed)
            counters.deniedByPolicy[name] = route.shared.denied.load(ordering: .relaxed)
        }
        return counters
    }
}
