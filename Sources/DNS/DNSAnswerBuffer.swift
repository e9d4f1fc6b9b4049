// Where a worker's answers are written: one allocation for the life of the worker, reused by
// every query, so that answering from the zone costs no heap traffic. It holds the message
// and the writer's table of name suffixes (for compression) side by side.

/// Reusable per-worker space for answers: keeps its capacity between queries.
public struct DNSAnswerBuffer: ~Copyable {
    /// The largest message TCP's 16-bit length prefix allows, and so any answer we send.
    static let defaultCapacity = 65_535
    /// Enough suffixes for any answer the zone gives; a message with more names compresses
    /// a little less.
    static let maximumSuffixes = 64

    let storage: UnsafeMutablePointer<UInt8>
    let suffixes: UnsafeMutablePointer<MessageWriter.Suffix>
    /// Bytes a message may take; a response never needs more than its limit.
    let capacity: Int
    /// The length of the last message written.
    private(set) var count = 0

    /// Room for any message, over UDP or TCP.
    public init() {
        self.init(capacity: Self.defaultCapacity)
    }

    /// Room for messages of `capacity` bytes: a response limited to fewer than 64 KiB (the
    /// array-returning paths, which copy the message out at once) needs no more.
    init(capacity: Int) {
        self.capacity = capacity
        storage = .allocate(capacity: capacity)
        suffixes = .allocate(capacity: Self.maximumSuffixes)
    }

    deinit {
        storage.deallocate()
        suffixes.deallocate()
    }

    /// The last answer written (valid until the next resolve into this buffer, and while the
    /// buffer lives).
    public var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage, count: count)
    }

    /// The last answer written, for the duration of `body`.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(bytes)
    }

    /// A writer from the start of the buffer; `finish(_:)` records what it wrote. The writer
    /// points into the buffer, so it must not outlive it.
    func writer() -> MessageWriter {
        MessageWriter(storage: storage, capacity: capacity, suffixes: suffixes, maximumSuffixes: Self.maximumSuffixes)
    }

    /// Makes `count` bytes the buffer's message.
    mutating func finish(count: Int) {
        self.count = count
    }

    /// The first `count` bytes as an array: the paths that hand out arrays.
    func array(count: Int) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: storage, count: count))
    }
}
