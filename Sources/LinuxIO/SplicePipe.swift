// Pipes and splice(2): the zero-copy path for bulk flows. Not used by the relay today:
// on loopback, proxies that splice were no faster in bulk and cost more CPU per small
// request than proxies that copy through user space (see the design notes). Kept here
// for the day our own benchmark shows splice winning.
internal import CLinux

/// The two ends of a non-blocking pipe.
public struct SplicePipe: ~Copyable {
    public let readEnd: FileDescriptor
    public let writeEnd: FileDescriptor

    public init() throws(Errno) {
        var ends: [Int32] = [-1, -1]
        _ = try retryingInterrupts { clinux_pipe(&ends) }
        readEnd = FileDescriptor(owning: ends[0])
        writeEnd = FileDescriptor(owning: ends[1])
    }

    /// Sets the pipe's capacity and returns what the kernel granted (it rounds up to pages).
    public func setCapacity(_ bytes: Int32) throws(Errno) -> Int32 {
        try retryingInterrupts { clinux_set_pipe_size(writeEnd.rawValue, bytes) }
    }
}

/// Moves up to `count` bytes from `source` to `destination` inside the kernel; one of
/// them must be a pipe. 0 means end of stream.
///
/// The corresponding C function is `splice`.
public func splice(from source: borrowing FileDescriptor, to destination: borrowing FileDescriptor, count: Int) throws(Errno) -> IOResult<Int> {
    try nonBlocking { clinux_splice(source.rawValue, destination.rawValue, count) }
}
