// A relayed connection: the accepted client socket, the backend socket, and one Flow per
// direction. Its life is short and linear: connecting (possibly through several endpoints)
// → established → closed. Half-close is not a state but a flag per flow, as in HAProxy.
import LinuxIO
import ServiceConfig

final class Connection {
    enum State {
        /// A non-blocking connect to attempt `attempt` is in flight until `deadline`.
        case connecting(deadline: UInt64)
        case established
    }

    enum Side {
        case client
        case backend
    }

    let slot: UInt32
    let client: FileDescriptor
    /// Replaced (and the old one closed) when a connect attempt fails and the next starts.
    var backend: FileDescriptor
    let clientAddress: SocketAddress?
    let route: ServicePortRoute
    /// Where round-robin put this connection; retries walk on from here.
    let startIndex: Int
    var attempt = 0
    var state: State = .connecting(deadline: 0)
    /// This worker's counters for the endpoint of the current attempt. Unowned: the route,
    /// which the connection holds, keeps them alive, and the data path then pays no
    /// reference counting for them.
    unowned(unsafe) var counters: EndpointCounters
    /// Set by the worker's `close`: nothing may touch the connection afterwards.
    var isClosed = false
    /// Monotonic nanoseconds, for the access log's duration; 0 when there is no access log,
    /// which spares every connection a clock read.
    let acceptedAt: UInt64

    /// Client → backend.
    var upstream = Flow()
    /// Backend → client.
    var downstream = Flow()

    /// Registration tags (see EventToken) and what each socket is registered for; an
    /// empty set means the socket is not in the epoll set at all.
    var clientTag: UInt32 = 0
    var backendTag: UInt32 = 0
    var clientInterest: EpollEvents = []
    var backendInterest: EpollEvents = []

    /// Set at accept when a policy or affinity narrowed the endpoints (RouteRules.swift).
    var candidates: [Int]?
    /// The client's address, kept only for session affinity.
    var affinityClient: IPBits?
    /// The limits this connection counts against (ConnectionLimits.swift).
    var limitTokens: LimitTokens = []
    /// Idle and half-close timeouts (Worker+Timeouts.swift), in monotonic nanoseconds;
    /// zero means none or not armed.
    var idleLimit: UInt64 = 0
    var lastActivity: UInt64 = 0
    var activityDeadline: UInt64 = 0

    init(slot: UInt32, client: consuming FileDescriptor, clientAddress: SocketAddress?, backend: consuming FileDescriptor,
         route: ServicePortRoute, startIndex: Int, counters: EndpointCounters, acceptedAt: UInt64) {
        self.slot = slot
        self.client = client
        self.clientAddress = clientAddress
        self.backend = backend
        self.route = route
        self.startIndex = startIndex
        self.counters = counters
        self.acceptedAt = acceptedAt
    }

    var endpoint: EndpointTarget { route.endpoint(start: startIndex, attempt: attempt, candidates: candidates) }

    /// What each socket must be watched for, derived from the flows alone.
    func wantedEvents(_ side: Side) -> EpollEvents {
        if case .connecting = state {
            return side == .backend ? .writable : []
        }
        var wanted: EpollEvents = []
        switch side {
        case .client:
            if upstream.wantsRead { wanted.insert(.readable) }
            if downstream.wantsWrite { wanted.insert(.writable) }
        case .backend:
            if downstream.wantsRead { wanted.insert(.readable) }
            if upstream.wantsWrite { wanted.insert(.writable) }
        }
        return wanted
    }
}
