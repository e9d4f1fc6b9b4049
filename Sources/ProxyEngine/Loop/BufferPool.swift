// Relay buffers and the Ingress's queue storage. A direction of a connection holds a buffer
// only while bytes are in flight; it takes one from its worker's pool when it reads and
// gives it back as soon as everything is written. So an idle connection owns no buffer, and
// memory follows the number of busy connections, not open ones. One pool per worker: no
// locks.
//
// Blocks of the two sizes reads ask for are kept for reuse, a bounded number of each:
// `bufferSize` (a relay buffer, an HTTP read) and `largeBufferSize` (an HTTP response read
// where it is written from). glibc keeps freed blocks per thread only up to 1 KiB; one of 16
// or 48 KiB went back to its arena, and every keep-alive request through the Ingress took
// three from malloc and gave them back (500-800 instructions a request, 1,600 for a request
// on a connection of its own, `bench/instructions-per-request --ingress` and
// `--ingress-close`). What is kept stays with the worker: a reload's malloc_trim(3) does
// not reach it. Blocks come from
// malloc(3) and go back with free(3): Swift's own raw allocation asks for its alignment
// through posix_memalign(3), twice malloc's instructions for the same 16 bytes.
import Glibc

final class BufferPool {
    /// What `make bench` chose (README, "Relay buffers"): bytes moved per read and write.
    /// 16 KiB beat 64 KiB on bulk transfer at one worker and at two (iperf3 1.25-1.30x the
    /// throughput at 0.66-0.68x the CPU per GB) and was no worse elsewhere: a 16 KiB
    /// buffer stays in the L1 and L2 caches between the read that fills it and the write
    /// that empties it. A stalled connection holds at most 16 KiB per direction.
    static let defaultBufferSize = 16 * 1024

    let bufferSize: Int
    /// Room for a response read in place (HTTPExchangeSteps, `readInPlace`): two buffers'
    /// read and a buffer's more behind it, after room for a head in front of them
    /// (`responseHeadroom`, 128 bytes; 256 here).
    let largeBufferSize: Int
    /// Free blocks kept for reuse, of each size; more are returned to the allocator.
    private var free: FreeBlocks
    private var freeLarge: FreeBlocks
    /// At most this many bytes of large blocks are kept: 21 blocks of 48 KiB with the
    /// default buffer size, one with the largest (1 MiB buffers).
    static let retainedLargeBytes = 1 << 20

    init(bufferSize: Int = BufferPool.defaultBufferSize, retained: Int = 64, retainedLarge: Int? = nil) {
        self.bufferSize = bufferSize
        largeBufferSize = 3 * bufferSize + 256
        free = FreeBlocks(limit: retained)
        freeLarge = FreeBlocks(limit: retainedLarge ?? max(1, Self.retainedLargeBytes / largeBufferSize))
    }

    /// A relay buffer of `bufferSize` bytes.
    @inline(__always)
    func take() -> UnsafeMutableRawPointer {
        free.pop() ?? Self.allocate(bufferSize)
    }

    @inline(__always)
    func give(_ buffer: UnsafeMutableRawPointer) {
        if !free.push(buffer) { Glibc.free(buffer) }
    }

    /// Storage of at least `count` bytes and its size: a kept block when one of the two
    /// sizes holds it, else a block of its own size.
    @inline(__always)
    func takeStorage(atLeast count: Int) -> (storage: UnsafeMutableRawPointer, capacity: Int) {
        if count <= bufferSize { return (take(), bufferSize) }
        if count <= largeBufferSize { return (freeLarge.pop() ?? Self.allocate(largeBufferSize), largeBufferSize) }
        return (Self.allocate(count), count)
    }

    /// Takes back storage from `takeStorage`, or from the allocator, of `capacity` bytes.
    @inline(__always)
    func giveStorage(_ storage: UnsafeMutableRawPointer, capacity: Int) {
        if capacity == bufferSize {
            give(storage)
        } else if capacity != largeBufferSize || !freeLarge.push(storage) {
            Glibc.free(storage)
        }
    }

    /// How many blocks wait for reuse, of each size.
    var kept: (buffers: Int, large: Int) { (free.count, freeLarge.count) }

    static func allocate(_ byteCount: Int) -> UnsafeMutableRawPointer {
        // Out of memory ends the process, as any allocation of Swift's own would.
        guard let block = malloc(byteCount) else { fatalError("malloc(\(byteCount)) failed: out of memory") }
        return block
    }
}

/// Up to `limit` free blocks, last in first out: the block that was used last is the one
/// most likely still in the cache. A stack of raw slots, not an array, whose every change
/// checked its uniqueness and capacity.
private struct FreeBlocks: ~Copyable {
    private let slots: UnsafeMutablePointer<UnsafeMutableRawPointer>
    private(set) var count = 0
    private let limit: Int

    init(limit: Int) {
        self.limit = limit
        slots = .allocate(capacity: max(limit, 1))
    }

    @inline(__always)
    mutating func pop() -> UnsafeMutableRawPointer? {
        guard count > 0 else { return nil }
        count -= 1
        return slots[count]
    }

    /// Keeps `block`, unless `limit` are kept: false then, and the caller frees it.
    @inline(__always)
    mutating func push(_ block: UnsafeMutableRawPointer) -> Bool {
        guard count < limit else { return false }
        slots[count] = block
        count += 1
        return true
    }

    deinit {
        for index in 0..<count { free(slots[index]) }
        slots.deallocate()
    }
}
