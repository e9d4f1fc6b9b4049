// The queue of relayed connections waiting for keepalive on their endpoint socket: first
// in, first out, nothing handed out before it is due, and taken entries dropped so the
// array stays within twice what waits.
import Testing
@testable import ProxyEngine

@Suite struct KeepAliveQueueTests {
    @Test func entriesComeOutInOrderOnlyOnceDue() {
        var queue = KeepAliveQueue()
        #expect(queue.earliestDue == nil)
        #expect(queue.popDue(now: .max) == nil)
        for due in [10, 10, 20, 30].map(UInt64.init) {
            queue.append(.init(due: due, slot: UInt32(due), tag: UInt32(queue.count)))
        }
        #expect(queue.earliestDue == 10)
        #expect(queue.popDue(now: 9) == nil, "not due yet")
        #expect(queue.popDue(now: 10) == .init(due: 10, slot: 10, tag: 0))
        #expect(queue.popDue(now: 10) == .init(due: 10, slot: 10, tag: 1))
        #expect(queue.popDue(now: 19) == nil)
        #expect(queue.earliestDue == 20)
        #expect(queue.popDue(now: 100)?.due == 20)
        #expect(queue.popDue(now: 100)?.due == 30)
        #expect(queue.popDue(now: 100) == nil)
        #expect(queue.count == 0 && queue.earliestDue == nil)
    }

    @Test func aLongRunKeepsOrderAcrossCompactionsAndCountsWhatWaits() {
        var queue = KeepAliveQueue()
        var next: UInt64 = 0
        var expected: UInt64 = 0
        // Appends run ahead of the pops by up to 3,000, so the taken entries are dropped
        // from the front many times while others wait.
        for round in 0..<200 {
            for _ in 0..<(round % 3 == 0 ? 300 : 100) {
                queue.append(.init(due: next, slot: UInt32(truncatingIfNeeded: next), tag: 0))
                next += 1
            }
            while queue.count > 2_000, let entry = queue.popDue(now: .max) {
                #expect(entry.due == expected)
                expected += 1
            }
            #expect(queue.count == Int(next - expected))
        }
        while let entry = queue.popDue(now: .max) {
            #expect(entry.due == expected)
            expected += 1
        }
        #expect(expected == next)
    }

    @Test func itIsFullAtItsCapacity() {
        var queue = KeepAliveQueue()
        for index in 0..<KeepAliveQueue.capacity - 1 { queue.append(.init(due: UInt64(index), slot: 0, tag: 0)) }
        #expect(!queue.isFull)
        queue.append(.init(due: UInt64(KeepAliveQueue.capacity), slot: 0, tag: 0))
        #expect(queue.isFull)
        _ = queue.popDue(now: 0)
        #expect(!queue.isFull)
    }
}
