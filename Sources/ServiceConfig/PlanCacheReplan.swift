// The incremental plan: the checks that span objects over all of them, then the parts of
// the touched Services rebuilt and every other part reused (PlanCache.swift says which
// Services a change touches). Whenever the result could differ from a full plan's (an
// error, two service ports on one socket), it gives up and the caller plans in full,
// which also words the errors.

extension PlanCache {
    /// The plan of `checked`, which differ from this cache's objects by `changes`; nil
    /// when only a full plan can say. On success the cache holds the new plan's parts.
    mutating func replan(checked: CheckedObjects, changes: ObjectChanges, previous: Allocations?) -> LoadedPlan? {
        let objects = checked.objects
        let resolver = IngressResolver(objects: objects)
        guard checked.loadErrors.isEmpty, checked.objectErrors.isEmpty,
              var touched = touchedServices(by: changes, objects: objects, policies: resolver),
              Self.keysStayUnique(added: changes.added, among: objects) else { return nil }
        let tls = IngressTLSValidation(objects: objects, settings: effective, origin: origin)
        guard tls.errors.isEmpty, let allocated = allocate(checked.validServices, changes: changes, previous: previous) else { return nil }
        // LoadBalancer addresses depend on every listener of the node: assigned in full.
        var balancers = LoadBalancerAssignment(settings: effective, previous: previous, allocations: allocated.result)
        balancers.reserved = LoadBalancerAssignment.nodeListeners(objects: objects, settings: effective)
        balancers.assign(checked.validServices)
        var newAllocations = allocated.result
        newAllocations.loadBalancerIPs = balancers.allocated
        touched.formUnion(Self.reallocated(from: allocations, to: newAllocations))
        touched.formUnion(Self.reassigned(from: loadBalancers, to: balancers.result))

        var builder = PlanBuilder(objects: objects, settings: effective, allocations: newAllocations, origin: origin,
                                  certificates: tls.contents.certificates, loadBalancers: balancers.result)
        let join = EndpointJoin(objects: objects)
        lastRebuilt = touched.count
        lastTouched = touched
        guard rebuild(touched, changes: changes, builder: builder, join: join, resolver: resolver) else { return nil }

        builder.owners = owners
        builder.notes = join.notes
        var servicePorts: [ServicePortPlan] = []
        var healthChecks: [HealthCheckPlan] = []
        servicePorts.reserveCapacity(sortedKeys.count + sortedKeys.count / 4)
        for key in sortedKeys {  // one look at each part: each look copies it
            guard let part = parts[key] else { continue }
            builder.notes += part.notes
            servicePorts += part.ports
            if let healthCheck = part.healthCheck { healthChecks.append(healthCheck) }
        }
        let plan = builder.finish(servicePorts: servicePorts, healthChecks: healthChecks, join: join, policies: resolver,
                                  services: objects.services)
        guard builder.errors.isEmpty else { return nil }
        self.previous = previous
        allocations = newAllocations
        allocationNotes = allocated.notes
        loadBalancers = balancers.result
        hadPods = objects.hasSelectorPods
        hadPolicies = !objects.networkPolicies.isEmpty
        return LoadedPlan(plan: plan, notes: objects.skipped + allocated.notes + balancers.notes + builder.notes, settings: effective,
                          allocations: newAllocations)
    }

    /// The ClusterIPs and NodePorts of `services`, or nil on an error. Allocation reads
    /// only the Services, the settings and `previous`: with no Service changed and the
    /// same `previous`, it is what it was; given its own result as `previous`, it finds
    /// every value remembered and allocates (and notes) nothing new.
    private func allocate(_ services: [Service], changes: ObjectChanges, previous: Allocations?)
        -> (result: Allocations, notes: [String])? {
        if changes.added.services.isEmpty, changes.removed.services.isEmpty {
            if previous == self.previous { return (allocations, allocationNotes) }
            if previous == allocations { return (allocations, []) }
        }
        var allocator = Allocator(settings: effective, previous: previous)
        allocator.allocate(services)
        return allocator.errors.isEmpty ? (allocator.result, allocator.notes) : nil
    }

    /// Whether every key is still written once of its kind, when the objects before
    /// `added` were unique: only an added object can be a second one. (Over many added
    /// objects, the whole check is quicker.)
    private static func keysStayUnique(added: ConfigObjects, among objects: ConfigObjects) -> Bool {
        func once<T>(_ new: [T], _ all: [T], _ key: (T) -> ObjectKey) -> Bool {
            new.allSatisfy { item in
                let wanted = key(item)
                var found = 0
                for other in all where key(other) == wanted {
                    found += 1
                    if found > 1 { return false }
                }
                return true
            }
        }
        let count = added.services.count + added.endpoints.count + added.endpointSlices.count + added.pods.count
            + added.networkPolicies.count + added.ingresses.count + added.secrets.count
        guard count <= 8, added.namespaces.isEmpty, added.ingressClasses.isEmpty, added.proxyConfigurations.isEmpty else {
            return Validation.validateUniqueness(objects).isEmpty
        }
        return once(added.services, objects.services, \.key) && once(added.endpoints, objects.endpoints, \.key)
            && once(added.endpointSlices, objects.endpointSlices, \.key) && once(added.pods, objects.pods, \.key)
            && once(added.networkPolicies, objects.networkPolicies, \.key) && once(added.ingresses, objects.ingresses, \.key)
            && once(added.secrets, objects.secrets, \.key)
    }

    /// Replaces the parts of `touched` Services (dropping those whose Service is gone);
    /// false when a new part would listen where another service port does.
    private mutating func rebuild(_ touched: Set<ObjectKey>, changes: ObjectChanges, builder: PlanBuilder, join: EndpointJoin,
                                  resolver: IngressResolver) -> Bool {
        let added = Dictionary(changes.added.services.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let removed = Set(changes.removed.services.map(\.key))
        var services: [Service] = []
        var keysChanged = false
        for key in touched {
            let old = parts.removeValue(forKey: key)
            for claim in old?.claims ?? [] {
                for address in claim.addresses where owners[address.socketKey]?.name == claim.claim.name {
                    owners[address.socketKey] = nil
                }
            }
            // The Service as now written: new, or as it was when only its endpoints changed.
            let service = added[key] ?? (removed.contains(key) ? nil : old?.service)
            if let service { services.append(service) }
            keysChanged = keysChanged || (old == nil) != (service == nil)  // a Service come or gone
        }
        for service in services {
            let part = builder.part(for: service, join: join, ingress: resolver)
            for claim in part.claims {
                for address in claim.addresses {
                    if let owner = owners[address.socketKey], owner.name != claim.claim.name { return false }
                    owners[address.socketKey] = claim.claim
                }
            }
            parts[service.key] = part
        }
        if keysChanged { sortedKeys = parts.keys.sorted() }
        return true
    }
}
