// A plan diff that looks only at the Services a change touched (PlanCache names them):
// a reload that moves one endpoint among 10,000 Services compares that Service's ports,
// not every port and listener of both plans. It says the same as the full diff about
// those Services (and keeps the few Ingress and DNS listeners); everything else is kept
// as it is (`isPartial`), so the engine touches only the listeners and routes named here. It needs the Ingress and DNS listeners and
// the node's connection settings to be unchanged (`canDiff`), as then a socket can only
// move between touched Services.

extension ProxyPlan {
    /// The service ports of `service`: the plan is in name order, so they are together.
    public func servicePorts(of service: ObjectKey) -> ArraySlice<ServicePortPlan> {
        var low = servicePorts.startIndex, high = servicePorts.endIndex
        while low < high {
            let middle = (low + high) / 2
            if servicePorts[middle].name.service < service { low = middle + 1 } else { high = middle }
        }
        var end = low
        while end < servicePorts.endIndex, servicePorts[end].name.service == service { end += 1 }
        return servicePorts[low..<end]
    }
}

extension PlanDiff {
    /// Whether `new` may be diffed from `old` over some Services only.
    public static func canDiff(from old: ProxyPlan, to new: ProxyPlan) -> Bool {
        old.connections == new.connections && old.ingress?.listenAddresses == new.ingress?.listenAddresses
            && old.ingress?.tls?.listenAddresses == new.ingress?.tls?.listenAddresses
            && old.dns?.listenAddresses == new.dns?.listenAddresses
    }

    /// The changes that take `old` to `new`, which differ only in the service ports of
    /// `services` (and in the Ingress routing or DNS zone, compared whole), if `canDiff`.
    public init(from old: ProxyPlan, to new: ProxyPlan, services: Set<ObjectKey>) {
        let before = services.flatMap { old.servicePorts(of: $0) }
        let after = services.flatMap { new.servicePorts(of: $0) }
        let oldPorts = Dictionary(before.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let oldSockets = Set(before.flatMap { $0.listenAddresses.map(\.socketKey) })
        var opened: [Listener] = []
        var kept: [Listener] = []
        var seen = Set<SocketKey>()
        for servicePort in after.sorted(by: { $0.name < $1.name }) {
            for address in servicePort.listenAddresses where seen.insert(address.socketKey).inserted {
                let listener = Listener(address: address, target: .servicePort(servicePort.name))
                if oldSockets.contains(address.socketKey) { kept.append(listener) } else { opened.append(listener) }
            }
        }
        // The Ingress and DNS listeners stay (canDiff), and are named so that the engine
        // hands them their routes again: a few, and the DNS route carries the zone.
        for (address, target) in Self.listeners(of: ProxyPlan(servicePorts: [], ingress: new.ingress, dns: new.dns))
        where seen.insert(address.socketKey).inserted {
            kept.append(Listener(address: address, target: target))
        }
        self.opened = opened
        self.kept = kept
        closed = oldSockets.filter { !seen.contains($0) }.sorted()
        isPartial = true
        ingressChanged = old.ingress?.withoutAddresses != new.ingress?.withoutAddresses
        dnsChanged = old.dns != new.dns
        egressChanged = old.egress != new.egress

        var newRoutes = Set<ServicePortName>()
        var keptRoutes = Set<ServicePortName>()
        var removedEndpoints: [ServicePortName: Set<Endpoint>] = [:]
        for servicePort in after {
            guard let previous = oldPorts[servicePort.name] else {
                newRoutes.insert(servicePort.name)
                continue
            }
            if previous.routesLike(servicePort) { keptRoutes.insert(servicePort.name) } else { newRoutes.insert(servicePort.name) }
            let gone = Set(previous.reachableEndpoints).subtracting(servicePort.reachableEndpoints)
            if !gone.isEmpty { removedEndpoints[servicePort.name] = gone }
        }
        self.newRoutes = newRoutes
        self.keptRoutes = keptRoutes
        self.removedEndpoints = removedEndpoints
        removedServicePorts = Set(oldPorts.keys).subtracting(after.map(\.name))

        // An address the touched Services take or leave may still be another Service's.
        let wasServed = Self.serviceAddresses(of: ProxyPlan(servicePorts: before))
        let isServed = Self.serviceAddresses(of: ProxyPlan(servicePorts: after))
        let candidates = wasServed.symmetricDifference(isServed)
        let elsewhere = candidates.isEmpty ? [] : Self.serviceAddresses(of: ProxyPlan(servicePorts: new.servicePorts.filter {
            !services.contains($0.name.service)
        })).intersection(candidates)
        addedServiceAddresses = isServed.subtracting(wasServed).subtracting(elsewhere)
        removedServiceAddresses = wasServed.subtracting(isServed).subtracting(elsewhere)
    }
}
