// Unix stream sockets, for the daemon's local status socket: access is decided by the
// file's owner and mode, so only the daemon's user (and root) can ask it anything.
internal import CLinux

extension FileDescriptor {
    /// A non-blocking listening socket at `path` with file mode `mode`. A stale socket
    /// file from an earlier run is replaced.
    public static func unixListener(path: String, mode: UInt32 = 0o600, backlog: Int32 = 64) throws(Errno) -> FileDescriptor {
        let type = Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)
        let socket = FileDescriptor(owning: try retryingInterrupts { CLinux.socket(AF_UNIX, type, 0) })
        // A socket file that still answers belongs to a running daemon: leave it alone.
        // One that refuses is left over from a process that is gone.
        if (try? unixConnection(path: path)) != nil { throw Errno.addressInUse }
        _ = unlink(path)
        // Created with no permissions at all, then opened up to `mode`: no window in which
        // another user could connect.
        let previous = umask(0o777)
        defer { umask(previous) }
        try withUnixAddress(path) { (address, length) throws(Errno) in
            _ = try retryingInterrupts { clinux_bind(socket.rawValue, address, length) }
        }
        _ = try retryingInterrupts { chmod(path, mode_t(mode)) }
        _ = try retryingInterrupts { CLinux.listen(socket.rawValue, backlog) }
        return socket
    }

    /// A blocking connection to the unix socket at `path`.
    public static func unixConnection(path: String) throws(Errno) -> FileDescriptor {
        let type = Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue)
        let socket = FileDescriptor(owning: try retryingInterrupts { CLinux.socket(AF_UNIX, type, 0) })
        try withUnixAddress(path) { (address, length) throws(Errno) in
            _ = try retryingInterrupts { clinux_connect(socket.rawValue, address, length) }
        }
        return socket
    }

    private static func withUnixAddress(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) throws(Errno) -> Void) throws(Errno) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { throw Errno(rawValue: ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        try withUnsafePointer(to: &address) { (pointer) throws(Errno) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (raw) throws(Errno) in
                try body(raw, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
    }
}
