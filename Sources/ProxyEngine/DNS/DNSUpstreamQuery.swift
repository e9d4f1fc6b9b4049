// One attempt at asking an upstream nameserver: over UDP from a socket of its own (so the
// kernel picks a random source port, and only that upstream can answer it, with a random
// transaction ID to match), or over TCP after a truncated answer. A timeout or a failure
// moves on to the next upstream with a new attempt; the last one failing answers SERVFAIL.
import LinuxIO

final class DNSUpstreamQuery: SlotOccupant {
    let slot: UInt32
    let tag: UInt32
    let socket: FileDescriptor
    let request: DNSUpstreamRequest
    let reply: DNSReplyTarget
    let service: DNSService
    /// Which of the service's upstreams this attempt asks.
    let upstreamIndex: Int
    let overTCP: Bool
    let id: UInt16
    /// When the client's query arrived (for the forwarding latency).
    let started: UInt64
    let deadline: UInt64
    /// TCP: the length-prefixed query still to write, then the answer as it arrives.
    var outgoing: [UInt8] = []
    var written = 0
    var incoming: [UInt8] = []
    var connected = false

    init(slot: UInt32, tag: UInt32, socket: consuming FileDescriptor, request: DNSUpstreamRequest, reply: DNSReplyTarget,
         service: DNSService, upstreamIndex: Int, overTCP: Bool, id: UInt16, started: UInt64, deadline: UInt64) {
        self.slot = slot
        self.tag = tag
        self.socket = socket
        self.request = request
        self.reply = reply
        self.service = service
        self.upstreamIndex = upstreamIndex
        self.overTCP = overTCP
        self.id = id
        self.started = started
        self.deadline = deadline
    }

    var token: EventToken { EventToken(kind: .dnsUpstream, slot: slot, generation: tag) }

    /// A complete TCP answer in `incoming`, without its length prefix, if one has arrived.
    var tcpAnswer: ArraySlice<UInt8>? {
        guard incoming.count >= 2 else { return nil }
        let length = Int(incoming[0]) << 8 | Int(incoming[1])
        return incoming.count >= 2 + length ? incoming[2..<(2 + length)] : nil
    }
}

extension Array where Element == UInt8 {
    /// Appends `message` after the two-byte length that frames a DNS message on TCP
    /// (RFC 1035 4.2.2): for queries upstream and answers to clients alike.
    mutating func appendTCPFramed<Message: Collection<UInt8>>(_ message: Message) {
        append(UInt8(truncatingIfNeeded: message.count >> 8))
        append(UInt8(truncatingIfNeeded: message.count))
        append(contentsOf: message)
    }
}
