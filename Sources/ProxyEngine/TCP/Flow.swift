// One direction of a relayed connection: bytes read from one socket that wait to be
// written to the other. The rules that give backpressure and half-close for free:
//   - read only while nothing is pending (`wantsRead`): a slow reader stops the writer's
//     socket from being read, so the kernel's windows push back on the sender;
//   - write only while something is pending (`wantsWrite`);
//   - once the source has ended and everything is written, the destination's write side
//     is shut down (`shouldShutDestination`), which relays a half-close.
// A flow holds a pooled buffer only while bytes are pending.
import LinuxIO

/// What a flow reads from: a socket, or a script in the tests.
protocol RelaySource: ~Copyable {
    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(Errno) -> IOResult<Int>
}

/// What a flow writes to: a socket, or a script in the tests.
protocol RelayDestination: ~Copyable {
    func write(from buffer: UnsafeRawPointer, count: Int) throws(Errno) -> IOResult<Int>
}

extension FileDescriptor: RelaySource, RelayDestination {}

// Fields are laid out widest first, and offsets are 32-bit (a buffer is at most 1 MiB): a
// connection holds two flows for its whole life, idle or not.
struct Flow: Equatable {
    var buffer: UnsafeMutableRawPointer?
    /// Total bytes relayed in this direction.
    var bytesMoved: UInt64 = 0
    /// Pending bytes are `buffer[start..<end]`.
    var start: Int32 = 0
    var end: Int32 = 0
    /// The source reported end of stream (read returned 0).
    var sourceEnded = false
    /// `shutdown(SHUT_WR)` was sent to the destination: this direction is finished.
    var destinationShut = false
    /// The last read filled the whole buffer, so more is probably waiting.
    var readFilledBuffer = false

    var pending: Int { Int(end &- start) }
    var wantsRead: Bool { !sourceEnded && pending == 0 }
    var wantsWrite: Bool { pending > 0 }
    var shouldShutDestination: Bool { sourceEnded && pending == 0 && !destinationShut }
    /// The source ended and every byte it sent was written: nothing more will move.
    var isDrained: Bool { sourceEnded && pending == 0 }
}

/// How a relay step ended.
enum PumpOutcome: Equatable {
    /// Nothing more can move now; wait for readiness.
    case idle
    /// The source or the destination failed: the connection must close.
    case failed(LinuxIO.Errno)
}

extension Flow {
    /// Most rounds of read-then-write in one step, so one busy connection cannot starve
    /// the others of its worker.
    static let roundsPerStep = 8

    /// Moves bytes from `source` to `destination` until one of them would block, the
    /// source ends, or the round budget is spent.
    mutating func pump<Source: RelaySource & ~Copyable, Destination: RelayDestination & ~Copyable>(
        from source: borrowing Source, to destination: borrowing Destination, pool: BufferPool
    ) -> PumpOutcome {
        do throws(Errno) {
            for _ in 0..<Self.roundsPerStep {
                if pending > 0 {
                    guard let buffer else { return .idle }
                    switch try destination.write(from: buffer + Int(start), count: pending) {
                    case .wouldBlock:
                        return .idle
                    case .done(let written):
                        start &+= Int32(truncatingIfNeeded: written)
                        bytesMoved += UInt64(written)
                        if pending > 0 { return .idle }  // the socket buffer is full
                        release(to: pool)
                        // A short read drained the socket; epoll (level-triggered) reports
                        // more when it comes, which saves a read that would only say EAGAIN.
                        if !readFilledBuffer { return .idle }
                    }
                }
                if sourceEnded { return .idle }
                let buffer = self.buffer ?? pool.take()
                self.buffer = buffer
                switch try source.read(into: buffer, count: pool.bufferSize) {
                case .wouldBlock:
                    release(to: pool)
                    return .idle
                case .done(0):
                    sourceEnded = true
                    release(to: pool)
                    return .idle
                case .done(let count):
                    start = 0
                    end = Int32(truncatingIfNeeded: count)
                    readFilledBuffer = count == pool.bufferSize
                }
            }
            return .idle
        } catch {
            return .failed(error)
        }
    }

    /// Gives the buffer back once nothing is pending.
    mutating func release(to pool: BufferPool) {
        if let buffer {
            pool.give(buffer)
            self.buffer = nil
        }
        start = 0
        end = 0
    }
}
