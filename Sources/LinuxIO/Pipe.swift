// Pipes for splice(2). The TCP relay moves a connection's bytes socket → pipe → socket
// inside the kernel: the pipe takes references to the pages the bytes arrived in, and the
// destination socket sends those pages, so the bytes are never copied into user memory
// and back (splice(2), pipe(7)).
internal import CLinux

/// The two ends of a pipe, both owned.
public struct Pipe: ~Copyable {
    public let readEnd: FileDescriptor
    public let writeEnd: FileDescriptor

    /// A new non-blocking, close-on-exec pipe that holds `capacity` bytes. Fails with EPERM
    /// when the capacity is over /proc/sys/fs/pipe-max-size, or the user already holds
    /// more pipe pages than /proc/sys/fs/pipe-user-pages-soft, and is not privileged (pipe(7)).
    ///
    /// The corresponding C functions are `pipe2` and `fcntl` (`F_SETPIPE_SZ`).
    public init(capacity: Int) throws(Errno) {
        var ends: [Int32] = [-1, -1]
        _ = try ends.withUnsafeMutableBufferPointer { buffer throws(Errno) in
            try retryingInterrupts { clinux_pipe(buffer.baseAddress) }
        }
        let read = FileDescriptor(owning: ends[0])
        let write = FileDescriptor(owning: ends[1])
        _ = try retryingInterrupts { clinux_set_pipe_size(read.rawValue, Int32(clamping: capacity)) }
        readEnd = read
        writeEnd = write
    }

    /// Gives up ownership of both ends without closing them, for a pool that keeps them as
    /// numbers and closes them with `close(readEnd:writeEnd:)`.
    public consuming func releaseOwnership() -> (readEnd: Int32, writeEnd: Int32) {
        (readEnd.releaseOwnership(), writeEnd.releaseOwnership())
    }

    /// Closes a pipe whose ends were released from their owner.
    public static func close(readEnd: Int32, writeEnd: Int32) {
        FileDescriptor(owning: readEnd).close()
        FileDescriptor(owning: writeEnd).close()
    }
}

extension FileDescriptor {
    /// Moves up to `count` bytes from this socket into the pipe whose write end is
    /// `writeEnd`, without copying them; 0 means end of stream.
    ///
    /// The corresponding C function is `splice` (`SPLICE_F_MOVE | SPLICE_F_NONBLOCK`).
    public func splice(toPipe writeEnd: Int32, count: Int) throws(Errno) -> IOResult<Int> {
        try nonBlocking { clinux_splice(rawValue, writeEnd, count) }
    }

    /// Moves up to `count` bytes from the pipe whose read end is `readEnd` to this socket,
    /// without copying them; returns how many were taken.
    ///
    /// The corresponding C function is `splice` (`SPLICE_F_MOVE | SPLICE_F_NONBLOCK`).
    public func splice(fromPipe readEnd: Int32, count: Int) throws(Errno) -> IOResult<Int> {
        try nonBlocking { clinux_splice(readEnd, rawValue, count) }
    }
}
