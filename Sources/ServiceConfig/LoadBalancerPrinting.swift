// The LoadBalancer assignments as `check --print-plan`, `svcproxy status` and the metrics
// show them: which address each Service of our class got, from which pool, and which wait
// and why (LoadBalancerAssignment.swift).

extension LoadBalancerState {
    /// `default/web: 192.168.1.240 from pool default`, or `default/two: pending: ...`.
    public var summary: String {
        if let pendingReason { return "\(service): pending: \(pendingReason)" }
        let addresses = self.addresses.map(\.description).joined(separator: ", ")
        return "\(service): \(addresses) " + (pool.map { "from pool \($0)" } ?? "(node addresses)")
    }

    /// The metric's `pool` label: the pool's name, or `node` in node mode.
    public var poolLabel: String { pool ?? "node" }
}

extension ProxyPlan {
    /// The pool addresses the plan serves: what `--load-balancer-interface` adds to the
    /// node and announces on the link.
    public var loadBalancerPoolAddresses: Set<IPAddress> {
        Set(loadBalancers.filter { $0.pool != nil }.flatMap(\.addresses))
    }

    var printedLoadBalancers: String {
        guard !loadBalancers.isEmpty else { return "" }
        return "load balancers\n" + loadBalancers.map { "  \($0.summary)\n" }.joined()
    }
}
