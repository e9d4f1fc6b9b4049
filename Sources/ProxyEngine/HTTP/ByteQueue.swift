// Bytes of an HTTP session that are waiting: read and not yet parsed, or due to a peer and
// not yet written. Consumed from the front, appended at the back, and read into straight
// from a socket (no buffer in between to copy out of); the storage is reused while the
// session is busy and given back when it goes idle, so an idle keep-alive connection holds
// no buffer. Its own memory rather than an array's, so that a read can fill the spare room
// at its end: noncopyable, and given back with it. The storage comes from the worker's
// BufferPool, which keeps blocks of the sizes reads ask for between requests.
import Glibc

struct ByteQueue: ~Copyable {
    private var storage: UnsafeMutableRawPointer?
    private var capacity = 0
    /// The waiting bytes are `storage[start..<end]`.
    private var start = 0
    private var end = 0
    /// Where storage comes from and goes back to; nil: straight from malloc(3).
    private let pool: BufferPool?

    init(pool: BufferPool? = nil) {
        self.pool = pool
    }

    deinit { release(storage, capacity: capacity) }

    var count: Int { end - start }
    var isEmpty: Bool { start == end }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        makeRoom(for: bytes.count)
        storage.unsafelyUnwrapped.advanced(by: end).copyMemory(from: source, byteCount: bytes.count)
        end += bytes.count
    }

    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Lets `fill` write up to `count` bytes at the end, and keeps as many as it says it
    /// wrote (none when it returns nil): a read straight into the queue.
    mutating func append<Failure: Error>(upTo count: Int,
                                         _ fill: (UnsafeMutableRawPointer, Int) throws(Failure) -> Int?) throws(Failure) -> Int? {
        makeRoom(for: count)
        guard let written = try fill(storage.unsafelyUnwrapped.advanced(by: end), count) else { return nil }
        end += written
        return written
    }

    /// Appends what `write` writes into the room at the end, `room` bytes of it at first and
    /// twice as many again for as long as `write` says it did not fit (nil); the count
    /// written.
    mutating func appendWritten(room: Int, _ write: (UnsafeMutableRawPointer, Int) -> Int?) -> Int {
        var room = max(room, 64)
        while true {
            if let written = append(upTo: room, write) { return written }
            room *= 2
        }
    }

    /// Reads into an empty queue as `append(upTo:_:)` does, but leaves `headroom` bytes
    /// free before what `receive` writes, for `prepend`, and room for `reserving` bytes in all
    /// after it: a response read where it will be written from, its head replaced in front
    /// of its body without moving the body.
    mutating func fill<Failure: Error>(leavingHeadroom headroom: Int, upTo count: Int, reserving: Int,
                                       _ receive: (UnsafeMutableRawPointer, Int) throws(Failure) -> Int?) throws(Failure) -> Int? {
        assert(isEmpty, "fill(leavingHeadroom:) reads into an empty queue")
        let needed = headroom + max(count, reserving)
        if capacity < needed { releaseIfEmpty() }  // then what is needed (a pool's block), not twice the old
        makeRoom(for: needed)
        start = headroom
        end = headroom
        let written = try append(upTo: count, receive)
        if isEmpty { consume(0) }
        return written
    }

    /// Puts `bytes` in front of the waiting ones, in the free room before them; false, and
    /// nothing changed, when that room is too small.
    mutating func prepend(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count <= start, let storage else { return bytes.isEmpty }
        guard let source = bytes.baseAddress else { return true }
        start -= bytes.count
        (storage + start).copyMemory(from: source, byteCount: bytes.count)
        return true
    }

    /// Moves the waiting bytes after the first `count` onto the end of `other`.
    mutating func moveTail(after count: Int, onto other: inout ByteQueue) {
        guard count < self.count else { return }
        withBytes { other.append(UnsafeRawBufferPointer(rebasing: $0[count...])) }
        end = start + count
        if start == end { consume(0) }
    }

    /// Makes room for `count` bytes after those waiting, so that appending them moves
    /// nothing.
    mutating func reserve(_ count: Int) {
        makeRoom(for: count)
    }

    /// Drops `count` bytes from the front.
    mutating func consume(_ count: Int) {
        start += count
        if start == end {
            start = 0
            end = 0
        }
    }

    /// Drops every waiting byte and gives the storage back.
    mutating func removeAll() {
        start = 0
        end = 0
        releaseIfEmpty()
    }

    /// Calls `body` with the waiting bytes, in order.
    func withBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        body(UnsafeRawBufferPointer(start: storage.map { $0 + start }, count: count))
    }

    /// Moves the waiting bytes into storage of their own size when they fill under a quarter
    /// of it: a queue left waiting on a slow peer then holds what it has to write, not the
    /// room its reads needed (a small response read in place sits in 48 KiB).
    /// That storage is the bytes' own size, from malloc(3), not the pool's.
    mutating func releaseSlack() {
        guard let storage, count > 0, count <= capacity / 4 else { return }
        let fitted = BufferPool.allocate(count)
        fitted.copyMemory(from: storage + start, byteCount: count)
        release(storage, capacity: capacity)
        self.storage = fitted
        capacity = count
        end = count
        start = 0
    }

    /// Gives the storage back when nothing waits.
    mutating func releaseIfEmpty() {
        guard isEmpty, let storage else { return }
        release(storage, capacity: capacity)
        self.storage = nil
        capacity = 0
    }

    /// Room for `more` bytes after the waiting ones: the waiting bytes moved to the front
    /// when that makes it, else a larger storage (twice the old, at least).
    private mutating func makeRoom(for more: Int) {
        if capacity - end >= more { return }
        let waiting = count
        if let storage, capacity - waiting >= more, waiting <= capacity / 2 {
            // At least half the storage comes free, so bytes are not moved again and again.
            memmove(storage, storage + start, waiting)
        } else {
            let (grown, newCapacity) = allocate(atLeast: max(2 * capacity, waiting + more))
            if let storage {
                grown.copyMemory(from: storage + start, byteCount: waiting)
                release(storage, capacity: capacity)
            }
            storage = grown
            capacity = newCapacity
        }
        start = 0
        end = waiting
    }

    @inline(__always)
    private func allocate(atLeast count: Int) -> (UnsafeMutableRawPointer, Int) {
        guard let pool else { return (BufferPool.allocate(count), count) }
        return pool.takeStorage(atLeast: count)
    }

    @inline(__always)
    private func release(_ storage: UnsafeMutableRawPointer?, capacity: Int) {
        guard let storage else { return }
        if let pool { pool.giveStorage(storage, capacity: capacity) } else { free(storage) }
    }
}
