// Lists and watches one kind on a thread of its own, driving APIWatchMachine with real
// requests: a list's pages are read whole (bounded) and decoded; a watch's body is framed
// into lines as it arrives (WatchStreamFramer) and each event decoded and queued at once.
// An event that cannot be read is logged and counted and the watch goes on; everything the
// machine asks to apply goes to the APIEventQueue. It runs until the daemon stops, or its
// own APIWatchStop ends it (then it ends quietly: a request cut by the stop is no failure).
import Foundation
import LinuxIO
import Logging
import ServiceConfig

final class APIResourceWatcher: @unchecked Sendable {  // used by its own thread only
    /// A list page's body is read up to this (500 objects of any kind fit many times).
    static let listBodyLimit = 256 << 20

    let resource: APIResource
    let request: APIRequest
    /// The same with a longer read timeout, for watches.
    let watchRequest: APIRequest
    let queue: APIEventQueue
    let stop: APIWatchStop
    let logger: Logger
    private var machine: APIWatchMachine

    init(resource: APIResource, list: APIRequest, watch: APIRequest, queue: APIEventQueue, stop: APIWatchStop, logger: Logger,
         watchTimeoutSeconds: Int) {
        self.resource = resource
        self.request = list
        self.watchRequest = watch
        self.queue = queue
        self.stop = stop
        self.logger = logger
        machine = APIWatchMachine(resource: resource, watchTimeoutSeconds: watchTimeoutSeconds)
    }

    /// Runs until the queue or this watcher's stop says stop.
    func run() {
        defer { stop.finished.store(true, ordering: .releasing) }
        var next = perform(machine.start())
        while !isStopping, let path = next {
            let (relists, restarts) = (machine.relists, machine.watchRestarts)
            let actions = path.contains("watch=1") ? watch(path) : machine.handle(list(path))
            next = perform(actions)
            queue.count(relists: machine.relists - relists, watchRestarts: machine.watchRestarts - restarts)
        }
    }

    /// Queues what is to be applied, sleeps a backoff; the next path to GET.
    private func perform(_ actions: [APIWatchMachine.Action]) -> String? {
        var items: [APIEventQueue.Item] = []
        var next: String?
        for action in actions {
            switch action {
            case .get(let path): next = path
            case .replaceAll(let objects): items.append(.replaceAll(resource, objects))
            case .apply(let event): items.append(.event(resource, event))
            case .backOff(let attempt):
                guard !isStopping else { return nil }  // a request the stop cut: no retry
                queue.push(items, from: stop)
                items = []
                let delay = APIBackoff.delay(attempt: attempt, random: Double.random(in: 0..<1))
                logger.info("Retrying \(resource) in \(delay / 1_000_000) ms (attempt \(attempt))", metadata: ["event": "api-backoff"])
                sleep(nanoseconds: delay)
                next = perform(machine.handle(.backoffElapsed))
            }
        }
        queue.push(items, from: stop)
        return next
    }

    private func list(_ path: String) -> APIWatchMachine.Event {
        var body: [UInt8] = []
        do throws(APIClientError) {
            try request.get(path) { (piece: UnsafeRawBufferPointer) throws(APIClientError) in
                guard body.count + piece.count <= Self.listBodyLimit else {
                    throw APIClientError("a page of \(resource) is larger than \(Self.listBodyLimit) bytes")
                }
                body += piece
            }
        } catch {
            return failed(error, verb: "list")
        }
        switch APIObjectDecoding.listPage(text: String(decoding: body, as: UTF8.self), resource: resource, source: "\(request.connection.server)\(path)") {
        case .success(let page):
            succeeded()
            reportRejected(page.items)
            return .listPage(page)
        case .failure(let errors):
            return failed(APIClientError("the list of \(resource) could not be read: \(errors)"), verb: "list")
        }
    }

    /// Runs one watch; the machine's actions once it ended.
    private func watch(_ path: String) -> [APIWatchMachine.Action] {
        var framer = WatchStreamFramer()
        let source = "\(request.connection.server)\(resource.collectionPath) (watch)"
        var endedBy: [APIWatchMachine.Action]?
        do throws(APIClientError) {
            try watchRequest.get(path) { (piece: UnsafeRawBufferPointer) throws(APIClientError) in
                succeeded()
                let lines: [[UInt8]]
                do throws(WatchStreamFramer.Failure) { lines = try framer.feed(piece) } catch { throw APIClientError("\(error)") }
                for line in lines {
                    switch APIObjectDecoding.event(line: line, resource: resource, source: source) {
                    case .success(let event):
                        if case .changed(_, let object) = event { reportRejected([object]) }
                        let actions = machine.handle(.watchEvent(event))
                        // An ERROR event: the machine lists again or backs off; this watch is over.
                        if actions.contains(where: Self.endsWatch) {
                            endedBy = actions
                            throw APIClientError("the watch of \(resource) ended with an ERROR event")
                        }
                        _ = perform(actions)
                    case .failure(let errors):
                        queue.countUnreadableEvent()
                        logger.warning("Skipped an event of \(resource) that could not be read: \(errors)", metadata: ["event": "api-event-invalid"])
                    }
                }
            }
        } catch {
            if let endedBy { return endedBy }
            return machine.handle(failed(error, verb: "watch"))
        }
        if framer.finish() { logger.info("The watch of \(resource) was cut mid-event; resuming", metadata: ["event": "api-watch-cut"]) }
        return machine.handle(.watchEnded)
    }

    private static func endsWatch(_ action: APIWatchMachine.Action) -> Bool {
        switch action {
        case .get, .backOff: true
        case .apply, .replaceAll: false
        }
    }

    /// Records and logs a failed `verb` (list or watch); a 403 is said as the rule the
    /// ClusterRole lacks, the server's own words after it.
    private func failed(_ error: APIClientError, verb: String) -> APIWatchMachine.Event {
        var detail = error.detail
        if error.status == 403 {
            detail = "forbidden: the ClusterRole must allow \(verb) on \(resource.ruleName) (\(error.detail))"
        }
        let now = MonotonicClock.now()
        queue.record(resource, from: stop) {
            $0.failure = detail
            $0.answered = error.status != nil
            if $0.failingSince == nil { $0.failingSince = now }
        }
        if !stop.isStopped { logger.warning("\(detail)", metadata: ["event": "api-request-failed", "resource": "\(resource)"]) }
        return .failed(status: error.status, detail: detail)
    }

    private func succeeded() {
        let now = MonotonicClock.now()
        queue.record(resource, from: stop) {
            $0.lastSuccess = now
            $0.failure = nil
            $0.answered = false
            $0.failingSince = nil
        }
    }

    private func reportRejected(_ objects: [APIObject]) {
        for object in objects where !object.errors.isEmpty {
            for error in object.errors {
                logger.warning("Skipped \(object.name) from the API server: \(error)", metadata: ["event": "api-object-invalid"])
            }
        }
    }

    private var isStopping: Bool { queue.stopping.load(ordering: .relaxed) || stop.isStopped }

    private func sleep(nanoseconds: UInt64) {
        let end = MonotonicClock.now() + nanoseconds
        while !isStopping, MonotonicClock.now() < end {
            usleep(UInt32(min(100_000, (end - min(end, MonotonicClock.now())) / 1000 + 1)))
        }
    }
}
