// The cluster DNS's view of the configuration: every Service by name, and for a headless
// one its endpoints' addresses with their hostnames, from the same sources (and in the
// same order of preference) as EndpointJoin takes endpoints from. The endpoints
// controller names an address the way this does: `hostname` of an Endpoints address or
// EndpointSlice endpoint, or a selected Pod's `spec.hostname` when its `spec.subdomain`
// is the Service's name.

extension EndpointJoin {
    /// What the cluster DNS answers for `services` (each key once, the first written).
    func clusterNames(of services: [Service], allocations: Allocations) -> ClusterNames {
        var seen: Set<ObjectKey> = []
        let named = services.filter { seen.insert($0.key).inserted }.map { service -> ClusterNames.Service in
            let ports = service.ports.map { ClusterNames.Port(name: $0.name, protocol: $0.protocol, number: $0.port) }
            let target: ClusterNames.Target
            if service.type == .externalName {
                let name = service.externalName
                target = .externalName(name.hasSuffix(".") ? String(name.dropLast()) : name)
            } else if service.isHeadless {
                target = .headless(headlessEndpoints(of: service))
            } else {
                target = .clusterIPs(allocations.clusterIPs[service.key] ?? [])
            }
            return ClusterNames.Service(namespace: service.key.namespace, name: service.key.name, target: target, ports: ports)
        }
        return ClusterNames(services: named)
    }

    /// A headless Service's addresses, each with its hostname and its port numbers by the
    /// Service's port names.
    private func headlessEndpoints(of service: Service) -> [ClusterNames.HeadlessEndpoint] {
        let families = service.ipFamilies.compactMap { name -> IPAddress.Family? in
            switch name {
            case "IPv4": .ipv4
            case "IPv6": .ipv6
            default: nil
            }
        }
        let addresses = PlanBuilder.uniqued(namedAddresses(of: service, families: families).filter {
            families.isEmpty || families.contains($0.ip.family)
        })
        var numbers: [IPAddress: [ClusterNames.Port]] = [:]
        for port in service.ports where !port.name.isEmpty {
            for endpoint in endpoints(for: service, port: port, families: families) {
                numbers[endpoint.ip, default: []].append(ClusterNames.Port(name: port.name, protocol: port.protocol, number: endpoint.port))
            }
        }
        var listed: Set<IPAddress> = []
        return addresses.compactMap { address -> ClusterNames.HeadlessEndpoint? in
            guard listed.insert(address.ip).inserted else { return nil }
            return ClusterNames.HeadlessEndpoint(ip: address.ip, hostname: address.hostname, ports: numbers[address.ip] ?? [])
        }
    }

    private struct NamedAddress: Hashable {
        let ip: IPAddress
        let hostname: String?
    }

    /// Every served address of the Service with its hostname, whether or not the Service
    /// has ports (a headless Service without ports still has addresses). With
    /// `publishNotReadyAddresses` the not-ready ones too: the Service asks for them to be
    /// published (a StatefulSet's peers find each other before they are ready).
    private func namedAddresses(of service: Service, families: [IPAddress.Family]) -> [NamedAddress] {
        if let selector = service.selector, hasPods {
            return (podsByNamespace[service.key.namespace] ?? []).flatMap { pod -> [NamedAddress] in
                guard Self.selects(selector, pod, publishNotReady: service.publishNotReadyAddresses) else { return [] }
                let hostname = pod.subdomain == service.key.name ? pod.hostname : nil
                let wanted = families.isEmpty ? pod.ips : families.compactMap { family in pod.ips.first { $0.family == family } }
                return wanted.map { NamedAddress(ip: $0, hostname: hostname) }
            }
        }
        if let slices = slicesByService[service.key] {
            return slices.filter { $0.addressType == "IPv4" || $0.addressType == "IPv6" }.flatMap { slice in
                slice.endpoints.filter { $0.ready || service.publishNotReadyAddresses }.flatMap { endpoint in
                    endpoint.addresses.compactMap(IPAddress.init).map { NamedAddress(ip: $0, hostname: endpoint.hostname) }
                }
            }
        }
        if let endpoints = endpointsByKey[service.key] {
            return endpoints.subsets.flatMap { subset in
                (subset.addresses + (service.publishNotReadyAddresses ? subset.notReadyAddresses : [])).map {
                    NamedAddress(ip: $0, hostname: subset.hostnames[$0])
                }
            }
        }
        return []
    }
}
