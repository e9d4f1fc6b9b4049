// What an epoll registration carries: which handler's descriptor it is, which slot of that
// handler's table, and the slot's generation. A connection slot is reused after close; an
// event still queued for its old descriptor carries the old generation and is dropped
// (SwiftNIO puts a registration id in epoll_event.data for the same reason).

struct EventToken: Equatable {
    /// Who handles the event. Four bits: room for the protocols still to come.
    enum Kind: UInt64 {
        case wakeup = 0
        case listener = 1
        /// The accepted side of a relayed TCP connection.
        case tcpClient = 2
        /// The endpoint side of a relayed TCP connection.
        case tcpBackend = 3
        /// A client connection of the Ingress proxy.
        case httpClient = 4
        /// A connection of the Ingress proxy to an endpoint, busy or pooled.
        case httpUpstream = 5
        /// A UDP flow's socket connected to its endpoint.
        case udpFlow = 6
        /// A TCP client of the cluster DNS.
        case dnsClient = 7
        /// A query of the cluster DNS to an upstream nameserver.
        case dnsUpstream = 8
    }

    let kind: Kind
    let slot: UInt32
    let generation: UInt32

    init(kind: Kind, slot: UInt32, generation: UInt32) {
        self.kind = kind
        self.slot = slot
        self.generation = generation & Self.generationMask
    }

    /// Bits 60–63 kind, 32–59 generation, 0–31 slot.
    var rawValue: UInt64 {
        kind.rawValue << 60 | UInt64(generation) << 32 | UInt64(slot)
    }

    init(rawValue: UInt64) {
        kind = Kind(rawValue: rawValue >> 60) ?? .wakeup
        generation = UInt32(truncatingIfNeeded: rawValue >> 32) & Self.generationMask
        slot = UInt32(truncatingIfNeeded: rawValue)
    }

    static let generationMask: UInt32 = (1 << 28) - 1
}
