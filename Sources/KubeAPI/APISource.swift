// The Kubernetes API as a source of objects: one watcher thread per kind (a watch is a
// long blocking read), all feeding one APIEventQueue that the daemon's main loop drains.
// The threads are not joined on stop: a watch may be blocked in a read for its timeout, and
// the process is exiting anyway; they only touch the queue, which outlives them.
import LinuxIO
import Logging
import ServiceConfig

public final class APISource: Sendable {
    public let connection: APIServerConnection
    public let queue: APIEventQueue
    private let threads: [JoinableThread]

    /// Starts watching `resources` through `connection`.
    public init(connection: APIServerConnection, resources: [APIResource] = APIResource.watched, watchTimeoutSeconds: Int = 300,
                requestTimeoutMilliseconds: Int32 = 10_000, userAgent: String, logger: Logger) throws(Errno) {
        self.connection = connection
        let queue = try APIEventQueue()
        self.queue = queue
        // A watch is silent while nothing changes: its reads may wait as long as the server
        // keeps it open, and a little more.
        let watchRead = Int32(min(watchTimeoutSeconds + 30, 3600) * 1000)
        threads = try resources.map { resource throws(Errno) in
            let watcher = APIResourceWatcher(
                resource: resource,
                list: APIRequest(connection: connection, timeoutMilliseconds: requestTimeoutMilliseconds, userAgent: userAgent),
                watch: APIRequest(connection: connection, timeoutMilliseconds: max(watchRead, requestTimeoutMilliseconds), userAgent: userAgent),
                queue: queue, logger: logger, watchTimeoutSeconds: watchTimeoutSeconds)
            return try JoinableThread(name: "api-\(resource.kind.lowercased())") { watcher.run() }
        }
    }

    /// Tells the watchers to end; they stop at their next read or backoff step.
    public func stop() {
        queue.stopping.store(true, ordering: .relaxed)
    }
}
