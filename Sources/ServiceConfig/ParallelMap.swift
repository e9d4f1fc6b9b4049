// Reading a large configuration is mostly composing and decoding documents, and documents
// do not depend on one another: on a machine with several cores they are read side by
// side. Results come back in the order of the inputs, so errors and objects keep their
// document order whatever thread read them.
import Dispatch
import Foundation

enum ParallelMap {
    /// Below this many items one thread does it all: starting threads costs more than it saves.
    static let minimumItems = 64
    /// Items one thread takes at a time: large enough that taking is rare, small enough
    /// that threads finish together.
    static let batch = 16

    /// `transform` of each of `items`, in their order: on the dispatch pool's threads (one
    /// per active core) when `sideBySide` (by default, when the machine has several cores
    /// and there are enough items), else on this thread.
    static func map<Item: Sendable, Result: Sendable>(
        _ items: [Item], sideBySide: Bool? = nil, _ transform: @escaping @Sendable (Item) -> Result
    ) -> [Result] {
        let parallel = sideBySide ?? (ProcessInfo.processInfo.activeProcessorCount > 1 && items.count >= minimumItems)
        guard parallel else { return items.map(transform) }
        let slots = Slots<Result>(count: items.count)
        let batches = (items.count + batch - 1) / batch
        // Each batch writes only its own slots, and concurrentPerform returns only when
        // every batch has: no slot is read before it is written or written twice.
        DispatchQueue.concurrentPerform(iterations: batches) { number in
            let range = number * batch..<min(items.count, (number + 1) * batch)
            for index in range { slots.store(transform(items[index]), at: index) }
        }
        return slots.take()
    }
}

/// Result slots written from several threads, each slot by one of them.
private final class Slots<Value>: @unchecked Sendable {
    private let storage: UnsafeMutableBufferPointer<Value?>

    init(count: Int) {
        storage = .allocate(capacity: count)
        storage.initialize(repeating: nil)
    }

    deinit {
        storage.deinitialize()
        storage.deallocate()
    }

    func store(_ value: Value, at index: Int) { storage[index] = value }

    /// Every slot's value, once all are written (concurrentPerform has returned).
    func take() -> [Value] { storage.compactMap { $0 } }
}
