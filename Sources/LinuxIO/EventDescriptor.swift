// eventfd: how one thread wakes another's event loop (a stop request, a new plan).
internal import CLinux

/// A counter descriptor that becomes readable when another thread signals it.
public struct EventDescriptor: ~Copyable, Sendable {
    public let descriptor: FileDescriptor

    public init() throws(Errno) {
        descriptor = FileDescriptor(owning: try retryingInterrupts { eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC)) })
    }

    /// Makes the descriptor readable; safe from any thread.
    public func signal() {
        var one: UInt64 = 1
        _ = write(descriptor.rawValue, &one, MemoryLayout<UInt64>.size)
    }

    /// Resets the counter after a wake-up.
    public func drain() {
        var value: UInt64 = 0
        _ = read(descriptor.rawValue, &value, MemoryLayout<UInt64>.size)
    }
}
