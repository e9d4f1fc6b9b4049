// A relayed connection: the accepted client socket, the endpoint socket, where it may go
// (its route and choice), its state machine (RelayMachine), and the worker's bookkeeping
// for it: registration tags, epoll interest and activity deadlines.
import LinuxIO
import ServiceConfig

final class Connection: SlotOccupant {
    // Properties are declared widest first, so that padding does not grow every open
    // connection (the idle-connection figure of `make bench`).
    let route: ServicePortRoute
    /// This worker's counters for the endpoint of the current attempt. Unowned: the route,
    /// which the connection holds, keeps them alive, and the data path then pays no
    /// reference counting for them.
    unowned(unsafe) var counters: EndpointCounters
    /// Monotonic nanoseconds, for the access log's duration; 0 when there is no access log,
    /// which spares every connection a clock read.
    let acceptedAt: UInt64
    /// The route's idle timeout in nanoseconds (zero: none), copied here because every
    /// relay step reads it.
    let idleTimeout: UInt64
    /// Idle and half-close timeouts, in monotonic nanoseconds; zero means not armed.
    var lastActivity: UInt64 = 0
    var activityDeadline: UInt64 = 0
    var machine: RelayMachine
    let choice: EndpointChoice
    let slot: UInt32
    /// Registration tags (see EventToken) and what each socket is registered for; an
    /// empty set means the socket is not in the epoll set at all.
    var clientTag: UInt32 = 0
    var backendTag: UInt32 = 0
    var clientInterest: EpollEvents = []
    var backendInterest: EpollEvents = []
    /// Waiting in the handler's list of interest changes to apply before the next poll.
    var interestQueued = false
    /// The endpoint socket has keepalive on (KeepAliveQueue), and a retry's socket gets it too.
    var keepAliveSet = false
    let client: FileDescriptor
    /// Replaced (and the old one closed) when a connect attempt fails and the next starts.
    var backend: FileDescriptor
    let clientAddress: SocketAddress?

    init(slot: UInt32, client: consuming FileDescriptor, clientAddress: SocketAddress?, backend: consuming FileDescriptor,
         route: ServicePortRoute, choice: EndpointChoice, counters: EndpointCounters, attempts: Int, acceptedAt: UInt64) {
        self.slot = slot
        self.client = client
        self.clientAddress = clientAddress
        self.backend = backend
        self.route = route
        self.choice = choice
        self.machine = RelayMachine(attempts: attempts)
        self.counters = counters
        self.acceptedAt = acceptedAt
        idleTimeout = route.rules.idleTimeout
    }

    /// The connect attempt in flight, or the one that succeeded.
    var attempt: Int { machine.attempt }

    var endpoint: EndpointTarget { route.endpoint(start: choice.start, attempt: attempt, candidates: choice.candidates) }

    /// The silence the connection may keep now, in nanoseconds; zero means no limit.
    var silenceLimit: UInt64 {
        let idle = idleTimeout
        guard machine.isHalfClosed else { return idle }
        let halfClose = route.rules.halfCloseTimeout
        if idle == 0 { return halfClose }
        return halfClose == 0 ? idle : min(idle, halfClose)
    }
}
