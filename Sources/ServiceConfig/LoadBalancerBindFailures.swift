// A node-mode LoadBalancer Service whose listener the engine could not bind (another
// program holds the port: a web server on :80, sshd on :22) is not served there, whatever
// the plan says: status, metrics and the log show what is true. Its addresses that failed
// are taken out of its state; when none is left it is pending, with the bind error as the
// reason, and a later reload (after the port frees up) tries again. Pool addresses are
// left as they are: the address is still the Service's, added and announced, and the
// failure is listed with the daemon's other listen failures.

extension ProxyPlan {
    /// The plan with the LoadBalancer states as served: `failures` are the listen
    /// addresses that failed to bind, by service port, each with its error.
    public func withUnboundLoadBalancers(_ failures: [(service: ObjectKey, address: ListenAddress, error: String)]) -> ProxyPlan {
        let failed = failures.filter { $0.address.kind == .loadBalancer }
        guard !failed.isEmpty else { return self }
        var plan = self
        plan.loadBalancers = loadBalancers.map { state in
            guard state.pool == nil, !state.isPending else { return state }
            let own = failed.filter { $0.service == state.service }
            guard !own.isEmpty else { return state }
            let unbound = Set(own.map(\.address.ip))
            let bound = state.addresses.filter { !unbound.contains($0) }
            guard bound.isEmpty, let first = own.first else {
                return LoadBalancerState(service: state.service, pool: nil, addresses: bound, pendingReason: nil)
            }
            return LoadBalancerState(service: state.service, pool: nil, addresses: [],
                                     pendingReason: "failed to listen on \(first.address): \(first.error)")
        }
        return plan
    }
}
