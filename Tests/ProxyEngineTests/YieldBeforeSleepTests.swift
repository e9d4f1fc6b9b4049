// Looking before sleeping: one look first, a yield only when it found nothing, rounds until
// a look finds events, the rounds run out or a timer is due; the allowance earned by a short
// wait that ended with events, doubled when the rounds end with events, halved when they
// found none; nothing at all when the operator set 0.
import Testing
@testable import ProxyEngine

/// A scripted epoll: each look takes the next count (0 when the script has run out).
private final class Looks {
    var script: [Int]
    var looks = 0
    var yields = 0
    init(_ script: [Int]) { self.script = script }
    func look() -> Int {
        looks += 1
        return script.isEmpty ? 0 : script.removeFirst()
    }
    func yield() { yields += 1 }
}

private func allowance(maximum: Int, rounds: Int) -> YieldBeforeSleep {
    precondition(rounds <= maximum && rounds & (rounds - 1) == 0, "a power of two the allowance can reach")
    var yielding = YieldBeforeSleep(maximum: maximum)
    yielding.slept(start: 0, end: 1, found: true)
    // Doubling up from the earned first round; the script's first look finds nothing, its
    // second the events.
    while yielding.rounds < rounds {
        let looks = Looks([0, 1])
        _ = yielding.lookBeforeSleeping(look: looks.look, yield: looks.yield, timerDue: { false })
    }
    return yielding
}

@Suite struct YieldBeforeSleepTests {
    @Test func anIdleWorkerNeitherLooksNorYields() {
        var yielding = YieldBeforeSleep(maximum: 8)
        #expect(yielding.rounds == 0)
        yielding.slept(start: 0, end: 5_000, found: false)
        #expect(yielding.rounds == 0, "a wait that timed out earns nothing")
        yielding.slept(start: 0, end: YieldBeforeSleep.shortSleepNanoseconds, found: true)
        #expect(yielding.rounds == 0, "a sleep as long as shortSleepNanoseconds earns nothing")
        let looks = Looks([5])
        #expect(yielding.lookBeforeSleeping(look: looks.look, yield: looks.yield, timerDue: { false }) == .init())
        #expect((looks.looks, looks.yields) == (0, 0), "with no round allowed the worker goes straight to its wait")
    }

    @Test func eventsAlreadyWaitingAreTakenWithoutAYield() {
        var yielding = allowance(maximum: 8, rounds: 4)
        let looks = Looks([3])
        let outcome = yielding.lookBeforeSleeping(look: looks.look, yield: looks.yield, timerDue: { false })
        #expect(outcome == .init(events: 3, yieldsFoundEvents: 0, yieldsFoundNone: 0))
        #expect((looks.looks, looks.yields) == (1, 0))
        #expect(yielding.rounds == 4, "no round made, the allowance stands")
    }

    @Test func roundsEndingWithEventsDoubleTheAllowanceUpToTheMaximum() {
        var yielding = YieldBeforeSleep(maximum: 8)
        yielding.slept(start: 1_000, end: 1_000 + YieldBeforeSleep.shortSleepNanoseconds - 1, found: true)
        #expect(yielding.rounds == 1)
        var seen: [Int] = []
        for _ in 0..<5 {
            let looks = Looks([0, 2])
            let outcome = yielding.lookBeforeSleeping(look: looks.look, yield: looks.yield, timerDue: { false })
            #expect(outcome == .init(events: 2, yieldsFoundEvents: 1, yieldsFoundNone: 0))
            seen.append(yielding.rounds)
        }
        #expect(seen == [2, 4, 8, 8, 8])
        yielding.slept(start: 0, end: 1, found: true)
        #expect(yielding.rounds == 8, "a short sleep only earns back a first round")
    }

    @Test func theRoundsStopAtTheFirstLookThatFindsEvents() {
        var yielding = allowance(maximum: 64, rounds: 8)
        let looks = Looks([0, 0, 0, 7])
        let outcome = yielding.lookBeforeSleeping(look: looks.look, yield: looks.yield, timerDue: { false })
        #expect(outcome == .init(events: 7, yieldsFoundEvents: 1, yieldsFoundNone: 2))
        #expect((looks.looks, looks.yields) == (4, 3))
        #expect(yielding.rounds == 16)
    }

    @Test func roundsThatAllFindNothingHalveTheAllowanceToNone() {
        var yielding = allowance(maximum: 64, rounds: 64)
        var seen: [Int] = []
        for _ in 0..<8 {
            let looks = Looks([])
            let before = yielding.rounds
            let outcome = yielding.lookBeforeSleeping(look: looks.look, yield: looks.yield, timerDue: { false })
            #expect(outcome == .init(events: 0, yieldsFoundEvents: 0, yieldsFoundNone: before))
            #expect(looks.looks == (before > 0 ? before + 1 : 0))
            seen.append(yielding.rounds)
        }
        #expect(seen == [32, 16, 8, 4, 2, 1, 0, 0])
    }

    @Test func aDueTimerEndsTheRounds() {
        var yielding = allowance(maximum: 8, rounds: 8)
        let looks = Looks([])
        var checks = 0
        let outcome = yielding.lookBeforeSleeping(look: looks.look, yield: looks.yield, timerDue: {
            checks += 1
            return checks > 3  // due after the second yield
        })
        #expect(outcome == .init(events: 0, yieldsFoundEvents: 0, yieldsFoundNone: 2))
        #expect(yielding.rounds == 4)
        var due = allowance(maximum: 8, rounds: 8)
        let untouched = Looks([4])
        #expect(due.lookBeforeSleeping(look: untouched.look, yield: untouched.yield, timerDue: { true }) == .init())
        #expect(untouched.looks == 0 && due.rounds == 8, "a timer already due: straight to the wait, which returns at once")
    }

    @Test func zeroTurnsYieldingOffAndTheMaximumIsBounded() {
        var off = YieldBeforeSleep(maximum: 0)
        off.slept(start: 0, end: 1, found: true)
        #expect(off.rounds == 0)
        let looks = Looks([0, 1])
        #expect(off.lookBeforeSleeping(look: looks.look, yield: looks.yield, timerDue: { false }) == .init())
        #expect(looks.looks == 0)
        #expect(YieldBeforeSleep(maximum: 1_000).maximum == YieldBeforeSleep.maximumRounds)
        #expect(YieldBeforeSleep(maximum: -3).maximum == 0)
        #expect(YieldBeforeSleep.defaultRounds == 0, "off unless the operator asks")
    }
}
