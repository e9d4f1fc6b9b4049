// timerfd: a monotonic one-shot timer as a readable descriptor.
internal import CLinux

/// A one-shot timer on the monotonic clock that becomes readable when it fires.
public struct TimerDescriptor: ~Copyable {
    public let descriptor: FileDescriptor

    public init() throws(Errno) {
        descriptor = FileDescriptor(owning: try retryingInterrupts {
            timerfd_create(CLOCK_MONOTONIC, Int32(TFD_NONBLOCK | TFD_CLOEXEC))
        })
    }

    /// Fires once after `nanoseconds`; 0 disarms the timer.
    public func arm(afterNanoseconds nanoseconds: UInt64) throws(Errno) {
        var spec = itimerspec()
        spec.it_value.tv_sec = Int(nanoseconds / 1_000_000_000)
        spec.it_value.tv_nsec = Int(nanoseconds % 1_000_000_000)
        _ = try retryingInterrupts { timerfd_settime(descriptor.rawValue, 0, &spec, nil) }
    }

    /// Acknowledges expirations; returns how many happened since the last call.
    public func acknowledge() -> UInt64 {
        var count: UInt64 = 0
        _ = read(descriptor.rawValue, &count, MemoryLayout<UInt64>.size)
        return count
    }
}
