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
// it drops the Pods with it.
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
    public mutating func update(networkPolicies: Int, running: Set<APIResource>) -> [Change] {
        let wanted = Self.wanted(networkPolicies: networkPolicies)
        let changes = wanted.filter { !running.contains($0) }.map(Change.start)
            + Self.all.filter { running.contains($0) && !wanted.contains($0) }.map(Change.stop)
        for change in changes {
            switch change {
            case .start(let resource), .stop(let resource): listed.remove(resource)
            }
        }
        watching = wanted
        return changes
    }

    /// `resource` was listed whole; a kind no longer watched is ignored (its list was late).
    public mutating func listed(_ resource: APIResource) {
        if watching.contains(resource) { listed.insert(resource) }
    }

    /// Every watched kind has been listed: a plan may be made.
    public var complete: Bool { waitingFor.isEmpty }

    /// The watched kinds not yet listed, in listing order.
    public var waitingFor: [APIResource] { watching.filter { !listed.contains($0) } }
}
