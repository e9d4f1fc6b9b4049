// Session affinity by client IP (`sessionAffinity: ClientIP`): a client keeps the endpoint
// it was last sent to while it comes back within the timeout, each use refreshing it. The
// pins of a service port are one table shared by every worker (behind a lock: only
// services with affinity ever take it) and kept across reloads, so that removing one
// endpoint moves only the clients pinned to it. A pin moves when its endpoint is gone,
// does not admit the client, or fails to connect: the client stays where it landed.
//
// Clients are remote peers, so the table is bounded (`--affinity-table-size`): pins are
// kept in least-recently-used order, expired ones are dropped from the old end as new ones
// come, and when the table is full the oldest live pin is evicted (and counted). Every
// operation is O(1); nothing sweeps the whole table under the lock.
import LinuxIO
import ServiceConfig
import Synchronization

final class AffinityTable: Sendable {
    /// The default of `--affinity-table-size`: pins per service port.
    static let defaultCapacity = 65_536

    let capacity: Int
    private let pins: Mutex<PinList>

    init(capacity: Int = AffinityTable.defaultCapacity) {
        self.capacity = max(1, capacity)
        pins = Mutex(PinList())
    }

    var count: Int { pins.withLock { $0.count } }

    /// The endpoint `client` is pinned to, if the pin is younger than `timeout`; the pin
    /// is refreshed by the lookup.
    func endpoint(for client: IPAddress, now: UInt64, timeout: UInt64) -> Endpoint? {
        pins.withLock { list in
            guard let slot = list.slot(of: client) else { return nil }
            guard age(of: list.lastUsed(slot), at: now) < timeout else {
                list.remove(slot)
                return nil
            }
            list.touch(slot, now: now)
            return list.endpoint(slot)
        }
    }

    /// Pins `client` to `endpoint` from `now`; true if a live pin was evicted for room.
    @discardableResult
    func pin(_ client: IPAddress, to endpoint: Endpoint, now: UInt64, timeout: UInt64) -> Bool {
        pins.withLock { list -> Bool in
            if let slot = list.slot(of: client) {
                list.remove(slot)
            }
            list.dropExpired(now: now, timeout: timeout)
            var evicted = false
            if list.count >= capacity {
                list.removeOldest()
                evicted = true
            }
            list.insert(client, endpoint: endpoint, now: now)
            return evicted
        }
    }

    /// Forgets `client`'s pin if it still points at `endpoint`.
    func unpin(_ client: IPAddress, from endpoint: Endpoint) {
        pins.withLock { list in
            if let slot = list.slot(of: client), list.endpoint(slot) == endpoint { list.remove(slot) }
        }
    }
}

/// How long ago `lastUsed` was at `now`. Workers read the clock before they take the lock,
/// so another worker may have refreshed a pin with a later time: that pin is fresh, not
/// (by wrapping arithmetic) ancient.
@inline(__always)
func age(of lastUsed: UInt64, at now: UInt64) -> UInt64 {
    now > lastUsed ? now - lastUsed : 0
}

/// Pins in a doubly linked list kept in arrays (newest at the head), with an index by
/// client: lookup, refresh, insert and removal at either end are O(1).
struct PinList {
    private struct Node {
        var client: IPAddress
        var endpoint: Endpoint
        var lastUsed: UInt64
        var newer: Int32 = -1
        var older: Int32 = -1
    }

    private var nodes: [Node] = []
    private var freeSlots: [Int32] = []
    private var byClient: [IPAddress: Int32] = [:]
    private var newest: Int32 = -1
    private var oldest: Int32 = -1

    var count: Int { byClient.count }

    func slot(of client: IPAddress) -> Int32? { byClient[client] }
    func lastUsed(_ slot: Int32) -> UInt64 { nodes[Int(slot)].lastUsed }
    func endpoint(_ slot: Int32) -> Endpoint { nodes[Int(slot)].endpoint }

    mutating func insert(_ client: IPAddress, endpoint: Endpoint, now: UInt64) {
        let node = Node(client: client, endpoint: endpoint, lastUsed: now)
        let slot: Int32
        if let free = freeSlots.popLast() {
            slot = free
            nodes[Int(slot)] = node
        } else {
            slot = Int32(nodes.count)
            nodes.append(node)
        }
        byClient[client] = slot
        linkAsNewest(slot)
    }

    mutating func touch(_ slot: Int32, now: UInt64) {
        nodes[Int(slot)].lastUsed = now
        guard slot != newest else { return }
        unlink(slot)
        linkAsNewest(slot)
    }

    mutating func remove(_ slot: Int32) {
        unlink(slot)
        byClient[nodes[Int(slot)].client] = nil
        freeSlots.append(slot)
    }

    mutating func removeOldest() {
        if oldest >= 0 { remove(oldest) }
    }

    /// Drops pins unused for `timeout` from the old end: each pin is dropped once, so
    /// this costs O(1) per pin over its life.
    mutating func dropExpired(now: UInt64, timeout: UInt64) {
        while oldest >= 0, age(of: nodes[Int(oldest)].lastUsed, at: now) >= timeout { remove(oldest) }
    }

    private mutating func linkAsNewest(_ slot: Int32) {
        nodes[Int(slot)].newer = -1
        nodes[Int(slot)].older = newest
        if newest >= 0 { nodes[Int(newest)].newer = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
    }

    private mutating func unlink(_ slot: Int32) {
        let node = nodes[Int(slot)]
        if node.newer >= 0 { nodes[Int(node.newer)].older = node.older } else { newest = node.older }
        if node.older >= 0 { nodes[Int(node.older)].newer = node.newer } else { oldest = node.newer }
    }
}
