// The log pipeline's ring: it keeps order, holds exactly its capacity, refuses the rest
// without changing, and wraps around without losing an element.
import Testing
import LogPipeline

@Suite struct BoundedQueueTests {
    @Test func holdsExactlyItsCapacityAndRefusesTheRest() {
        var queue = BoundedQueue<Int>(capacity: 3)
        #expect([1, 2, 3, 4, 5].map { queue.append($0) } == [true, true, true, false, false])
        #expect(queue.isFull && queue.count == 3)
        #expect(queue.removeAll() == [1, 2, 3], "what was refused left no trace")
        #expect(queue.isEmpty)
    }

    @Test func keepsOrderAcrossTheWrapAround() {
        var queue = BoundedQueue<Int>(capacity: 4)
        var taken: [Int] = []
        for value in 0..<10 {
            let appended = queue.append(value)
            #expect(appended)
            if queue.count == 3, let first = queue.removeFirst() { taken.append(first) }
        }
        taken += queue.removeAll()
        #expect(taken == Array(0..<10))
    }

    @Test func aCapacityBelowOneStillHoldsOne() {
        var queue = BoundedQueue<String>(capacity: 0)
        #expect(queue.capacity == 1)
        let appended = [queue.append("a"), queue.append("b")]
        #expect(appended == [true, false])
        let removed = [queue.removeFirst(), queue.removeFirst()]
        #expect(removed == ["a", nil])
    }
}
