// A first-in, first-out ring of fixed capacity that refuses what does not fit instead of
// growing: the log pipeline's buffer between the threads that log and the one that writes.
// It is plain data with no lock of its own, so that it is tested without threads; the
// pipeline guards it.

/// A FIFO queue that holds at most `capacity` elements.
public struct BoundedQueue<Element> {
    private var slots: [Element?]
    private var head = 0
    public private(set) var count = 0

    /// - Parameter capacity: the most elements held at once; at least 1.
    public init(capacity: Int) {
        slots = Array(repeating: nil, count: max(capacity, 1))
    }

    public var capacity: Int { slots.count }
    public var isEmpty: Bool { count == 0 }
    public var isFull: Bool { count == slots.count }

    /// Appends `element` if there is room.
    ///
    /// - Returns: false, and the queue unchanged, when it is full.
    public mutating func append(_ element: Element) -> Bool {
        guard !isFull else { return false }
        slots[(head + count) % slots.count] = element
        count += 1
        return true
    }

    /// Removes and returns every element, oldest first.
    public mutating func removeAll() -> [Element] {
        var taken: [Element] = []
        taken.reserveCapacity(count)
        while let element = removeFirst() { taken.append(element) }
        return taken
    }

    /// Removes and returns the oldest element, if any.
    public mutating func removeFirst() -> Element? {
        guard count > 0 else { return nil }
        let element = slots[head]
        slots[head] = nil
        head = (head + 1) % slots.count
        count -= 1
        return element
    }
}
