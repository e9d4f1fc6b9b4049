// Deadlines of a worker (connect, idle and half-close timeouts), earliest first, in a
// binary heap. The event loop sleeps in epoll_wait until the earliest one; an entry whose
// connection has since moved on is recognised by its tag and dropped when it comes up, or
// purged once the heap holds more than 1,024 entries beyond three per connection
// (Worker.swift).

struct TimerQueue {
    /// Which handler's timer, and what for.
    enum Kind {
        /// A TCP connect attempt; tagged with the connection's backend tag.
        case tcpConnect
        /// A TCP connection's idle or half-close timeout; tagged with its client tag.
        case tcpActivity
        /// An Ingress session's current wait (request head, endpoint, closing); tagged with
        /// the session's tag.
        case httpSession
        /// A pooled endpoint connection's idle timeout; tagged with its tag.
        case httpPooled
        /// A UDP flow's silence limit; tagged with the flow's tag.
        case udpFlow
        /// A DNS TCP client's idle timeout; tagged with its tag.
        case dnsClient
        /// An upstream nameserver's time to answer; tagged with the query's tag.
        case dnsUpstream
    }

    struct Entry {
        let deadline: UInt64
        let slot: UInt32
        let tag: UInt32
        var kind: Kind
    }

    private var heap: [Entry] = []

    var earliestDeadline: UInt64? { heap.first?.deadline }
    var count: Int { heap.count }

    /// Drops the entries `isStale` picks and restores the heap order.
    mutating func removeAll(where isStale: (Entry) -> Bool) {
        heap.removeAll(where: isStale)
        for index in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(from: index) }
    }

    mutating func schedule(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest entry if it is due at `now`.
    mutating func popDue(now: UInt64) -> Entry? {
        guard let first = heap.first, first.deadline <= now else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(from: 0)
        }
        return first
    }

    private mutating func siftDown(from start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].deadline < heap[smallest].deadline { smallest = left }
            if right < heap.count, heap[right].deadline < heap[smallest].deadline { smallest = right }
            if smallest == parent { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
