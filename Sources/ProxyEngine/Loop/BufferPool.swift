// Relay buffers. A direction of a connection holds a buffer only while bytes are in
// flight; it takes one from its worker's pool when it reads and gives it back as soon as
// everything is written. So an idle connection owns no buffer, and memory follows the
// number of busy connections, not open ones. One pool per worker: no locks.

final class BufferPool {
    /// What `make bench` chose (README, "Relay buffers"): bytes moved per read and write.
    /// 16 KiB beat 64 KiB on bulk transfer at one worker and at two (iperf3 1.25-1.30x the
    /// throughput at 0.66-0.68x the CPU per GB) and was no worse elsewhere: a 16 KiB
    /// buffer stays in the L1 and L2 caches between the read that fills it and the write
    /// that empties it. A stalled connection holds at most 16 KiB per direction.
    static let defaultBufferSize = 16 * 1024

    let bufferSize: Int
    private var free: [UnsafeMutableRawPointer] = []
    /// Free buffers kept for reuse; more are returned to the allocator.
    private let retained: Int

    init(bufferSize: Int = BufferPool.defaultBufferSize, retained: Int = 64) {
        self.bufferSize = bufferSize
        self.retained = retained
        free.reserveCapacity(retained)
    }

    func take() -> UnsafeMutableRawPointer {
        free.popLast() ?? UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 16)
    }

    func give(_ buffer: UnsafeMutableRawPointer) {
        if free.count < retained {
            free.append(buffer)
        } else {
            buffer.deallocate()
        }
    }

    deinit {
        for buffer in free { buffer.deallocate() }
    }
}
