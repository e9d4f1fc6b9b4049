// Which kinds the API source watches, and whether what it has gathered may be planned. Most
// kinds are watched from start to stop; Pods only while the configuration holds at least one
// NetworkPolicy, the one thing that needs them (a Service's endpoints come from its
// EndpointSlices): a cluster's pods are many and large, and a node without policies does not
// pay for them. The first NetworkPolicy starts the Pods' watch, the last one stops it.
//
// A plan is made only from kinds that are all listed: the apply that would first enforce a
// policy waits for the Pods' first list (with every change gathered meanwhile), so that no
// plan enforces a policy against pods it does not know yet (endpoints of unknown pods would
// admit everyone, peers of unknown pods would be no one). Until that list, the running plan,
// made without the policy, serves. The apply that drops the last policy waits for nothing:
// it drops the Pods with it. The wait is bounded (lateListGrace): a Pods list that does not
// come (a ClusterRole without pods answers 403 for ever) must not freeze every Service's
// changes, so past it plans are made again, enforcing the policies against the pods known,
// while /healthz keeps saying which list is missing.
//
// A value with no I/O: the daemon feeds it the store's count of NetworkPolicies and each
// first list, and carries out the starts and stops it returns.

public struct APIWatchSet: Sendable, Equatable {
    public enum Change: Sendable, Equatable {
        case start(APIResource)
        /// Stop the watch, and drop the kind's objects from the store.
        case stop(APIResource)
    }

    /// The kinds watched now, in listing order.
    public private(set) var watching: [APIResource] = APIResource.watched
    /// The kinds listed whole since their watch started.
    public private(set) var listed: Set<APIResource> = []
    /// When each kind started after the first ones (the Pods) began its watch, until listed.
    public private(set) var startedAt: [APIResource: UInt64] = [:]

    /// How long plans wait for the first list of a kind started later (nanoseconds).
    public static let lateListGrace: UInt64 = 30_000_000_000

    /// Every kind the API source may watch, in listing order.
    public static let all: [APIResource] = APIResource.watched + [.pods]

    public init() {}

    /// The kinds to watch when the configuration holds `networkPolicies` NetworkPolicies
    /// (from files and the API together).
    public static func wanted(networkPolicies: Int) -> [APIResource] {
        networkPolicies > 0 ? all : APIResource.watched
    }

    /// What to start and stop so that the kinds `running` become those `networkPolicies`
    /// NetworkPolicies need; a kind that failed to start is still missing from `running` and
    /// is started again at the next update. A kind started or stopped is not listed until a
    /// new watch of it lists it.
    public mutating func update(networkPolicies: Int, running: Set<APIResource>, now: UInt64) -> [Change] {
        let wanted = Self.wanted(networkPolicies: networkPolicies)
        let changes = wanted.filter { !running.contains($0) }.map(Change.start)
            + Self.all.filter { running.contains($0) && !wanted.contains($0) }.map(Change.stop)
        for change in changes {
            switch change {
            case .start(let resource):
                listed.remove(resource)
                // A start tried again after a failure keeps the first one's time: the wait is
                // bounded from when the kind was first wanted.
                if !APIResource.watched.contains(resource), startedAt[resource] == nil { startedAt[resource] = now }
            case .stop(let resource):
                listed.remove(resource)
                startedAt[resource] = nil
            }
        }
        watching = wanted
        return changes
    }

    /// `resource` was listed whole; a kind no longer watched is ignored (its list was late).
    public mutating func listed(_ resource: APIResource) {
        if watching.contains(resource) {
            listed.insert(resource)
            startedAt[resource] = nil
        }
    }

    /// A plan may be made: every watched kind is listed, or the only ones missing started
    /// later and have been awaited for lateListGrace.
    public func mayPlan(now: UInt64) -> Bool {
        waitingFor.allSatisfy { resource in startedAt[resource].map { now >= $0 + Self.lateListGrace } ?? false }
    }

    /// When the wait for a late kind's list ends, if plans are waiting for one.
    public func lateListDeadline(now: UInt64) -> UInt64? {
        waitingFor.compactMap { startedAt[$0].map { $0 + Self.lateListGrace } }.filter { $0 > now }.min()
    }

    /// Every watched kind has been listed: a plan may be made.
    public var complete: Bool { waitingFor.isEmpty }

    /// The watched kinds not yet listed, in listing order.
    public var waitingFor: [APIResource] { watching.filter { !listed.contains($0) } }
}
