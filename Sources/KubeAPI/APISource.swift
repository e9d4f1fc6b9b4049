// The Kubernetes API as a source of objects: one watcher thread per kind (a watch is a
// long blocking read), all feeding one APIEventQueue that the daemon's main loop drains.
// Kinds are started and stopped while the daemon runs (Pods follow NetworkPolicies:
// APIWatchSet): a stopped watcher's waits end at once (APIWatchStop), and its thread is
// joined at a later start or stop, once it has returned, so that starting and stopping
// again and again leaves no thread behind. The threads still running are not joined on
// the daemon's stop: the process is exiting, and they only touch the queue, which
// outlives them.
import LinuxIO
import Logging
import ServiceConfig
import Synchronization

public final class APISource: Sendable {
    public let connection: APIServerConnection
    public let queue: APIEventQueue
    private let watchTimeoutSeconds: Int
    private let requestTimeoutMilliseconds: Int32
    private let userAgent: String
    private let logger: Logger

    private struct Watcher {
        let thread: JoinableThread
        let stop: APIWatchStop
    }

    private struct Watchers {
        var running: [APIResource: Watcher] = [:]
        /// Stopped, not yet joined.
        var stopped: [Watcher] = []
    }

    private let watchers = Mutex(Watchers())

    /// Starts watching `resources` through `connection`.
    public init(connection: APIServerConnection, resources: [APIResource] = APIResource.watched, watchTimeoutSeconds: Int = 300,
                requestTimeoutMilliseconds: Int32 = 10_000, userAgent: String, logger: Logger) throws(Errno) {
        self.connection = connection
        queue = try APIEventQueue()
        self.watchTimeoutSeconds = watchTimeoutSeconds
        self.requestTimeoutMilliseconds = requestTimeoutMilliseconds
        self.userAgent = userAgent
        self.logger = logger
        for resource in resources { try start(resource) }
    }

    /// The kinds watched now.
    public var watching: Set<APIResource> { watchers.withLock { Set($0.running.keys) } }

    /// Starts a watcher of `resource` (nothing when one runs): it lists, then watches.
    public func start(_ resource: APIResource) throws(Errno) {
        let stop = try APIWatchStop()
        // A watch is silent while nothing changes: its reads may wait as long as the server
        // keeps it open, and a little more.
        let watchRead = Int32(min(watchTimeoutSeconds + 30, 3600) * 1000)
        let watcher = APIResourceWatcher(
            resource: resource,
            list: APIRequest(connection: connection, timeoutMilliseconds: requestTimeoutMilliseconds, userAgent: userAgent, stop: stop),
            watch: APIRequest(connection: connection, timeoutMilliseconds: max(watchRead, requestTimeoutMilliseconds), userAgent: userAgent,
                              stop: stop),
            queue: queue, stop: stop, logger: logger, watchTimeoutSeconds: watchTimeoutSeconds)
        try watchers.withLock { (watchers: inout Watchers) throws(Errno) in
            Self.joinFinished(&watchers)
            guard watchers.running[resource] == nil else { return }
            let thread = try JoinableThread(name: "api-\(resource.kind.lowercased())") { watcher.run() }
            watchers.running[resource] = Watcher(thread: thread, stop: stop)
        }
    }

    /// Stops the watcher of `resource`: what it queued is dropped and nothing it reads
    /// after this is taken.
    public func stop(_ resource: APIResource) {
        watchers.withLock { watchers in
            Self.joinFinished(&watchers)
            guard let watcher = watchers.running.removeValue(forKey: resource) else { return }
            queue.retire(resource, stop: watcher.stop)
            watchers.stopped.append(watcher)
        }
    }

    /// Tells every watcher to end; they stop at their next read or backoff step.
    public func stop() {
        queue.stopping.store(true, ordering: .relaxed)
        watchers.withLock { watchers in
            for watcher in watchers.running.values { watcher.stop.stop() }
        }
    }

    /// Joins the stopped watchers' threads that have returned (joining one that has not
    /// would wait on the main thread).
    private static func joinFinished(_ watchers: inout Watchers) {
        watchers.stopped.removeAll { watcher in
            guard watcher.stop.finished.load(ordering: .acquiring) else { return false }
            watcher.thread.join()
            return true
        }
    }
}
