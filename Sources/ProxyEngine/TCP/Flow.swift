// One direction of a relayed connection: bytes read from one socket that wait to be
// written to the other. The rules that give backpressure and half-close for free:
//   - read only while nothing is pending (`wantsRead`): a slow reader stops the writer's
//     socket from being read, so the kernel's windows push back on the sender;
//   - write only while something is pending (`wantsWrite`);
//   - once the source has ended and everything is written, the destination's write side
//     is shut down (`shouldShutDestination`), which relays a half-close.
// Pending bytes wait in a buffer, or, once the source streams (a read filled a buffer), in
// a pipe: spliced, never copied into user memory. Small messages are copied: for them a
// splice saves the copy of a few hundred bytes and costs a pipe's bookkeeping (HAProxy's
// `splice-auto` makes the same choice). A flow holds a buffer or a pipe only while bytes
// are pending.
import LinuxIO

/// What a flow reads from: a socket, or a script in the tests.
protocol RelaySource: ~Copyable {
    func receive(into buffer: UnsafeMutableRawPointer, count: Int) throws(Errno) -> IOResult<Int>
    func splice(toPipe writeEnd: Int32, count: Int) throws(Errno) -> IOResult<Int>
}

/// What a flow writes to: a socket, or a script in the tests.
protocol RelayDestination: ~Copyable {
    /// `endFollows`: the destination's sending side is shut right after a send that
    /// takes everything (`Socket.send(from:count:endFollows:)`).
    func send(from buffer: UnsafeRawPointer, count: Int, endFollows: Bool) throws(Errno) -> IOResult<Int>
    func splice(fromPipe readEnd: Int32, count: Int) throws(Errno) -> IOResult<Int>
}

extension FileDescriptor: RelaySource, RelayDestination {}

// Fields are laid out widest first, and offsets are 32-bit (a buffer is at most 1 MiB): a
// connection holds two flows for its whole life, idle or not.
struct Flow: Equatable {
    var buffer: UnsafeMutableRawPointer?
    /// Total bytes relayed in this direction.
    var bytesMoved: UInt64 = 0
    /// Pending bytes are `buffer[start..<end]`, or the `end - start` bytes in the pipe.
    var start: Int32 = 0
    var end: Int32 = 0
    /// The PipePool slot of the pipe that holds the pending bytes; 0 when they are in
    /// `buffer`, or none are pending.
    var pipe: UInt16 = 0
    /// The source reported end of stream (read returned 0), or was reset.
    var sourceEnded = false
    /// The source was reset behind the bytes still pending, found by the read that looked
    /// for its end (`readToEnd`): once they are written the flow fails, as it would have
    /// had the reset been found by the next step's read.
    var sourceReset = false
    /// `shutdown(SHUT_WR)` was sent to the destination: this direction is finished.
    var destinationShut = false
    /// The last read filled the whole buffer, so more is probably waiting.
    var readFilledBuffer = false
    /// The last read moved at least a buffer's worth: the source streams, and the next
    /// read splices when a pipe can be had.
    var streaming = false
    /// The pending bytes wait in a SendRing for the end of the loop's turn
    /// (`sendCompleted` reports what became of them); nothing moves until then.
    var sendQueued = false

    var pending: Int { Int(end &- start) }
    var wantsRead: Bool { !sourceEnded && pending == 0 }
    var wantsWrite: Bool { pending > 0 }
    var shouldShutDestination: Bool { sourceEnded && !sourceReset && pending == 0 && !destinationShut }
    /// The pending bytes are the last, and a shutdown or close follows them at once: they
    /// can wait in the socket for the FIN (`Socket.send(from:count:endFollows:)`). Not
    /// before a reset, which would discard them.
    var endFollows: Bool { sourceEnded && !sourceReset }
    /// The source ended and every byte it sent was written: nothing more will move.
    var isDrained: Bool { sourceEnded && pending == 0 }
}

/// A ring to leave a message's send in until the end of the loop's turn, with the
/// destination and the token its completion comes back under.
struct DeferredSend {
    /// Unowned: the handler holds the ring for the life of its worker, and a relay step
    /// then pays no reference counting for it.
    unowned(unsafe) let ring: SendRing
    let descriptor: Int32
    let token: UInt64
}

/// How a relay step ended.
enum PumpOutcome: Equatable {
    /// Nothing more can move now; wait for readiness.
    case idle
    /// The source or the destination failed: the connection must close.
    case failed(LinuxIO.Errno)
}

extension Flow {
    /// Most bytes one step reads, so one busy connection cannot starve the others of its
    /// worker. Counted in bytes, not rounds, so that a step is as long whether it copies
    /// (64 rounds of 16 KiB) or splices (4 of 256 KiB).
    static let bytesPerStep = 1 << 20

    /// Moves bytes from `source` to `destination` until one of them would block, the
    /// source ends, or the step's byte budget is spent. Bytes go through a pipe from `pipes`
    /// while the source streams and one can be had, else through a buffer from `pool`.
    /// A message (a read that did not fill the buffer) is sent through `deferring` when
    /// given: the sends of a turn are then made together (SendRing says why). A stream's
    /// full buffers are sent at once, so that the step can read on. `sourceHungUp`: epoll
    /// reported the source's end (EPOLLRDHUP), so a short read is followed by the read
    /// that finds it, and the last bytes go out with the FIN (`Socket.send(from:count:endFollows:)`).
    mutating func pump<Source: RelaySource & ~Copyable, Destination: RelayDestination & ~Copyable>(
        from source: borrowing Source, to destination: borrowing Destination, pool: BufferPool, pipes: PipePool?,
        deferring: DeferredSend? = nil, sourceHungUp: Bool = false
    ) -> PumpOutcome {
        guard !sendQueued else { return .idle }
        do throws(Errno) {
            var budget = Self.bytesPerStep
            while budget > 0 {
                if pending > 0 {
                    if !readFilledBuffer, pipe == 0, let deferring, let buffer,
                       deferring.ring.queue(descriptor: deferring.descriptor, buffer: buffer + Int(start), count: pending,
                                            token: deferring.token, endFollows: endFollows) {
                        sendQueued = true
                        return .idle
                    }
                    guard case .done(let written) = try write(to: destination, pipes: pipes, endFollows: endFollows) else {
                        return .idle
                    }
                    start &+= Int32(truncatingIfNeeded: written)
                    bytesMoved += UInt64(written)
                    if pending > 0 { return .idle }  // the socket buffer is full
                    release(to: pool, pipes: pipes)
                    if sourceReset { return .failed(.connectionReset) }
                    // A short read drained the socket; epoll (level-triggered) reports
                    // more when it comes, which saves a read that would only say EAGAIN.
                    if !readFilledBuffer { return .idle }
                }
                if sourceEnded { return .idle }
                switch try read(from: source, pool: pool, pipes: pipes) {
                case .wouldBlock:
                    release(to: pool, pipes: pipes)
                    return .idle
                case .done(0):
                    sourceEnded = true
                    release(to: pool, pipes: pipes)
                    return .idle
                case .done(let count):
                    took(count, pool: pool, pipes: pipes)
                    budget -= count
                    if sourceHungUp, !readFilledBuffer { budget -= try readToEnd(from: source, pool: pool) }
                }
            }
            return .idle
        } catch {
            return .failed(error)
        }
    }

    /// What became of the send left in a SendRing: the bytes it took are no longer
    /// pending (all of them, usually: the buffer then goes back to `pool`); EAGAIN leaves
    /// them for the destination's writability; another error fails the flow.
    mutating func sendCompleted(_ result: Result<Int, Errno>, pool: BufferPool) -> PumpOutcome {
        sendQueued = false
        switch result {
        case .success(let written):
            start &+= Int32(truncatingIfNeeded: written)
            bytesMoved += UInt64(written)
            guard pending == 0 else { return .idle }
            release(to: pool, pipes: nil)
            return sourceReset ? .failed(.connectionReset) : .idle
        case .failure(let error):
            return error == .wouldBlock ? .idle : .failed(error)
        }
    }

    /// Bytes a read just put in the buffer or pipe are pending.
    private mutating func took(_ count: Int, pool: BufferPool, pipes: PipePool?) {
        start = 0
        end = Int32(truncatingIfNeeded: count)
        readFilledBuffer = count == (pipe != 0 ? pipes?.capacity : pool.bufferSize)
        streaming = count >= min(pool.bufferSize, pipes?.capacity ?? pool.bufferSize)
    }

    /// After a short read from a source that epoll reported ended: reads what is left into
    /// the buffer's free part, which finds the end of stream now rather than a turn later,
    /// while the bytes before it are still pending: they can then leave with the FIN.
    /// Returns how many bytes it read. A reset found here (an endpoint that answers and
    /// resets) waits until the bytes before it are written (`sourceReset`).
    private mutating func readToEnd<Source: RelaySource & ~Copyable>(from source: borrowing Source, pool: BufferPool) throws(Errno) -> Int {
        guard pipe == 0, let buffer, Int(end) < pool.bufferSize else { return 0 }
        let result: IOResult<Int>
        do {
            result = try source.receive(into: buffer + Int(end), count: pool.bufferSize - Int(end))
        } catch .connectionReset {
            sourceEnded = true
            sourceReset = true
            return 0
        }
        switch result {
        case .wouldBlock:
            return 0
        case .done(0):
            sourceEnded = true
            return 0
        case .done(let count):
            end &+= Int32(truncatingIfNeeded: count)
            readFilledBuffer = Int(end) == pool.bufferSize
            return count
        }
    }

    /// Reads, once and into a buffer, what `source` holds before the destination is known
    /// to be connected: a client's first bytes usually arrive with its connection, and
    /// once read they can go out on the endpoint socket as soon as it is connected, with
    /// no turn of the loop to report them (HAProxy reads a new connection at once too).
    /// Nothing is read while bytes are pending or after the end.
    mutating func readAhead<Source: RelaySource & ~Copyable>(from source: borrowing Source, pool: BufferPool) throws(Errno) {
        guard pending == 0, !sourceEnded else { return }
        switch try read(from: source, pool: pool, pipes: nil) {
        case .wouldBlock:
            release(to: pool, pipes: nil)
        case .done(0):
            sourceEnded = true
            release(to: pool, pipes: nil)
        case .done(let count):
            took(count, pool: pool, pipes: nil)
        }
    }

    /// Writes the pending bytes once; whether the destination took any. A stream socket
    /// still connecting takes none (EAGAIN), and one whose connect failed says why, so
    /// bytes are never lost to a connect that does not succeed. Never held for a FIN:
    /// what follows is the connect's wait, or a reset.
    mutating func writeAhead<Destination: RelayDestination & ~Copyable>(
        to destination: borrowing Destination, pool: BufferPool, pipes: PipePool?
    ) throws(Errno) -> Bool {
        guard pending > 0, case .done(let written) = try write(to: destination, pipes: pipes, endFollows: false), written > 0 else {
            return false
        }
        start &+= Int32(truncatingIfNeeded: written)
        bytesMoved += UInt64(written)
        if pending == 0 { release(to: pool, pipes: pipes) }
        return true
    }

    /// One read: into a pipe taken from `pipes` while the source streams, else (or when
    /// no pipe can be had) into a buffer.
    private mutating func read<Source: RelaySource & ~Copyable>(
        from source: borrowing Source, pool: BufferPool, pipes: PipePool?
    ) throws(Errno) -> IOResult<Int> {
        if pipe == 0, streaming, let pipes { pipe = pipes.take() }
        if pipe != 0, let pipes {
            let spliced = try source.splice(toPipe: pipes[pipe].writeEnd, count: pipes.capacity)
            if case .done(let count) = spliced, count > 0 { return spliced }
            // splice stops at an urgent (MSG_OOB) byte and stays there, saying EAGAIN, or 0
            // as at the end, while bytes wait behind it; recv steps past it (SO_OOBINLINE is
            // off) and tells a real end. So an empty splice is confirmed by a read.
            pipes.give(pipe, empty: true)
            pipe = 0
            streaming = false
        }
        let buffer = self.buffer ?? pool.take()
        self.buffer = buffer
        return try source.receive(into: buffer, count: pool.bufferSize)
    }

    /// One write of the pending bytes, from the pipe or the buffer they are in; `endFollows`
    /// as for `Socket.send(from:count:endFollows:)`.
    private func write<Destination: RelayDestination & ~Copyable>(
        to destination: borrowing Destination, pipes: PipePool?, endFollows: Bool
    ) throws(Errno) -> IOResult<Int> {
        if pipe != 0, let pipes {
            return try destination.splice(fromPipe: pipes[pipe].readEnd, count: pending)
        }
        guard let buffer else { return .wouldBlock }
        return try destination.send(from: buffer + Int(start), count: pending, endFollows: endFollows)
    }

    /// Gives the buffer or pipe back: once nothing is pending, or when the connection
    /// closes (a pipe that still holds bytes is then closed, not reused).
    mutating func release(to pool: BufferPool, pipes: PipePool?) {
        if let buffer {
            pool.give(buffer)
            self.buffer = nil
        }
        if pipe != 0 {
            pipes?.give(pipe, empty: pending == 0)
            pipe = 0
        }
        start = 0
        end = 0
    }
}
