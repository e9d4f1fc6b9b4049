// Who makes room when every admin slot is taken: answered clients first, then the one
// waiting longest for its own request; never one being answered; gone clients are skipped.
import Testing
@testable import Admin

@Suite struct EvictionOrderTests {
    @Test func answeredClientsGoFirstThenTheLongestWaiting() {
        var order = AdminEvictionOrder()
        var phases: [UInt64: AdminClient.Phase] = [1: .receiving, 2: .receiving, 3: .receiving]
        for token in [1, 2, 3] as [UInt64] { order.clientArrived(token) }
        phases[3] = .answered
        order.clientAnswered(3)

        #expect(order.victim { phases[$0] } == 3)
        phases[3] = nil
        #expect(order.victim { phases[$0] } == 1)
    }

    @Test func clientsBeingAnsweredAndClientsGoneAreNeverChosen() {
        var order = AdminEvictionOrder()
        let phases: [UInt64: AdminClient.Phase] = [1: .answering, 3: .receiving]
        for token in [1, 2, 3] as [UInt64] { order.clientArrived(token) }
        #expect(order.victim { phases[$0] } == 3)
        #expect(order.victim { phases[$0] } == nil)
    }

    @Test func theOnlyClientLeftIsFoundPastTenThousandGone() {
        var order = AdminEvictionOrder()
        var phases: [UInt64: AdminClient.Phase] = [:]
        for token in 0..<10_000 as Range<UInt64> {
            order.clientArrived(token)
            phases = [token: .receiving]  // every earlier client has gone
            order.forgetGone(limit: 8) { phases[$0] }
        }
        #expect(order.victim { phases[$0] } == 9_999)
        #expect(order.victim { phases[$0] } == nil)
    }
}
