// Relayed connections waiting to have keepalive turned on for their endpoint socket.
// An endpoint socket gets keepalive once its connection has lived a second, not as it is
// made: the kernel probes only after `--tcp-keepalive` of silence (15 s unless set), which
// a connection that ends within its first second never reaches (and Linux counts it from
// the last segment received, whenever keepalive is turned on), while turning it on costs
// three setsockopt(2) calls (SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL), about 0.4 µs
// each here, of the 60-70 µs of proxy CPU a short relayed connection costs. The client
// socket inherits keepalive from its listener, which costs no call.
//
// Connections are queued in the order they start, so their due times only grow: a FIFO,
// with no heap to keep in order and nothing to remove when a connection closes early (its
// entry is dropped when it comes up and finds the slot free or taken by another).

struct KeepAliveQueue {
    struct Entry: Equatable {
        let due: UInt64
        let slot: UInt32
        /// The connection's client tag, which tells it from a later one in the same slot.
        let tag: UInt32
    }

    /// How long a connection lives before its endpoint socket gets keepalive, in
    /// nanoseconds. Probes leave when they would have: setting TCP_KEEPIDLE on an open
    /// socket makes Linux count the silence from the last segment received, not from the
    /// call (`tcp_sock_set_keepidle_locked`), so with keepalive's idle time at least this
    /// long the first probe is not delayed.
    static let delay: UInt64 = 1_000_000_000

    /// Most connections waiting; beyond it (more than this many connections started within
    /// a second on one worker) a new connection gets keepalive at once, as all did before.
    /// Checked as a listener event's connections are admitted and queued after them all,
    /// so the queue may pass it by one event's accepts (`Worker.acceptsPerEvent`).
    static let capacity = 65_536

    private var entries: [Entry] = []
    /// Entries before this index have been taken.
    private var head = 0

    var count: Int { entries.count - head }
    var isFull: Bool { count >= Self.capacity }
    var earliestDue: UInt64? { head < entries.count ? entries[head].due : nil }

    /// Queues a connection; entries must come in the order of their due times.
    mutating func append(_ entry: Entry) {
        entries.append(entry)
    }

    /// Removes and returns the earliest entry if it is due at `now`.
    mutating func popDue(now: UInt64) -> Entry? {
        guard head < entries.count, entries[head].due <= now else { return nil }
        let entry = entries[head]
        head += 1
        if head == entries.count {
            entries.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 1024, head * 2 >= entries.count {
            // Taken entries are dropped once they are at least half of the array, so each
            // entry is moved at most once on average and the array stays within twice the
            // entries waiting.
            entries.removeFirst(head)
            head = 0
        }
        return entry
    }
}
