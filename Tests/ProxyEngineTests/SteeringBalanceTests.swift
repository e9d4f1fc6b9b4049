// Judging steering by CPU from the workers' accept counts: a window is judged once it holds
// 64 connections per worker, fewer carry over; half the workers or more under a quarter of
// an even share is a skewed window, and two skewed windows in a row give steering up.
import Testing
@testable import ProxyEngine

@Test func aWindowIsJudgedOnlyOnceItHoldsEnoughConnectionsPerWorker() {
    var balance = SteeringBalance(accepted: [10, 10])
    #expect(balance.judge(accepted: [100, 10]) == .undecided)  // 90 of the 128 needed
    #expect(balance.judge(accepted: [138, 10]) == .skewedOnce)
}

@Test func twoSkewedWindowsInARowGiveSteeringUp() {
    var balance = SteeringBalance(accepted: [0, 0])
    #expect(balance.judge(accepted: [128, 0]) == .skewedOnce)
    #expect(balance.judge(accepted: [128, 0]) == .undecided)  // nothing new: no window
    #expect(balance.judge(accepted: [128 + 130, 0]) == .skewed(starved: 1, accepted: 130))
}

@Test func aBurstBetweenBalancedWindowsIsForgotten() {
    var balance = SteeringBalance(accepted: [0, 0])
    #expect(balance.judge(accepted: [150, 0]) == .skewedOnce)  // one pool filled from one CPU
    #expect(balance.judge(accepted: [150 + 64, 64]) == .balanced)
    #expect(balance.judge(accepted: [150 + 64 + 128, 64]) == .skewedOnce)
}

@Test func evenOrMildlyUnevenSharesAreBalanced() {
    var balance = SteeringBalance(accepted: [0, 0, 0, 0])
    #expect(balance.judge(accepted: [64, 64, 64, 64]) == .balanced)
    // Two of four CPUs busier than the others: every worker still has over a quarter.
    #expect(balance.judge(accepted: [64 + 100, 64 + 100, 64 + 30, 64 + 30]) == .balanced)
}

@Test func halfTheWorkersStarvedIsSkewedFewerIsNot() {
    var balance = SteeringBalance(accepted: [0, 0, 0, 0])
    // One of four starved: not yet a reason to give steering up.
    #expect(balance.judge(accepted: [150, 150, 150, 6]) == .balanced)
    #expect(balance.judge(accepted: [450, 450, 155, 6]) == .skewedOnce)
    #expect(balance.judge(accepted: [750, 750, 160, 6]) == .skewed(starved: 2, accepted: 605))
}

@Test func oneWorkerIsNeverJudged() {
    var balance = SteeringBalance(accepted: [0])
    #expect(balance.judge(accepted: [1_000]) == .undecided)
}
