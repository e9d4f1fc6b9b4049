// The Ingress session's byte queue: bytes come out as they went in, in order, whatever mix
// of appends, reads into its room, partial consumes and growth they went through.
import Testing
@testable import ProxyEngine

private func contents(_ queue: borrowing ByteQueue) -> [UInt8] {
    queue.withBytes { Array($0) }
}

@Suite struct ByteQueueTests {
    @Test func bytesComeOutInOrderThroughGrowthAndCompaction() {
        var queue = ByteQueue()
        var expected: [UInt8] = []
        var generator = SystemRandomNumberGenerator()
        for round in 0..<2000 {
            let size = Int.random(in: 0...3000, using: &generator)
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &+ round) }
            if round % 3 == 0 {
                // A read into the queue's room that fills only part of what it was offered.
                let offered = size + 100
                let read = queue.append(upTo: offered) { room, count -> Int? in
                    #expect(count == offered)
                    bytes.withUnsafeBytes { room.copyMemory(from: $0.baseAddress!, byteCount: size) }
                    return size
                }
                #expect(read == size)
            } else {
                queue.append(bytes)
            }
            expected += bytes
            let consumed = Int.random(in: 0...min(expected.count, 4000), using: &generator)
            #expect(Array(contents(queue).prefix(consumed)) == Array(expected.prefix(consumed)))
            queue.consume(consumed)
            expected.removeFirst(consumed)
            #expect(queue.count == expected.count)
        }
        #expect(contents(queue) == expected)
    }

    @Test func aReadThatTakesNothingLeavesTheQueueAsItWas() {
        var queue = ByteQueue()
        queue.append([1, 2, 3])
        #expect(queue.append(upTo: 16384) { _, _ in nil } == nil)
        #expect(contents(queue) == [1, 2, 3])
    }

    @Test func anEmptyQueueGivesItsStorageBackAndWorksAfter() {
        var queue = ByteQueue()
        queue.reserve(1 << 16)
        queue.append([9, 8])
        queue.releaseIfEmpty()  // not empty: kept
        #expect(contents(queue) == [9, 8])
        queue.consume(2)
        queue.releaseIfEmpty()
        #expect(queue.isEmpty && contents(queue) == [])
        queue.append([7])
        #expect(contents(queue) == [7])
    }
}
