// The hand-off from the watch threads to the daemon's main loop: watchers append what they
// read, the eventfd wakes the main loop, which takes everything at once when its
// min-sync-period allows (coalescing a burst into one plan). Bounded: a watcher that finds
// the queue full waits until the main loop has taken it, so a burst that outruns planning
// slows the watch rather than growing memory. A watcher stopped on its own (the Pods' when
// the last NetworkPolicy goes) is retired here: what it queued is dropped, and nothing it
// reads later is taken (its stop flag is set and checked under the same lock).
import Foundation
import LinuxIO
import ServiceConfig
import Synchronization

public final class APIEventQueue: Sendable {
    public enum Item: Sendable {
        /// A complete list of a kind.
        case replaceAll(APIResource, [APIObject])
        case event(APIResource, WatchEvent)

        var resource: APIResource {
            switch self {
            case .replaceAll(let resource, _), .event(let resource, _): resource
            }
        }
    }

    /// What a watcher says of its connection, for /healthz.
    public struct Health: Sendable {
        /// When (MonotonicClock) the API server last answered well; nil before it ever did.
        public var lastSuccess: UInt64?
        /// The last failure since then, in words; nil while all is well.
        public var failure: String?
        /// The failure was the server's answer (an HTTP status such as 403), not its silence.
        public var answered = false
        public var failingSince: UInt64?
    }

    /// Items held at most; a watcher waits beyond it.
    public static let capacity = 100_000

    private struct State {
        var items: [Item] = []
        var health: [String: Health] = [:]
        var relists = 0
        var watchRestarts = 0
        var unreadableEvents = 0
    }

    private let state = Mutex(State())
    private let room = NSCondition()
    public let wakeUp: EventDescriptor
    /// Set when the daemon stops: watchers end, and none waits for room.
    public let stopping = Atomic<Bool>(false)

    public init() throws(Errno) {
        wakeUp = try EventDescriptor()
    }

    /// Adds `items` of the watcher `stop` belongs to and wakes the main loop; waits while the
    /// queue is full (unless stopping). A stopped watcher's items are dropped.
    func push(_ items: [Item], from stop: APIWatchStop) {
        guard !items.isEmpty else { return }
        room.lock()
        while state.withLock({ $0.items.count }) >= Self.capacity && !stopping.load(ordering: .relaxed) && !stop.isStopped {
            _ = room.wait(until: Date(timeIntervalSinceNow: 0.1))
        }
        room.unlock()
        let taken = state.withLock { state in
            guard !stop.isStopped else { return false }
            state.items += items
            return true
        }
        if taken { wakeUp.signal() }
    }

    /// Stops the watcher of `resource` (`stop`), and forgets what it queued and its health.
    func retire(_ resource: APIResource, stop: APIWatchStop) {
        state.withLock { state in
            stop.stop()
            state.items.removeAll { $0.resource == resource }
            state.health[resource.collectionPath] = nil
        }
        room.lock()
        room.broadcast()
        room.unlock()
    }

    /// Everything queued, oldest first.
    public func take() -> [Item] {
        wakeUp.drain()
        let items = state.withLock { state in
            defer { state.items = [] }
            return state.items
        }
        room.lock()
        room.broadcast()
        room.unlock()
        return items
    }

    /// Changes the health of `resource`, unless its watcher (`stop`) was retired.
    func record(_ resource: APIResource, from stop: APIWatchStop, _ change: (inout Health) -> Void) {
        state.withLock { state in
            guard !stop.isStopped else { return }
            change(&state.health[resource.collectionPath, default: Health()])
        }
    }

    func count(relists: Int, watchRestarts: Int) {
        state.withLock {
            $0.relists += relists
            $0.watchRestarts += watchRestarts
        }
    }

    /// A watch event that was not an event at all (not JSON, no type): skipped.
    func countUnreadableEvent() {
        state.withLock { $0.unreadableEvents += 1 }
    }

    /// Each watched collection's health.
    public var health: [String: Health] { state.withLock { $0.health } }
    public var relists: Int { state.withLock { $0.relists } }
    public var watchRestarts: Int { state.withLock { $0.watchRestarts } }
    public var unreadableEvents: Int { state.withLock { $0.unreadableEvents } }
}
