// Which of the listening sockets that share a port (SO_REUSEPORT, one per worker) takes a
// new connection. Left alone, the kernel picks by a hash of the connection's addresses and
// ports; a classic BPF program attached to the group can pick instead.
internal import CLinux

extension FileDescriptor {
    /// Gives each new connection on this socket's port to the socket whose position in the
    /// group is the number of the CPU that received the connection's handshake, modulo
    /// `groupSize`: a NIC queue's flows (on loopback, a client thread's connections) go to
    /// one worker. Positions are the order in which the sockets started listening. The
    /// program is the group's, whichever of its sockets it was attached through.
    ///
    /// The corresponding C function is `setsockopt` with `SO_ATTACH_REUSEPORT_CBPF`.
    public func steerConnectionsByCPU(groupSize: Int) throws(Errno) {
        let size = UInt32(clamping: max(1, groupSize))
        _ = try retryingInterrupts { clinux_reuseport_steer_by_cpu(rawValue, size) }
    }

    /// Takes the group's program away: the kernel picks by hash again. A group without
    /// one is left as it is.
    ///
    /// The corresponding C function is `setsockopt` with `SO_DETACH_REUSEPORT_BPF`.
    public func steerConnectionsByHash() throws(Errno) {
        do {
            _ = try retryingInterrupts { clinux_reuseport_detach(rawValue) }
        } catch where error == .noEntry {
            return
        }
    }
}
