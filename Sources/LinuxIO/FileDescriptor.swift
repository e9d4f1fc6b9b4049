// An owned file descriptor. It is non-copyable, so exactly one owner exists and the
// descriptor is closed exactly once: when the owner consumes it with `close()` or when
// the owner goes away. Everything that opens a descriptor returns one of these.
internal import CLinux

/// A file descriptor that this process owns and will close exactly once.
public struct FileDescriptor: ~Copyable, Sendable {
    /// The descriptor number, valid while this value lives.
    public let rawValue: Int32

    /// Takes ownership of `rawValue`, which must be open and owned by no one else.
    public init(owning rawValue: Int32) {
        precondition(rawValue >= 0, "svcproxy bug: owning an invalid descriptor")
        self.rawValue = rawValue
    }

    /// Closes the descriptor now.
    public consuming func close() {}

    /// Gives up ownership without closing, to hand the descriptor to another thread,
    /// which takes it back with `init(owning:)`.
    public consuming func releaseOwnership() -> Int32 {
        let value = rawValue
        discard self
        return value
    }

    deinit {
        // Never retried: Linux frees the descriptor even when close reports EINTR.
        _ = CLinux.close(rawValue)
    }
}

extension FileDescriptor {
    /// Reads up to `count` bytes into `buffer`; 0 means end of stream.
    ///
    /// The corresponding C function is `read`.
    public func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(Errno) -> IOResult<Int> {
        try nonBlocking { CLinux.read(rawValue, buffer, count) }
    }

    /// Writes up to `count` bytes from `buffer`; returns how many were taken.
    ///
    /// The corresponding C function is `write`.
    public func write(from buffer: UnsafeRawPointer, count: Int) throws(Errno) -> IOResult<Int> {
        try nonBlocking { CLinux.write(rawValue, buffer, count) }
    }
}
