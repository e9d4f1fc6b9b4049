// Logging never blocks a worker. Every log call only makes its record and queues it; one
// logging thread writes the queue to the journal or stderr. A destination that stops
// reading (a wedged journald, a stderr pipe nobody drains) then stalls only that thread:
// the queue fills, further records are dropped and counted (svcproxy_log_messages_dropped_total),
// and the event loops, the watchdog and the admin server go on. The queue holds a fixed
// number of records, so a flood of log lines costs bounded memory: at most the queue plus
// the one batch being written.
import LinuxIO
import Logging
import Synchronization

public final class LogPipeline<Sink: LogSink>: Sendable {
    /// Enough for a burst of access-log lines while the destination catches up.
    public static var defaultCapacity: Int { 4096 }

    public let sink: Sink
    private let lock = ConditionLock()
    // Guarded by `lock`; nonisolated(unsafe) because ConditionLock is not a Mutex.
    nonisolated(unsafe) private var queue: BoundedQueue<Sink.Record>
    nonisolated(unsafe) private var writing = false
    nonisolated(unsafe) private var closing = false
    nonisolated(unsafe) private var thread: JoinableThread?
    private let droppedCount = Atomic<UInt64>(0)

    /// Starts the logging thread. Start it after the signals the daemon reads from a
    /// signalfd are blocked, so that it inherits the mask and never takes one of them.
    ///
    /// - Parameters:
    ///   - sink: where records are written.
    ///   - capacity: the most records waiting at once; more are dropped.
    ///   - threadName: the logging thread's name, as `top -H` shows it.
    /// - Throws: the errno of pthread_create(3).
    public init(sink: Sink, capacity: Int = defaultCapacity, threadName: String = "svcproxy-log") throws(Errno) {
        self.sink = sink
        queue = BoundedQueue(capacity: capacity)
        let thread = try JoinableThread(name: threadName) { [self] in writeUntilClosed() }
        lock.withLock { self.thread = thread }
    }

    /// Records dropped because the queue was full (or the pipeline finished), since start.
    public var dropped: UInt64 { droppedCount.load(ordering: .relaxed) }

    /// Queues `record` for the logging thread, or drops and counts it if there is no room.
    /// Never blocks beyond the lock, which is only ever held to move records in or out.
    public func submit(_ record: Sink.Record) {
        let queued = lock.withLock {
            guard !closing, queue.append(record) else { return false }
            if queue.count == 1 { lock.broadcast() }  // the writer sleeps only on an empty queue
            return true
        }
        if !queued { droppedCount.add(1, ordering: .relaxed) }
    }

    /// Stops taking records and waits, at most `timeout` nanoseconds, for the logging
    /// thread to write those queued; then the thread is joined. A destination that stays
    /// blocked past the deadline keeps the thread, and its records are lost with the process:
    /// a stuck log reader must not hold up the daemon's exit.
    ///
    /// - Returns: whether every queued record was written.
    @discardableResult
    public func finish(timeout: UInt64) -> Bool {
        let drained = lock.withLock {
            closing = true
            lock.broadcast()
            return waitForWriter(timeout: timeout)
        }
        guard drained else { return false }
        let thread = lock.withLock { () -> JoinableThread? in
            defer { self.thread = nil }
            return self.thread
        }
        thread?.join()
        return true
    }

    /// Waits, at most `timeout` nanoseconds, for the logging thread to write every record
    /// queued so far, and goes on taking records. The daemon calls it before it says READY=1,
    /// so that whoever waits for readiness finds the start's lines in the log.
    ///
    /// - Returns: whether every queued record was written.
    @discardableResult
    public func waitUntilWritten(timeout: UInt64) -> Bool {
        lock.withLock { waitForWriter(timeout: timeout) }
    }

    /// With `lock` held: sleeps until the queue is empty and no batch is being written, or
    /// `timeout` nanoseconds have passed; says which.
    private func waitForWriter(timeout: UInt64) -> Bool {
        let deadline = MonotonicClock.now() + timeout
        while !queue.isEmpty || writing, MonotonicClock.now() < deadline {
            lock.wait(until: deadline)
        }
        return queue.isEmpty && !writing
    }

    /// The logging thread: takes everything queued at once, writes it without the lock,
    /// and sleeps while there is nothing to write.
    private func writeUntilClosed() {
        var reportedDrops: UInt64 = 0
        while let batch = nextBatch() {
            for record in batch { sink.write(record) }
            reportedDrops = reportDrops(since: reportedDrops)
            lock.withLock {
                writing = false
                lock.broadcast()  // a finishing thread may be waiting for the queue to drain
            }
        }
    }

    /// The records waiting, after sleeping until there are some; nil once closing with
    /// nothing left.
    private func nextBatch() -> [Sink.Record]? {
        lock.withLock {
            while queue.isEmpty, !closing { lock.wait() }
            guard !queue.isEmpty else { return nil }
            writing = true
            return queue.removeAll()
        }
    }

    /// Says in the log itself, once the destination takes records again, how many were
    /// lost, so that a gap in the log is explained where it is read.
    private func reportDrops(since reported: UInt64) -> UInt64 {
        let dropped = self.dropped
        guard dropped > reported else { return reported }
        let event = LogEvent(level: .warning, message: "Dropped \(dropped - reported) log messages: the log destination did not keep up",
                             metadata: nil, source: nil, file: #fileID, function: #function, line: #line)
        sink.write(sink.record(for: event, metadata: ["event": "log-dropped", "dropped": "\(dropped - reported)"]))
        return dropped
    }
}

/// What the daemon needs of its pipeline whichever sink it writes to: the drop count for
/// /metrics, the wait before READY=1, and the flush on the way out.
public protocol LogPipelineControl: AnyObject, Sendable {
    var dropped: UInt64 { get }
    @discardableResult func waitUntilWritten(timeout: UInt64) -> Bool
    @discardableResult func finish(timeout: UInt64) -> Bool
}

extension LogPipeline: LogPipelineControl {}
