// Node mode, k3s ServiceLB's way (LoadBalancerAssignment.swift): a LoadBalancer Service of
// our class without an address of its own is served at its `port` on the node addresses
// that `selectedLoadBalancerAddresses` gives (never svcproxy's own: ClusterIPs, external
// IPs, pool addresses) and that are of its IP families (its ClusterIPs'), so that a
// SingleStack IPv4 Service does not listen on the node's IPv6 addresses. The first
// Service (oldest) to want a socket gets it; a socket held by anything else leaves the
// Service pending with the holder named, so that a conflict never fails the whole plan.

extension LoadBalancerAssignment {
    mutating func assignNodeAddresses(_ wanting: [Service], all services: [Service]) {
        // External IPs are svcproxy's to place (--cluster-ip-interface): not the node's.
        let external = Set(services.filter(\.isProxied).flatMap { $0.externalIPs.compactMap(IPAddress.init) })
        let addresses = settings.selectedLoadBalancerAddresses.filter { !external.contains($0) }
        var owners = Self.sockets(heldBy: services, settings: settings, allocations: allocations)
        for service in wanting {
            let families = Set((allocations.clusterIPs[service.key] ?? []).map(\.family))
            let own = families.isEmpty ? addresses : addresses.filter { families.contains($0.family) }
            guard !own.isEmpty else {
                pending(service, pool: nil, addresses.isEmpty
                    ? "no node address lies in --load-balancer-addresses"
                    : "no node address of the Service's IP famil\(families.count == 1 ? "y" : "ies") lies in --load-balancer-addresses")
                continue
            }
            let sockets = service.ports.filter { $0.protocol != .sctp }.flatMap { port in
                own.map { SocketKey(ip: $0, port: port.port, transport: port.protocol) }
            }
            if let taken = sockets.first(where: { owners[$0] != nil && owners[$0] != service.key }), let owner = owners[taken] {
                pending(service, pool: nil, "\(taken) is taken by \(owner)")
                continue
            }
            if let socket = sockets.first(where: { holder(of: $0) != nil }), let holder = holder(of: socket) {
                pending(service, pool: nil, "\(socket) is taken by \(holder)")
                continue
            }
            for socket in sockets { owners[socket] = service.key }
            allocated.servedOnNode.insert(service.key)
            result.set(LoadBalancerState(service: service.key, pool: nil, addresses: own, pendingReason: nil))
        }
    }

    /// Which of the node's own listeners holds `socket`, if one does: one on its address,
    /// or a wildcard one of its family, which holds the port on every address.
    func holder(of socket: SocketKey) -> String? {
        reserved.first { entry in
            entry.transport == socket.transport && Int(entry.address.port) == socket.port
                && (entry.address.ip == socket.ip || (entry.address.ip.isUnspecified && entry.address.ip.family == socket.ip.family))
        }?.holder
    }
}
