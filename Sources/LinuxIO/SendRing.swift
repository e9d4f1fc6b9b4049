// Sends from buffers, queued during one turn of an event loop and made together in one
// io_uring_enter(2). Each send(2) that wakes a peer on this machine is a point where the
// scheduler may switch to that peer before the sender's next system call; a worker that
// relays many small messages was switched out that way about once per message (a quarter
// of a keep-alive request's CPU on two cores). Made in one call, the sends of a turn give
// the scheduler one such point, and the worker goes on to its next poll.
//
// Every send carries MSG_DONTWAIT: one the socket cannot take completes with EAGAIN inside
// the submit, as a non-blocking send(2) would, so no buffer or descriptor is in the
// kernel's hands once `submit` returns.
internal import CLinux

public final class SendRing {
    private let ring: OpaquePointer
    private var tokens: [UInt64]
    private var results: [Int32]
    /// Entries queued since the last submit, withdrawn ones included.
    public private(set) var queued = 0
    /// The tokens of the sends queued since the last submit and not withdrawn.
    private var live: [UInt64] = []

    /// A ring for up to `capacity` sends per submit. Fails where io_uring is missing,
    /// disabled (/proc/sys/kernel/io_uring_disabled, a seccomp filter) or older than
    /// Linux 6.1, whose deferred completion work it asks for. Make it on the thread that
    /// submits: another thread's submit fails (EEXIST).
    ///
    /// The corresponding C function is `io_uring_queue_init_params` (liburing).
    public init(capacity: Int) throws(Errno) {
        guard let ring = clinux_send_ring_open(UInt32(clamping: capacity)) else { throw Errno.current }
        self.ring = ring
        tokens = Array(repeating: 0, count: capacity)
        results = Array(repeating: 0, count: capacity)
        live.reserveCapacity(capacity)
    }

    deinit { clinux_send_ring_close(ring) }

    /// Queues a send of `count` bytes at `buffer` on `descriptor`, reported under `token`
    /// by the next `submit`; false when the ring is full (send now instead). The buffer
    /// and descriptor must stay as they are until then, or the send be withdrawn.
    /// `endFollows`: the caller shuts the socket's sending side as soon as the send
    /// completes whole (`Socket.send(from:count:endFollows:)` says why).
    public func queue(descriptor: Int32, buffer: UnsafeRawPointer, count: Int, token: UInt64, endFollows: Bool = false) -> Bool {
        guard queued < tokens.count,
              clinux_send_ring_queue(ring, descriptor, buffer, UInt32(clamping: count), token, endFollows ? 1 : 0) != 0
        else { return false }
        queued += 1
        live.append(token)
        return true
    }

    /// Withdraws the queued send reported under `token`, before its descriptor closes or
    /// its buffer is reused: it sends nothing and is not reported. False when there was
    /// none to withdraw: never queued, or submitted already (then it was made).
    @discardableResult
    public func withdraw(token: UInt64) -> Bool {
        guard clinux_send_ring_withdraw(ring, token) > 0 else { return false }
        if let index = live.firstIndex(of: token) { live.remove(at: index) }
        return true
    }

    /// Why the last submit's io_uring_enter(2) failed, if it did; its sends were reported
    /// as failed with this error.
    public private(set) var lastFailure: Errno?

    /// Makes the queued sends and calls `completed` with each one's token and result:
    /// bytes sent, or the error (EAGAIN: the socket's buffer is full). A send the kernel
    /// did not take (io_uring_enter(2) failed, as it may for want of memory) is reported
    /// with that error, and is never made later.
    ///
    /// The corresponding C functions are `io_uring_submit_and_wait` and `io_uring_for_each_cqe`.
    public func submit(_ completed: (UInt64, Result<Int, Errno>) -> Void) {
        guard queued > 0 else { return }
        let expected = Int32(queued)
        queued = 0
        var failure: Int32 = 0
        let count = Int(tokens.withUnsafeMutableBufferPointer { tokens in
            results.withUnsafeMutableBufferPointer { results in
                clinux_send_ring_submit(ring, tokens.baseAddress, results.baseAddress, expected, &failure)
            }
        })
        // Rare: sends without a completion, which the failed submit abandoned.
        let abandoned = count < live.count ? live.filter { !tokens.prefix(count).contains($0) } : []
        live.removeAll(keepingCapacity: true)
        for i in 0..<count {
            let result = results[i]
            completed(tokens[i], result >= 0 ? .success(Int(result)) : .failure(Errno(rawValue: -result)))
        }
        lastFailure = failure != 0 ? Errno(rawValue: failure) : nil
        let error = lastFailure ?? Errno(rawValue: EIO)
        for token in abandoned { completed(token, .failure(error)) }
    }
}
