// The allowance of yield-and-look rounds before a worker sleeps: earned by a short sleep
// that ended with events, doubled by rounds that found events up to the operator's
// maximum, halved by fruitless ones down to none; never any when the operator set 0.
import Testing
@testable import ProxyEngine

@Suite struct YieldBeforeSleepTests {
    @Test func anIdleWorkerNeverYields() {
        var yielding = YieldBeforeSleep(maximum: 8)
        #expect(yielding.rounds == 0)
        yielding.slept(start: 0, end: 5_000, found: false)
        #expect(yielding.rounds == 0, "a wait that timed out earns nothing")
        yielding.slept(start: 0, end: YieldBeforeSleep.shortSleep, found: true)
        #expect(yielding.rounds == 0, "a sleep as long as shortSleep earns nothing")
    }

    @Test func aShortSleepEarnsARoundAndFindingEventsDoublesItUpToTheMaximum() {
        var yielding = YieldBeforeSleep(maximum: 8)
        yielding.slept(start: 1_000, end: 1_000 + YieldBeforeSleep.shortSleep - 1, found: true)
        #expect(yielding.rounds == 1)
        var seen: [Int] = []
        for _ in 0..<5 {
            yielding.yielded(found: true)
            seen.append(yielding.rounds)
        }
        #expect(seen == [2, 4, 8, 8, 8])
        yielding.slept(start: 0, end: 1, found: true)
        #expect(yielding.rounds == 8, "a short sleep only earns back a first round")
    }

    @Test func fruitlessRoundsHalveTheAllowanceToNone() {
        var yielding = YieldBeforeSleep(maximum: 64)
        yielding.slept(start: 0, end: 1, found: true)
        for _ in 0..<6 { yielding.yielded(found: true) }
        #expect(yielding.rounds == 64)
        var seen: [Int] = []
        for _ in 0..<8 {
            yielding.yielded(found: false)
            seen.append(yielding.rounds)
        }
        #expect(seen == [32, 16, 8, 4, 2, 1, 0, 0])
        yielding.yielded(found: true)
        #expect(yielding.rounds == 0, "with none left, only a short sleep earns a round back")
    }

    @Test func zeroTurnsYieldingOffAndTheMaximumIsBounded() {
        var off = YieldBeforeSleep(maximum: 0)
        off.slept(start: 0, end: 1, found: true)
        off.yielded(found: true)
        #expect(off.rounds == 0)
        #expect(YieldBeforeSleep(maximum: 1_000).maximum == YieldBeforeSleep.maximumRounds)
        #expect(YieldBeforeSleep.defaultRounds == 0, "off unless the operator asks")
    }
}
