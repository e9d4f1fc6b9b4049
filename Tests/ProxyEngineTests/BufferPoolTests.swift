// A worker's buffer pool: blocks of its two sizes come back for reuse, up to a bound each,
// and the Ingress's queues take their storage from it and give it back when they empty,
// are cleared or go away.
import Testing
@testable import ProxyEngine

@Suite struct BufferPoolTests {
    @Test func aBlockGivenBackIsTheNextTakenOfItsSize() {
        let pool = BufferPool(bufferSize: 1024, retained: 2, retainedLarge: 1)
        let buffer = pool.take()
        pool.give(buffer)
        #expect(pool.kept == (1, 0))
        #expect(pool.take() == buffer)

        let large = pool.takeStorage(atLeast: 1025)
        #expect(large.capacity == 3 * 1024 + 256)
        pool.giveStorage(large.storage, capacity: large.capacity)
        #expect(pool.kept == (0, 1))
        let again = pool.takeStorage(atLeast: 3000)
        #expect(again.storage == large.storage && again.capacity == 3 * 1024 + 256)
        pool.giveStorage(again.storage, capacity: again.capacity)
        pool.give(buffer)
    }

    @Test func storageIsOfTheSmallestSizeThatHoldsIt() {
        let pool = BufferPool(bufferSize: 1024)
        for (asked, capacity) in [(1, 1024), (1024, 1024), (1025, 3328), (3328, 3328), (3329, 3329), (100_000, 100_000)] {
            let block = pool.takeStorage(atLeast: asked)
            #expect(block.capacity == capacity, "\(asked) bytes")
            block.storage.storeBytes(of: 0xAB, toByteOffset: capacity - 1, as: UInt8.self)  // all of it is ours
            pool.giveStorage(block.storage, capacity: block.capacity)
        }
        // Neither size: freed, not kept.
        #expect(pool.kept == (1, 1))
    }

    @Test func blocksBeyondTheBoundGoBackToTheAllocator() {
        let pool = BufferPool(bufferSize: 64, retained: 3, retainedLarge: 2)
        let buffers = (0..<5).map { _ in pool.take() }
        let large = (0..<5).map { _ in pool.takeStorage(atLeast: 200) }
        #expect(pool.kept == (0, 0))
        for buffer in buffers { pool.give(buffer) }
        for block in large { pool.giveStorage(block.storage, capacity: block.capacity) }
        #expect(pool.kept == (3, 2))
        // The last kept comes out first: the block most likely still in the cache.
        #expect(pool.take() == buffers[2])
    }

    @Test func largeBlocksAreKeptUpToAMebibyte() {
        #expect(BufferPool().largeBufferSize == 3 * 16384 + 256)
        let pool = BufferPool(bufferSize: 1 << 18)
        let blocks = (0..<3).map { _ in pool.takeStorage(atLeast: 1 << 19) }
        for block in blocks { pool.giveStorage(block.storage, capacity: block.capacity) }
        #expect(pool.kept == (0, 1), "one block of 768 KiB under the bound")
    }

    @Test func aQueueGivesItsStorageToThePoolAndTakesItBack() {
        let pool = BufferPool(bufferSize: 256)
        var queue = ByteQueue(pool: pool)
        queue.append([1, 2, 3])
        let first = queue.withBytes { $0.baseAddress! }
        #expect(pool.kept == (0, 0))
        queue.consume(3)
        queue.releaseIfEmpty()
        #expect(pool.kept == (1, 0))
        queue.append([4])
        #expect(queue.withBytes { $0.baseAddress! } == first, "the same block again")
        #expect(pool.kept == (0, 0))

        // Grown past a buffer: the large size; the buffer it grew from goes back.
        queue.append([UInt8](repeating: 5, count: 300))
        #expect(pool.kept == (1, 0))
        #expect(queue.withBytes { Array($0) } == [4] + [UInt8](repeating: 5, count: 300))
        queue.removeAll()
        #expect(queue.isEmpty && pool.kept == (1, 1))

        // A response read in place takes the large size, and a queue that goes away gives
        // back what it holds.
        do {
            var other = ByteQueue(pool: pool)
            _ = other.fill(leavingHeadroom: 128, upTo: 512, reserving: 768) { room, _ -> Int? in
                room.storeBytes(of: 7, as: UInt8.self)
                return 1
            }
            #expect(pool.kept == (1, 0))
            #expect(other.withBytes { Array($0) } == [7])
        }
        #expect(pool.kept == (1, 1))
    }

    @Test func aQueueLeftWaitingHoldsItsBytesInStorageOfTheirOwnSize() {
        let pool = BufferPool(bufferSize: 256)
        var queue = ByteQueue(pool: pool)
        _ = queue.fill(leavingHeadroom: 128, upTo: 512, reserving: 768) { room, _ -> Int? in
            for index in 0..<10 { room.storeBytes(of: UInt8(index), toByteOffset: index, as: UInt8.self) }
            return 10
        }
        queue.releaseSlack()
        #expect(pool.kept == (0, 1), "the large block went back")
        #expect(queue.withBytes { Array($0) } == Array(0..<10))
        queue.consume(10)
        queue.releaseIfEmpty()
        #expect(pool.kept == (0, 1), "ten bytes of storage are freed, not kept")
    }
}
