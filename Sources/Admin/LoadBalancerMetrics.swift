// `svcproxy_load_balancer_addresses{pool,state}`: how the LoadBalancer Services of our
// class fare, per pool (`node` in node mode). `assigned` counts the addresses given out;
// `pending` counts the Services waiting for one (a full pool, a node port an older
// Service holds), so that an alert on `pending > 0` needs no other series.
import ServiceConfig

extension MetricsWriter {
    mutating func loadBalancers(_ states: [LoadBalancerState]) {
        guard !states.isEmpty else { return }
        var counts: [String: (assigned: UInt64, pending: UInt64)] = [:]
        for state in states {
            var count = counts[state.poolLabel] ?? (0, 0)
            if state.isPending { count.pending += 1 } else { count.assigned += UInt64(state.addresses.count) }
            counts[state.poolLabel] = count
        }
        let name = "svcproxy_load_balancer_addresses"
        family(name, "gauge", "LoadBalancer addresses given to Services (state assigned) and Services waiting for one (state pending), by pool.")
        for (pool, count) in counts.sorted(by: { $0.key < $1.key }) {
            sample(name, [("pool", pool), ("state", "assigned")], count.assigned)
            sample(name, [("pool", pool), ("state", "pending")], count.pending)
        }
    }
}
