// Judging steering by CPU from the workers' accept counts: a window is judged once it holds
// 64 connections per worker, fewer carry over; half the workers or more under a quarter of
// an even share is skewed, anything else balanced.
import Testing
@testable import ProxyEngine

@Test func aWindowIsJudgedOnlyOnceItHoldsEnoughConnectionsPerWorker() {
    var balance = SteeringBalance(accepted: [10, 10])
    #expect(balance.judge(accepted: [100, 10]) == .undecided)  // 90 of the 128 needed
    #expect(balance.judge(accepted: [138, 10]) == .skewed(starved: 1, accepted: 128))
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
    var second = SteeringBalance(accepted: [0, 0, 0, 0])
    #expect(second.judge(accepted: [300, 300, 5, 0]) == .skewed(starved: 2, accepted: 605))
}

@Test func theNextWindowStartsWhereTheJudgedOneEnded() {
    var balance = SteeringBalance(accepted: [0, 0])
    #expect(balance.judge(accepted: [64, 64]) == .balanced)
    // All of the next window's connections on one worker, whatever came before.
    #expect(balance.judge(accepted: [64 + 128, 64]) == .skewed(starved: 1, accepted: 128))
}

@Test func oneWorkerIsNeverJudged() {
    var balance = SteeringBalance(accepted: [0])
    #expect(balance.judge(accepted: [1_000]) == .undecided)
}
