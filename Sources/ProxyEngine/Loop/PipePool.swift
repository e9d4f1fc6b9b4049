// Relay pipes. A direction of a relayed connection moves its bytes socket → pipe → socket
// with splice(2), which spares the copy into user memory and back that a buffer costs
// (README, "Relay pipes"). Like a buffer, a pipe is held only while bytes are in it: a
// direction takes one from its worker's pool when it splices from its source and gives it
// back as soon as everything is spliced on, so an idle connection holds none. The pool is
// bounded, since each pipe is two descriptors and pins up to `capacity` bytes of pages; a
// direction that finds no pipe (all taken, or the kernel refused a new one) copies through
// a buffer instead. One pool per worker: no locks.
import LinuxIO

final class PipePool {
    /// A pipe the pool owns, by its two descriptor numbers.
    struct Ends {
        let readEnd: Int32
        let writeEnd: Int32
    }

    /// Bytes a pipe holds: the most one splice moves.
    let capacity: Int
    /// Most pipes open at once.
    let limit: Int
    /// Slot `n` (1-based: 0 means none) is `slots[n - 1]`; nil once its pipe was closed.
    private var slots: [Ends?] = []
    /// Slots whose pipe is open and empty.
    private var free: [UInt16] = []
    /// Slots whose pipe was closed, to open a new one in.
    private var vacant: [UInt16] = []
    /// After the kernel refused a pipe, no new one is asked for before this (monotonic
    /// nanoseconds): a process out of descriptors or pipe pages would otherwise pay a
    /// failing pipe2 on every read.
    private var retryAt: UInt64 = 0
    /// Why the kernel last refused a pipe, until the worker has logged it.
    var refusal: Errno?

    static let retryInterval: UInt64 = 1_000_000_000

    /// Opens a pipe of the given capacity; the tests stand in a kernel that refuses.
    private let open: (Int) throws(Errno) -> Pipe

    init(capacity: Int, limit: Int, open: @escaping (Int) throws(Errno) -> Pipe = { capacity throws(Errno) in
        try Pipe(capacity: capacity)
    }) {
        self.capacity = capacity
        self.limit = min(limit, Int(UInt16.max))
        self.open = open
        free.reserveCapacity(self.limit)
    }

    /// Pipes open now, empty or not.
    var openCount: Int { slots.count - vacant.count }

    /// The slot of an empty pipe, or 0 when none can be had.
    func take() -> UInt16 {
        if let slot = free.popLast() { return slot }
        guard openCount < limit else { return 0 }
        if retryAt != 0 {
            guard MonotonicClock.now() >= retryAt else { return 0 }
            retryAt = 0
        }
        let ends: (readEnd: Int32, writeEnd: Int32)
        do {
            ends = try open(capacity).releaseOwnership()
        } catch {
            refusal = error
            retryAt = MonotonicClock.now() + Self.retryInterval
            return 0
        }
        let opened = Ends(readEnd: ends.readEnd, writeEnd: ends.writeEnd)
        if let slot = vacant.popLast() {
            slots[Int(slot) - 1] = opened
            return slot
        }
        slots.append(opened)
        return UInt16(slots.count)
    }

    /// The pipe in `slot`, which must be taken.
    subscript(slot: UInt16) -> Ends {
        // A taken slot always holds an open pipe; the fallback only keeps the type total.
        slots[Int(slot) - 1] ?? Ends(readEnd: -1, writeEnd: -1)
    }

    /// Takes back the pipe in `slot`. One that still holds bytes (its connection failed
    /// mid-transfer) is closed rather than kept, so that no byte can reach another
    /// connection.
    func give(_ slot: UInt16, empty: Bool) {
        if empty {
            free.append(slot)
            return
        }
        if let ends = slots[Int(slot) - 1] {
            Pipe.close(readEnd: ends.readEnd, writeEnd: ends.writeEnd)
        }
        slots[Int(slot) - 1] = nil
        vacant.append(slot)
    }

    deinit {
        for case let ends? in slots { Pipe.close(readEnd: ends.readEnd, writeEnd: ends.writeEnd) }
    }
}
