// Bytes of an HTTP session that are waiting: read and not yet parsed, or due to a peer and
// not yet written. Consumed from the front, appended at the back; the storage is reused
// while the session is busy and given back when it goes idle, so an idle keep-alive
// connection holds no buffer.

struct ByteQueue {
    private var storage: [UInt8] = []
    private var start = 0

    var count: Int { storage.count - start }
    var isEmpty: Bool { start == storage.count }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        storage.append(contentsOf: bytes)
    }

    mutating func append(_ bytes: [UInt8]) {
        storage.append(contentsOf: bytes)
    }

    /// Drops `count` bytes from the front.
    mutating func consume(_ count: Int) {
        start += count
        if start == storage.count {
            storage.removeAll(keepingCapacity: true)
            start = 0
        }
    }

    /// Calls `body` with the waiting bytes, in order.
    func withBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        storage.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[start...])) }
    }

    /// Gives the storage back to the allocator when nothing waits.
    mutating func releaseIfEmpty() {
        guard isEmpty, storage.capacity > 0 else { return }
        storage = []
        start = 0
    }
}
