// What a worker's handlers share: the epoll set, the timer heap, the relay buffers and
// pipes, the registration tags, the rate-limited log and the plan's egress rules. One per
// worker thread, touched by that thread only, so none of it takes a lock.
import LinuxIO
import Logging

final class EventLoop {
    let index: Int
    let epoll: Epoll
    var timers = TimerQueue()
    let pool: BufferPool
    /// The TCP relay's pipes; nil when splicing is off (`--relay-pipe-size 0`).
    let pipes: PipePool?
    var logger: Logger
    var logLimiter = LogLimiter()
    /// The plan's egress rules by client address, for the handlers that choose endpoints.
    var egress = CompiledEgress.none
    /// The ring the handlers leave sends in, made together at the end of each turn
    /// (SendRing says why); nil until `startBatchingSends`, or where io_uring is not to be
    /// had: each send is then made at once.
    private(set) var sends: SendRing?
    /// Registration tags; 0 is never used.
    private var lastTag: UInt32 = 0

    init(index: Int, logger: Logger, bufferSize: Int, pipeSize: Int, pipeLimit: Int) throws(Errno) {
        self.index = index
        self.logger = logger
        self.logger[metadataKey: "worker"] = "\(index)"
        pool = BufferPool(bufferSize: bufferSize)
        pipes = pipeSize > 0 && pipeLimit > 0 ? PipePool(capacity: pipeSize, limit: pipeLimit) : nil
        epoll = try Epoll(capacity: 256)
    }

    /// Opens the ring, on the worker's thread, with room for a send in each direction of
    /// every connection one poll reports (accepts and retries can queue more; a send that
    /// finds the ring full is made at once). Where io_uring is not to be had, says so.
    func startBatchingSends() {
        do {
            sends = try SendRing(capacity: 2 * epoll.capacity)
        } catch {
            logger.notice("Relayed messages are sent one by one: io_uring is not available (\(error))",
                          metadata: ["event": "io-uring-unavailable"])
        }
    }

    func nextTag() -> UInt32 {
        lastTag = lastTag == EventToken.generationMask ? 1 : lastTag + 1
        return lastTag
    }

    /// Brings `descriptor`'s registration from `current` to `wanted`, calling epoll_ctl
    /// only when they differ.
    @inline(__always)
    func watch(_ descriptor: Int32, current: EpollEvents, wanted: EpollEvents, token: EventToken) throws(Errno) {
        guard wanted != current else { return }
        if current.isEmpty {
            try epoll.add(descriptor, wanted: wanted, token: token.rawValue)
        } else if wanted.isEmpty {
            // Removed rather than left with an empty mask: epoll reports hang-ups even
            // then, and a level-triggered hang-up nobody handles would spin the loop.
            try epoll.remove(descriptor)
        } else {
            try epoll.modify(descriptor, wanted: wanted, token: token.rawValue)
        }
    }

    /// Logs `message` at most once per interval for each `event` and `subject` (a service
    /// port, never a client: clients are unbounded), saying how many were held back;
    /// `event` is also the entry's SVCPROXY_EVENT field.
    func logLimited(_ level: Logger.Level, event: RateLimitedEvent, subject: String = "",
                    _ message: @autoclosure () -> String, metadata: @autoclosure () -> Logger.Metadata = [:]) {
        guard let suppressed = logLimiter.admit(LogLimiter.Key(event: event, subject: subject), now: MonotonicClock.now()) else {
            return
        }
        let suffix = suppressed > 0 ? " (\(suppressed) similar messages suppressed)" : ""
        var metadata = metadata()
        metadata["event"] = "\(event.rawValue)"
        logger.log(level: level, "\(message())\(suffix)", metadata: metadata)
    }
}
