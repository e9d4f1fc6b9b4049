// A client of the cluster DNS over TCP (RFC 7766): any number of length-prefixed queries
// on one connection, answered in the order they complete; closed after 10 s without one,
// when the client closes, or on any framing error. Reading pauses while too much is
// waiting to be written or forwarded, so a client that never reads cannot grow us.
import LinuxIO

final class DNSTCPClient: SlotOccupant {
    /// Bytes of answers waiting for the client to read, before reading pauses.
    static let outgoingLimit = 256 * 1024
    /// Forwarded queries of one client in flight, before reading pauses.
    static let pendingLimit = 64

    let slot: UInt32
    let tag: UInt32
    let socket: FileDescriptor
    /// Bytes read and not yet taken as queries; `consumed` of them already were.
    var incoming: [UInt8] = []
    var consumed = 0
    var outgoing: [UInt8] = []
    var written = 0
    var interest: EpollEvents = []
    var pending = 0
    var readEnded = false
    /// Inside DNSHandler's serving loop: answers queue, the loop takes the next query.
    var serving = false
    var lastActivity: UInt64
    var timerDeadline: UInt64 = 0

    init(slot: UInt32, tag: UInt32, socket: consuming FileDescriptor, now: UInt64) {
        self.slot = slot
        self.tag = tag
        self.socket = socket
        lastActivity = now
    }

    var token: EventToken { EventToken(kind: .dnsClient, slot: slot, generation: tag) }

    var unwritten: Int { outgoing.count - written }

    /// Whether to take another query now (and read more when none is buffered).
    var wantsToRead: Bool { !readEnded && unwritten < Self.outgoingLimit && pending < Self.pendingLimit }

    /// Nothing left to do: the client has closed, and every answer is out.
    var isFinished: Bool { readEnded && pending == 0 && unwritten == 0 }

    /// The next complete query in `incoming`, if one has arrived; nil also for a zero
    /// length, which `isMalformed` reports. Up to 64 KiB of one query is buffered: the
    /// length prefix cannot say more.
    func nextQuery() -> ArraySlice<UInt8>? {
        let available = incoming.count - consumed
        guard available >= 2 else { return nil }
        let length = Int(incoming[consumed]) << 8 | Int(incoming[consumed + 1])
        guard length > 0, available >= 2 + length else { return nil }
        defer { consumed += 2 + length }
        return incoming[(consumed + 2)..<(consumed + 2 + length)]
    }

    /// A zero-length message: no query can be that short, and no answer can say so.
    var isMalformed: Bool {
        incoming.count - consumed >= 2 && incoming[consumed] == 0 && incoming[consumed + 1] == 0
    }

    /// Drops the bytes already taken, once they are most of the buffer.
    func compact() {
        guard consumed > 0, consumed * 2 >= incoming.count else { return }
        incoming.removeFirst(consumed)
        consumed = 0
    }

    func queue(_ answer: UnsafeRawBufferPointer) { outgoing.appendTCPFramed(answer) }

    /// Drops the bytes already written once they are most of the buffer, so that a client
    /// always a little behind cannot make it hold everything ever sent to it.
    func compactOutgoing() {
        if written == outgoing.count {
            outgoing.removeAll(keepingCapacity: true)
            written = 0
        } else if written * 2 >= outgoing.count {
            outgoing.removeFirst(written)
            written = 0
        }
    }
}
