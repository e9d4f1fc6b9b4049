// The API source's side of the ObjectStore: watch events and relists change its objects
// one by one, each kept under a key of its own (ObjectSourceKey.apiObject) beside the
// files' documents. Nothing is planned here: the changes wait in `pendingChanges` until the
// next load (Configuration.plan(paths:...store:)), which takes them with the files' own
// changes, so that a burst of events between two loads costs one incremental plan.

/// What applying a batch of events did.
public struct APIChangeSummary: Sendable {
    /// Objects added, replaced or deleted.
    public var changed = 0
    /// Objects left out because they failed decoding or their kind's rules: each is out of
    /// the configuration until a valid version comes.
    public var rejected: [APIObject] = []
    /// The trigger times (APIObject.lastChangeTriggerTime) of the objects put in the store.
    public var triggerTimes: [Double] = []
}

extension ObjectStore {
    /// Applies watch events in order; bookmarks and errors change nothing here.
    public func apply(_ events: [WatchEvent]) -> APIChangeSummary {
        var summary = APIChangeSummary()
        var removedPlaces: [Int] = []
        for event in events {
            switch event {
            case .changed(_, let object):
                if object.name.kind == "Service", let label = object.serviceProxyName, label != serviceProxyName {
                    // Another proxy's Service (kube-proxy's coexistence rule): as if it were not there.
                    if remove(object.name, places: &removedPlaces) { summary.changed += 1 }
                } else if !object.errors.isEmpty {
                    summary.rejected.append(object)
                    if remove(object.name, places: &removedPlaces) { summary.changed += 1 }
                } else {
                    put(object)
                    summary.changed += 1
                    if let time = object.lastChangeTriggerTime { summary.triggerTimes.append(time) }
                }
            case .deleted(let name, _):
                if remove(name, places: &removedPlaces) { summary.changed += 1 }
            case .bookmark, .error:
                break
            }
        }
        compact(removing: removedPlaces)
        return summary
    }

    /// Replaces every object of `resource` with `items`, a complete list: those not listed
    /// are deleted, those listed at the version already held are left as they are.
    public func replaceAll(of resource: APIResource, with items: [APIObject]) -> APIChangeSummary {
        var events: [WatchEvent] = []
        var listed = Set<APIObjectName>()
        for item in items {
            listed.insert(item.name)
            if let held = apiObjects[item.name], held.resourceVersion == item.resourceVersion, !item.resourceVersion.isEmpty { continue }
            events.append(.changed(.modified, item))
        }
        for name in apiObjects.keys where name.kind == resource.kind && !listed.contains(name) {
            events.append(.deleted(name, resourceVersion: ""))
        }
        return apply(events)
    }

    /// How many objects the API source holds.
    public var apiObjectCount: Int { apiObjects.count }

    /// How many objects of `kind` the API source holds.
    public func apiObjectCount(of kind: String) -> Int { apiCounts[kind] ?? 0 }

    /// The NetworkPolicies of the configuration: the API's now, the files' at the last load.
    public var networkPolicyCount: Int { fileNetworkPolicies + apiObjectCount(of: "NetworkPolicy") }

    private func put(_ object: APIObject) {
        revision += 1
        let key = ObjectSourceKey.apiObject(object.name, revision: revision)
        if let held = apiObjects[object.name] {
            if let old = entries.removeValue(forKey: apiOrder[held.place]) { pendingChanges.removed.append(old.objects) }
            apiOrder[held.place] = key
            apiObjects[object.name] = (held.place, object.resourceVersion)
        } else {
            apiObjects[object.name] = (apiOrder.count, object.resourceVersion)
            apiCounts[object.name.kind, default: 0] += 1
            apiOrder.append(key)
            apiNames.append(object.name)
        }
        entries[key] = object.checked
        pendingChanges.added.append(object.checked.objects)
    }

    /// Drops `name`'s object; its place is freed by `compact` once the batch is applied.
    private func remove(_ name: APIObjectName, places: inout [Int]) -> Bool {
        guard let held = apiObjects.removeValue(forKey: name) else { return false }
        apiCounts[name.kind, default: 1] -= 1
        if let old = entries.removeValue(forKey: apiOrder[held.place]) { pendingChanges.removed.append(old.objects) }
        places.append(held.place)
        return true
    }

    /// Closes the gaps deleted objects left, and renumbers the places after them.
    private func compact(removing places: [Int]) {
        guard !places.isEmpty else { return }
        let gone = Set(places)
        let kept = apiOrder.indices.filter { !gone.contains($0) }
        apiOrder = kept.map { apiOrder[$0] }
        apiNames = kept.map { apiNames[$0] }
        for (place, name) in apiNames.enumerated() { apiObjects[name]?.place = place }
    }
}
