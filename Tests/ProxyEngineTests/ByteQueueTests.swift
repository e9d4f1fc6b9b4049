// The Ingress session's byte queue: bytes come out as they went in, in order, whatever mix
// of appends, reads into its room, partial consumes and growth they went through; a head
// put in front of bytes read with room before them leaves those bytes where they are.
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

    @Test func whatIsWrittenInPlaceIsAppendedWithMoreRoomUntilItFits() {
        var queue = ByteQueue()
        queue.append([1, 2])
        var offered: [Int] = []
        let written = queue.appendWritten(room: 100) { room, count in
            offered.append(count)
            guard count >= 300 else { return nil }
            for index in 0..<300 { room.storeBytes(of: UInt8(truncatingIfNeeded: index), toByteOffset: index, as: UInt8.self) }
            return 300
        }
        #expect(written == 300 && offered == [100, 200, 400])
        #expect(contents(queue) == [1, 2] + (0..<300).map { UInt8(truncatingIfNeeded: $0) })
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

    @Test func aHeadReplacedInFrontOfItsBodyLeavesTheBodyWhereItWasRead() {
        var queue = ByteQueue()
        let response = Array("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\nbody".utf8)
        let read = queue.fill(leavingHeadroom: 8, upTo: 100, reserving: 300) { room, count -> Int? in
            #expect(count == 100)
            response.withUnsafeBytes { room.copyMemory(from: $0.baseAddress!, byteCount: response.count) }
            return response.count
        }
        #expect(read == response.count)
        let body = queue.withBytes { $0.baseAddress! } + (response.count - 4)
        queue.consume(response.count - 4)

        let head = Array("HTTP/1.1 200 OK\r\n\r\n".utf8)
        #expect(head.withUnsafeBytes { queue.prepend($0) })
        #expect(contents(queue) == head + Array("body".utf8))
        #expect(queue.withBytes { $0.baseAddress! } + head.count == body, "the body was not moved")
        let longer = [UInt8](repeating: 65, count: 200)
        #expect(!longer.withUnsafeBytes { queue.prepend($0) }, "no room for it in front")
        #expect(contents(queue) == head + Array("body".utf8))

        // Room for `reserving` after the headroom: appending the rest moves nothing.
        let start = queue.withBytes { $0.baseAddress! }
        queue.append([UInt8](repeating: 1, count: 200))
        #expect(queue.withBytes { $0.baseAddress! } == start)
    }

    @Test func aTailPastTheResponseMovesToAnotherQueue() {
        var queue = ByteQueue()
        queue.append(Array("endNEXT".utf8))
        var other = ByteQueue()
        other.append(Array("x".utf8))
        queue.moveTail(after: 3, onto: &other)
        #expect(contents(queue) == Array("end".utf8) && contents(other) == Array("xNEXT".utf8))
        queue.moveTail(after: 3, onto: &other)  // nothing past the first three
        #expect(contents(queue) == Array("end".utf8) && contents(other) == Array("xNEXT".utf8))
        queue.moveTail(after: 0, onto: &other)
        #expect(queue.count == 0 && contents(other) == Array("xNEXTend".utf8))
    }

    @Test func aFillThatReadsNothingLeavesAnEmptyQueue() {
        var queue = ByteQueue()
        #expect(queue.fill(leavingHeadroom: 128, upTo: 64, reserving: 64) { _, _ in nil } == nil)
        #expect(queue.count == 0)
        queue.append([5])
        #expect(contents(queue) == [5])
    }

    @Test func aQueueLeftWaitingKeepsOnlyItsBytes() {
        var queue = ByteQueue()
        let response = Array("HTTP/1.1 200 OK\r\n\r\nsmall".utf8)
        _ = queue.fill(leavingHeadroom: 128, upTo: 32768, reserving: 49152) { room, _ -> Int? in
            response.withUnsafeBytes { room.copyMemory(from: $0.baseAddress!, byteCount: response.count) }
            return response.count
        }
        queue.releaseSlack()
        #expect(contents(queue) == response)
        // Now its own size: the next append cannot fit without growing, so the storage moves.
        let start = queue.withBytes { $0.baseAddress! }
        queue.append([1])
        #expect(queue.withBytes { $0.baseAddress! } != start)
        #expect(contents(queue) == response + [1])

        var full = ByteQueue()
        full.append([UInt8](repeating: 7, count: 1000))
        let before = full.withBytes { $0.baseAddress! }
        full.releaseSlack()  // more than a quarter of its storage: kept where it is
        #expect(full.withBytes { $0.baseAddress! } == before)
    }
}
