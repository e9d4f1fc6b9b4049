// A UDP flow: one client address and port talking to one service address and port, and
// the connected socket that carries its datagrams to the endpoint its first datagram chose.
// Flows sit in a list from longest idle to most recent, so that the flow to evict when the
// table is full, and the next to time out, are found without a search.
import LinuxIO
import ServiceConfig

/// What identifies a flow: the listener (one service address and port) and the client.
struct FlowKey: Hashable {
    let listener: UInt32
    let client: SocketAddress.Key
}

final class UDPFlow: SlotOccupant {
    let slot: UInt32
    let tag: UInt32
    let key: FlowKey
    /// Connected to the endpoint: replies come in here, and its ICMP errors too.
    let socket: FileDescriptor
    /// The listener the client sent to: replies go out through it, so they come from the
    /// address the client sent to.
    let listener: WorkerListener
    let client: SocketAddress
    let route: ServicePortRoute
    let choice: EndpointChoice
    let target: EndpointTarget
    /// The flow's silence limit, in nanoseconds.
    let timeout: UInt64
    let createdAt: UInt64
    var lastActivity: UInt64
    /// The deadline a timer is armed for (0: none).
    var timerDeadline: UInt64 = 0
    var datagramsIn: UInt64 = 0
    var datagramsOut: UInt64 = 0
    var bytesIn: UInt64 = 0
    var bytesOut: UInt64 = 0
    /// Neighbours in the idle order.
    var older: UDPFlow?
    weak var newer: UDPFlow?

    init(slot: UInt32, tag: UInt32, key: FlowKey, socket: consuming FileDescriptor, listener: WorkerListener, client: SocketAddress,
         route: ServicePortRoute, choice: EndpointChoice, target: EndpointTarget, timeout: UInt64, now: UInt64) {
        self.slot = slot
        self.tag = tag
        self.key = key
        self.socket = socket
        self.listener = listener
        self.client = client
        self.route = route
        self.choice = choice
        self.target = target
        self.timeout = timeout
        createdAt = now
        lastActivity = now
    }
}

/// The flows of a worker from longest idle (`oldest`) to most recently active (`newest`).
struct FlowIdleOrder {
    private(set) var oldest: UDPFlow?
    private weak var newest: UDPFlow?

    /// Puts `flow` (new, or just active) at the recent end.
    mutating func touch(_ flow: UDPFlow) {
        if newest === flow { return }
        remove(flow)
        flow.older = newest
        newest?.newer = flow
        newest = flow
        if oldest == nil { oldest = flow }
    }

    mutating func remove(_ flow: UDPFlow) {
        let older = flow.older, newer = flow.newer
        if oldest === flow { oldest = newer }
        if newest === flow { newest = older }
        older?.newer = newer
        newer?.older = older
        flow.older = nil
        flow.newer = nil
    }
}
