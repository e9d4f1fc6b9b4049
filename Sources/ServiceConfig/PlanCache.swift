// Each Service's part of the last plan, kept so that the next plan rebuilds only the parts
// of the Services a change touched. A change is a set of objects dropped and added
// (ObjectChanges: a file's changed documents now, an API watch event later); a Service's
// part depends on the Service, its Endpoints and EndpointSlices (by service name), its
// endpoints' pods (the Pods its selector picks, those a `targetRef` names, those at an
// endpoint's address), the ingress NetworkPolicies that isolate those pods and the pods
// their selectors admit, and its ClusterIPs and NodePorts. What spans all objects
// (uniqueness, allocation, the Ingress routing, the DNS names, the pods' egress) is still
// worked out over all of them, which is cheap next to the parts; anything the cache cannot
// follow (node settings, Namespaces' labels, Pods or NetworkPolicies coming or going
// altogether, any error) makes a full plan, so the result is always the one a full plan gives (PlanCacheTests
// prove it over random edits).

struct PlanCache {
    /// What the plan was made with: a later plan with other inputs is made in full.
    let settings: NodeSettings
    let overrides: NodeSettingsOverrides
    /// The settings in effect (with the ProxyConfiguration and flags) and where they came from.
    let effective: NodeSettings
    let origin: SettingsOrigin
    /// The store's load this cache follows; the changes of the next load apply to it.
    var generation: Int
    var previous: Allocations?
    var allocations: Allocations
    /// What allocating `allocations` from `previous` noted (ClusterIPs and NodePorts).
    var allocationNotes: [String]
    /// The LoadBalancer Services' addresses and states.
    var loadBalancers: LoadBalancerAssignments
    var parts: [ObjectKey: ServicePlanPart]
    var sortedKeys: [ObjectKey]
    var owners: [SocketKey: ListenClaim]
    /// The configuration held Pods that Services' selectors take (ConfigObjects.hasSelectorPods).
    var hadPods: Bool
    /// Endpoints are resolved to pods only while NetworkPolicies exist (IngressResolver).
    var hadPolicies: Bool
    /// How many Services' parts the last plan built, and which (on an incremental plan).
    var lastRebuilt = 0
    var lastTouched: Set<ObjectKey> = []

    /// Whether a plan with these inputs may start from this cache (a plan's own
    /// allocations given back as `previous` allocate the same values again).
    func accepts(settings: NodeSettings, overrides: NodeSettingsOverrides, previous: Allocations?) -> Bool {
        settings == self.settings && overrides == self.overrides && (previous == self.previous || previous == allocations)
    }

    /// The Services whose parts `changes` may change, or nil when the change reaches
    /// further than a cache can follow. `policies` are the new objects'.
    func touchedServices(by changes: ObjectChanges, objects: ConfigObjects, policies: IngressResolver) -> Set<ObjectKey>? {
        let sides = [changes.removed, changes.added]
        // Settings change every part; Namespaces' labels are what policies' namespace
        // selectors match; the first policy or the last gives every endpoint a pod or none.
        guard sides.allSatisfy({ $0.proxyConfigurations.isEmpty && $0.namespaces.isEmpty }),
              objects.networkPolicies.isEmpty != hadPolicies else { return nil }
        var touched = Set<ObjectKey>()
        for side in sides {
            touched.formUnion(side.services.map(\.key))
            touched.formUnion(side.endpoints.map(\.key))
            for slice in side.endpointSlices {
                guard let service = slice.serviceName else { return nil }  // a note of the whole plan
                touched.insert(ObjectKey(namespace: slice.key.namespace, name: service))
            }
        }
        let pods = sides.flatMap(\.pods)
        if !pods.isEmpty {
            // With Pods or without, a selector's endpoints come from elsewhere.
            guard objects.hasSelectorPods == hadPods else { return nil }
            touched.formUnion(servicesReaching(pods, policies: policies))
        }
        // A policy isolates pods of its namespace: the endpoints that are such pods.
        let policyNamespaces = Set(sides.flatMap { $0.networkPolicies.filter(\.affectsIngress).map(\.key.namespace) })
        if !policyNamespaces.isEmpty {
            for part in parts.values where part.ports.contains(where: { $0.pods.values.contains { policyNamespaces.contains($0.key.namespace) } }) {
                touched.insert(part.service.key)
            }
        }
        return touched
    }

    /// The Services whose parts changed `pods` (each as it was and as it is) may change:
    /// those whose selector may pick them (EndpointJoin), those with an endpoint that is
    /// one of them by name or by address, and those with an endpoint isolated by a policy
    /// whose selectors may admit one of them.
    private func servicesReaching(_ pods: [Pod], policies: IngressResolver) -> Set<ObjectKey> {
        let namespaces = Set(pods.filter(\.joinsSelectors).map(\.key.namespace))
        let keys = Set(pods.map(\.key))
        let addresses = Set(pods.flatMap(\.ips))
        var admitting: [ObjectKey: Bool] = [:]
        func mayAdmit(_ policy: ObjectKey) -> Bool {
            if let known = admitting[policy] { return known }
            let found = policies.admitsAnyOf(pods, policy: policy)
            admitting[policy] = found
            return found
        }
        var touched = Set<ObjectKey>()
        for part in parts.values {
            let service = part.service
            if service.selector != nil, namespaces.contains(service.key.namespace) {
                touched.insert(service.key)
                continue
            }
            let reached = part.ports.contains { port in
                port.reachableEndpoints.contains { addresses.contains($0.ip) } || port.pods.values.contains { keys.contains($0.key) }
                    || port.ingress.values.contains { $0.policies.contains(where: mayAdmit) }
            }
            if reached { touched.insert(service.key) }
        }
        return touched
    }

    /// The LoadBalancer Services whose assignment differs between `old` and `new`.
    static func reassigned(from old: LoadBalancerAssignments, to new: LoadBalancerAssignments) -> Set<ObjectKey> {
        guard old != new else { return [] }
        let keys = Set(old.states.keys).union(new.states.keys)
        return keys.filter { old.states[$0] != new.states[$0] }
    }

    /// The Services whose ClusterIPs, NodePorts or health-check NodePorts differ between `old` and `new`.
    static func reallocated(from old: Allocations, to new: Allocations) -> Set<ObjectKey> {
        var keys = Set<ObjectKey>()
        if old.clusterIPs != new.clusterIPs {
            for (key, ips) in new.clusterIPs where old.clusterIPs[key] != ips { keys.insert(key) }
            for key in old.clusterIPs.keys where new.clusterIPs[key] == nil { keys.insert(key) }
        }
        if old.nodePorts != new.nodePorts {
            for (name, port) in new.nodePorts where old.nodePorts[name] != port { keys.insert(name.service) }
            for name in old.nodePorts.keys where new.nodePorts[name] == nil { keys.insert(name.service) }
        }
        if old.healthCheckNodePorts != new.healthCheckNodePorts {
            for (key, port) in new.healthCheckNodePorts where old.healthCheckNodePorts[key] != port { keys.insert(key) }
            for key in old.healthCheckNodePorts.keys where new.healthCheckNodePorts[key] == nil { keys.insert(key) }
        }
        return keys
    }
}
