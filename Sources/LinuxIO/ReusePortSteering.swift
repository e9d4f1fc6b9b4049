// Which of the listening sockets that share a port (SO_REUSEPORT, one per worker) takes a
// new connection. Left alone, the kernel picks by a hash of the connection's addresses and
// ports; a classic BPF program attached to the group can pick instead. The program is the
// group's, whichever of its sockets it was attached through, and covers sockets that join
// the group later.
internal import CLinux

extension FileDescriptor {
    /// Gives each new connection on this socket's port to the socket whose position in the
    /// group is the number of the CPU that received the connection's handshake, modulo
    /// `groupSize`: a NIC queue's flows (on loopback, a client thread's connections) go to
    /// one socket. A socket joins the end of the group when it starts listening, and when
    /// one leaves, the last takes its place; a position past the end leaves the choice to
    /// the hash.
    ///
    /// The corresponding C function is `setsockopt` with `SO_ATTACH_REUSEPORT_CBPF`.
    public func steerConnectionsByCPU(groupSize: Int) throws(Errno) {
        let size = UInt32(clamping: max(1, groupSize))
        _ = try retryingInterrupts { clinux_reuseport_steer_by_cpu(rawValue, size) }
    }

    /// Leaves the choice to the kernel's hash again, with a program that picks no position.
    ///
    /// The corresponding C function is `setsockopt` with `SO_ATTACH_REUSEPORT_CBPF`.
    public func steerConnectionsByHash() throws(Errno) {
        _ = try retryingInterrupts { clinux_reuseport_steer_by_hash(rawValue) }
    }
}
