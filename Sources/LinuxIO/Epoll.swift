// An epoll instance with its own event buffer. Registrations carry a 64-bit token that
// the caller chooses; ProxyEngine puts a generation number in it so that an event that
// was queued for a descriptor before it was closed and reused is recognised as stale.
// Registrations are level-triggered: the caller derives the wanted events from its own
// state and calls `modify` only when they change (HAProxy and socket-proxyd do the same).
internal import CLinux

/// The readiness events a registration asks for or an event reports.
public struct EpollEvents: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    // Inlinable constants (the values of <sys/epoll.h>, which a test compares), not stored
    // statics: a relay step tests these on every event, and a stored static read from
    // another module goes through its lazy initializer each time.
    @inlinable public static var readable: EpollEvents { EpollEvents(rawValue: 0x001) }  // EPOLLIN
    @inlinable public static var writable: EpollEvents { EpollEvents(rawValue: 0x004) }  // EPOLLOUT
    @inlinable public static var error: EpollEvents { EpollEvents(rawValue: 0x008) }  // EPOLLERR
    @inlinable public static var hangup: EpollEvents { EpollEvents(rawValue: 0x010) }  // EPOLLHUP
    @inlinable public static var readHangup: EpollEvents { EpollEvents(rawValue: 0x2000) }  // EPOLLRDHUP

    /// Whether the constants above are <sys/epoll.h>'s.
    static var matchKernelHeaders: Bool {
        readable.rawValue == EPOLLIN.rawValue && writable.rawValue == EPOLLOUT.rawValue && error.rawValue == EPOLLERR.rawValue
            && hangup.rawValue == EPOLLHUP.rawValue && readHangup.rawValue == EPOLLRDHUP.rawValue
    }
}

/// One epoll set and the buffer `wait` fills.
public final class Epoll {
    private let descriptor: FileDescriptor
    private var events: [epoll_event]

    /// - Parameter capacity: how many events one `wait` can return.
    public init(capacity: Int = 256) throws(Errno) {
        descriptor = FileDescriptor(owning: try retryingInterrupts { epoll_create1(Int32(EPOLL_CLOEXEC)) })
        events = Array(repeating: epoll_event(), count: capacity)
    }

    /// Starts watching `fd` for `wanted`, reporting `token`.
    ///
    /// The corresponding C function is `epoll_ctl` with `EPOLL_CTL_ADD`.
    public func add(_ fd: Int32, wanted: EpollEvents, token: UInt64) throws(Errno) {
        try control(EPOLL_CTL_ADD, fd, wanted, token)
    }

    /// Changes what `fd` is watched for.
    public func modify(_ fd: Int32, wanted: EpollEvents, token: UInt64) throws(Errno) {
        try control(EPOLL_CTL_MOD, fd, wanted, token)
    }

    /// Stops watching `fd`. Closing a descriptor also removes it, when no other copy exists.
    public func remove(_ fd: Int32) throws(Errno) {
        try control(EPOLL_CTL_DEL, fd, [], 0)
    }

    private func control(_ operation: Int32, _ fd: Int32, _ wanted: EpollEvents, _ token: UInt64) throws(Errno) {
        var event = epoll_event()
        event.events = wanted.rawValue
        event.data.u64 = token
        _ = try retryingInterrupts { epoll_ctl(descriptor.rawValue, operation, fd, &event) }
    }

    /// How many events one `wait` can return.
    public var capacity: Int { events.count }

    /// Waits up to `timeoutMilliseconds` (-1: forever) and returns how many events arrived;
    /// read them with `event(at:)`. An interrupted wait returns 0.
    public func wait(timeoutMilliseconds: Int32) throws(Errno) -> Int {
        let capacity = Int32(events.count)
        let count = events.withUnsafeMutableBufferPointer { buffer in
            epoll_wait(descriptor.rawValue, buffer.baseAddress, capacity, timeoutMilliseconds)
        }
        if count >= 0 { return Int(count) }
        let error = Errno.current
        if error == .interrupted { return 0 }
        throw error
    }

    /// The token and events of the `index`th event of the last `wait`.
    public func event(at index: Int) -> (token: UInt64, events: EpollEvents) {
        let event = events[index]
        return (event.data.u64, EpollEvents(rawValue: event.events))
    }
}
