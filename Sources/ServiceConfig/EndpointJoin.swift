// Which endpoints a service port has, from whichever source Kubernetes would use:
// - a Service with a selector, when the configuration's files hold Pods, takes the Pods of its
//   namespace whose labels match, each at the number its named targetPort has in that
//   Pod (a Pod without that port name is left out), with the conditions the EndpointSlice
//   controller gives them;
// - otherwise its EndpointSlices (joined by the `kubernetes.io/service-name` label, ports
//   matched by name, conditions defaulted as the API documents), as kube-proxy reads them;
// - otherwise its Endpoints object (only `addresses`; `notReadyAddresses` never serve).
// Ready endpoints are kept, and so are those not ready but serving while they terminate:
// EndpointCategories.swift sends traffic to these only when no ready one is left.
// Each endpoint keeps the node it is on where its source names one (`spec.nodeName`,
// `endpoints[].nodeName`, `addresses[].nodeName`): the traffic policies send some traffic
// only to this node's endpoints; and the pod it is, where its source names one (the Pod
// itself, `targetRef`): NetworkPolicy applies per pod (EndpointPods.swift).

extension ConfigObjects {
    /// Pods that Services' selectors take: the files' (Pod.joinsSelectors).
    var hasSelectorPods: Bool { pods.contains(where: \.joinsSelectors) }
}

/// An endpoint, the node it is on and the pod it is, as far as its source says.
struct LocatedEndpoint: Hashable {
    let endpoint: Endpoint
    let nodeName: String?
    let pod: PodReference
    /// False for one that is serving and terminating but not ready.
    var ready = true
    /// Its source says it is terminating (a ready one may be, under
    /// `publishNotReadyAddresses`).
    var terminating = false
}

struct EndpointJoin {
    let endpointsByKey: [ObjectKey: Endpoints]
    let slicesByService: [ObjectKey: [EndpointSlice]]
    let podsByNamespace: [String: [Pod]]
    let hasPods: Bool
    private(set) var notes: [String] = []

    init(objects: ConfigObjects) {
        endpointsByKey = Dictionary(objects.endpoints.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        var slices: [ObjectKey: [EndpointSlice]] = [:]
        for slice in objects.endpointSlices {
            guard let service = slice.serviceName else {
                notes.append("\(slice.source.location): \(slice.label) has no \(EndpointSlice.serviceNameLabel) label: it belongs to no service")
                continue
            }
            slices[ObjectKey(namespace: slice.key.namespace, name: service), default: []].append(slice)
        }
        slicesByService = slices
        let selectable = objects.pods.filter(\.joinsSelectors)
        podsByNamespace = Dictionary(grouping: selectable, by: \.key.namespace)
        hasPods = !selectable.isEmpty
    }

    /// The ready endpoints of `port`, in a stable order, without repeats. `families` are
    /// the service's ClusterIP families, which choose among a dual-stack Pod's IPs.
    func endpoints(for service: Service, port: ServicePort, families: [IPAddress.Family]) -> [Endpoint] {
        located(for: service, port: port, families: families).filter(\.ready).map(\.endpoint)
    }

    /// The ready and the serving-terminating endpoints of `port`, each with its node. An
    /// endpoint written twice keeps its first place and its first appearance that is not
    /// terminating: the Pod now using a reused IP (kube-proxy keeps whichever it meets
    /// first, in map order).
    func located(for service: Service, port: ServicePort, families: [IPAddress.Family]) -> [LocatedEndpoint] {
        let found: [LocatedEndpoint]
        if let selector = service.selector, hasPods {
            found = fromPods(selector: selector, service: service, port: port, families: families)
        } else if let slices = slicesByService[service.key] {
            found = slices.flatMap { fromSlice($0, port: port) }
        } else if let endpoints = endpointsByKey[service.key] {
            found = fromEndpoints(endpoints, port: port)
        } else {
            found = []
        }
        var kept: [LocatedEndpoint] = []
        var places: [Endpoint: Int] = [:]
        for endpoint in found {
            if let place = places[endpoint.endpoint] {
                if kept[place].terminating, !endpoint.terminating { kept[place] = endpoint }
            } else {
                places[endpoint.endpoint] = kept.count
                kept.append(endpoint)
            }
        }
        return kept
    }

    /// Whether `pod` is a ready endpoint of a service with `selector`.
    static func selects(_ selector: [String: String], _ pod: Pod, publishNotReady: Bool) -> Bool {
        selector.allSatisfy({ pod.labels[$0.key] == $0.value }) && pod.isReadyEndpoint(publishNotReady: publishNotReady)
    }

    private func fromPods(selector: [String: String], service: Service, port: ServicePort,
                          families: [IPAddress.Family]) -> [LocatedEndpoint] {
        (podsByNamespace[service.key.namespace] ?? []).flatMap { pod -> [LocatedEndpoint] in
            guard selector.allSatisfy({ pod.labels[$0.key] == $0.value }) else { return [] }
            let ready = pod.isReadyEndpoint(publishNotReady: service.publishNotReadyAddresses)
            guard ready || pod.isServingTerminating else { return [] }
            let number: Int?
            switch port.resolvedTargetPort {
            case .int(let value): number = value
            case .string(let name):
                number = pod.ports.first { $0.name == name && $0.protocol == port.protocol }?.containerPort
            }
            guard let number else { return [] }
            let wanted = families.isEmpty ? Array(Set(pod.ips.map(\.family))) : families
            let ips = wanted.compactMap { family in pod.ips.first { $0.family == family } }
            return ips.map {
                LocatedEndpoint(endpoint: Endpoint(ip: $0, port: number), nodeName: pod.nodeName, pod: .named(pod.key), ready: ready,
                                terminating: pod.deleting)
            }
        }
    }

    private func fromSlice(_ slice: EndpointSlice, port: ServicePort) -> [LocatedEndpoint] {
        guard slice.addressType == "IPv4" || slice.addressType == "IPv6",
              let match = slice.ports.first(where: { $0.name == port.name && $0.protocol == port.protocol }) else { return [] }
        return slice.endpoints.filter { $0.ready || ($0.serving && $0.terminating) }.flatMap { endpoint in
            endpoint.addresses.compactMap(IPAddress.init).map {
                LocatedEndpoint(endpoint: Endpoint(ip: $0, port: match.port), nodeName: endpoint.nodeName, pod: endpoint.pod,
                                ready: endpoint.ready, terminating: endpoint.terminating)
            }
        }
    }

    private func fromEndpoints(_ endpoints: Endpoints, port: ServicePort) -> [LocatedEndpoint] {
        endpoints.subsets.flatMap { subset -> [LocatedEndpoint] in
            guard let match = subset.ports.first(where: { $0.name == port.name && $0.protocol == port.protocol }) else { return [] }
            return subset.addresses.enumerated().map { index, ip in
                LocatedEndpoint(endpoint: Endpoint(ip: ip, port: match.port), nodeName: subset.nodeNames[ip],
                                pod: subset.addressPods.isEmpty ? .unnamed : subset.addressPods[index])
            }
        }
    }
}
