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
        guard checked.loadErrors.isEmpty, checked.objectErrors.isEmpty,
              var touched = touchedServices(by: changes, objects: objects),
              Validation.validateUniqueness(objects).isEmpty else { return nil }
        let tls = IngressTLSValidation(objects: objects, settings: effective, origin: origin)
        var allocator = Allocator(settings: effective, previous: previous)
        allocator.allocate(checked.validServices)
        guard tls.errors.isEmpty, allocator.errors.isEmpty else { return nil }
        touched.formUnion(Self.reallocated(from: allocations, to: allocator.result))

        var builder = PlanBuilder(objects: objects, settings: effective, allocations: allocator.result, origin: origin,
                                  certificates: tls.contents.certificates)
        let join = EndpointJoin(objects: objects)
        let resolver = IngressResolver(objects: objects)
        lastRebuilt = touched.count
        lastTouched = touched
        guard rebuild(touched, changes: changes, builder: builder, join: join, resolver: resolver) else { return nil }

        builder.owners = owners
        builder.notes = join.notes + sortedKeys.compactMap { parts[$0] }.flatMap(\.notes)
        let servicePorts = sortedKeys.compactMap { parts[$0] }.flatMap(\.ports)
        let plan = builder.finish(servicePorts: servicePorts, join: join, services: objects.services)
        guard builder.errors.isEmpty else { return nil }
        self.previous = previous
        allocations = allocator.result
        hadPods = !objects.pods.isEmpty
        hadPolicies = !objects.networkPolicies.isEmpty
        return LoadedPlan(plan: plan, notes: objects.skipped + allocator.notes + builder.notes, settings: effective,
                          allocations: allocator.result)
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
