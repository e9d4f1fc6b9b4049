// Datagrams in batches: one recvmmsg fills up to `capacity` slots, each with its bytes and
// its sender; one sendmmsg sends a reply for each, to the address the request came from.
// A server answering many small datagrams (the cluster DNS) then pays one system call, and
// wakes its clients once, per batch rather than per datagram.
internal import CLinux

/// Slots for a batch of datagrams received, and the replies sent back to their senders.
/// Everything is allocated once, here; reused batch after batch by one thread.
public final class DatagramBatch {
    /// Datagrams per batch.
    public let capacity: Int
    /// Bytes per received datagram; a longer one is reported truncated.
    public let slotSize: Int
    /// Bytes per reply.
    public let replySize: Int
    private let buffers: UnsafeMutableRawPointer
    private let replyBuffers: UnsafeMutableRawPointer
    private let messages: UnsafeMutablePointer<clinux_mmsghdr>
    private let vectors: UnsafeMutablePointer<iovec>
    private let addresses: UnsafeMutablePointer<sockaddr_storage>
    /// Received in the last `receive`.
    public private(set) var count = 0
    /// Replies set for this batch: slot numbers in order, for `sendReplies`.
    private var replies: [Int32]

    public init(capacity: Int, slotSize: Int, replySize: Int) {
        self.capacity = capacity
        self.slotSize = slotSize
        self.replySize = replySize
        buffers = .allocate(byteCount: capacity * slotSize, alignment: 16)
        replyBuffers = .allocate(byteCount: capacity * replySize, alignment: 16)
        messages = .allocate(capacity: capacity)
        vectors = .allocate(capacity: capacity)
        addresses = .allocate(capacity: capacity)
        replies = []
        replies.reserveCapacity(capacity)
    }

    deinit {
        buffers.deallocate()
        replyBuffers.deallocate()
        messages.deallocate()
        vectors.deallocate()
        addresses.deallocate()
    }

    /// The bytes of received datagram `index` (cut to the slot when it was longer).
    public func datagram(_ index: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: buffers + index * slotSize, count: min(Int(messages[index].msg_len), slotSize))
    }

    /// Whether datagram `index` was longer than its slot: its end is lost.
    public func isTruncated(_ index: Int) -> Bool { messages[index].msg_hdr.msg_flags & Int32(MSG_TRUNC) != 0 }

    /// Who sent datagram `index`.
    public func sender(_ index: Int) -> SocketAddress? { SocketAddress(storage: addresses[index]) }

    /// Reads up to `capacity` datagrams at once from `socket`.
    ///
    /// The corresponding C function is `recvmmsg`.
    public func receive(from socket: borrowing FileDescriptor) throws(Errno) -> IOResult<Int> {
        for index in 0..<capacity {
            vectors[index] = iovec(iov_base: buffers + index * slotSize, iov_len: slotSize)
            messages[index] = clinux_mmsghdr(
                msg_hdr: msghdr(msg_name: UnsafeMutableRawPointer(addresses + index), msg_namelen: socklen_t(MemoryLayout<sockaddr_storage>.size),
                                msg_iov: vectors + index, msg_iovlen: 1, msg_control: nil, msg_controllen: 0, msg_flags: 0),
                msg_len: 0)
        }
        replies.removeAll(keepingCapacity: true)
        count = 0
        switch try nonBlocking({ clinux_recvmmsg(socket.rawValue, messages, UInt32(capacity)) }) {
        case .wouldBlock:
            return .wouldBlock
        case .done(let received):
            count = Int(received)
            return .done(count)
        }
    }

    /// Where the reply to datagram `index` is written, `replySize` bytes.
    public func replyBuffer(_ index: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: replyBuffers + index * replySize, count: replySize)
    }

    /// Marks the first `length` bytes of `replyBuffer(index)` as the reply to datagram `index`.
    public func reply(to index: Int, length: Int) {
        vectors[index] = iovec(iov_base: replyBuffers + index * replySize, iov_len: min(length, replySize))
        messages[index].msg_hdr.msg_flags = 0
        replies.append(Int32(index))
    }

    /// Sends every reply set, each to the sender of its datagram, in as few calls as the
    /// socket takes; a reply the socket refuses (a full buffer) is dropped, as the network
    /// would drop it. Returns how many were sent.
    ///
    /// The corresponding C function is `sendmmsg`.
    @discardableResult
    public func sendReplies(on socket: borrowing FileDescriptor) -> Int {
        guard !replies.isEmpty else { return 0 }
        // Pack the replies' messages to the front, in order: sendmmsg takes a contiguous run.
        for (position, index) in replies.enumerated() where Int(index) != position {
            messages[position] = messages[Int(index)]
        }
        var sent = 0, next = 0
        while next < replies.count {
            let result = clinux_sendmmsg(socket.rawValue, messages + next, UInt32(replies.count - next))
            if result > 0 {
                sent += Int(result)
                next += Int(result)
            } else if clinux_errno() == EINTR {
                continue
            } else {
                next += 1  // this one cannot go (EAGAIN, or refused): the others still may
            }
        }
        replies.removeAll(keepingCapacity: true)
        return sent
    }
}
