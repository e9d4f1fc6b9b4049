// What epoll reports that the engine relies on, proven on loopback (docs/kernel-notes.md):
// errors and hang-ups arrive even for an empty interest mask, and a non-blocking connect
// ends in writability, with its outcome in SO_ERROR.
import Testing
@testable import LinuxIO

@Suite struct ReadinessKernelTests {
    @Test func theEventConstantsAreTheKernelHeadersValues() {
        #expect(EpollEvents.matchKernelHeaders)
    }

    @Test func hangupAndErrorAreReportedEvenForAnEmptyInterestMask() throws {
        let connection = try LoopbackConnection()
        let epoll = try Epoll(capacity: 4)
        try epoll.add(connection.accepted.rawValue, wanted: [], token: 7)
        #expect(try epoll.wait(timeoutMilliseconds: 0) == 0)
        try connection.client.setResetOnClose()
        let accepted = connection.keepingAcceptedOnly()
        #expect(try epoll.wait(timeoutMilliseconds: 2000) == 1)
        let event = epoll.event(at: 0)
        #expect(event.token == 7)
        #expect(event.events.contains(.hangup) && event.events.contains(.error))
        // Level-triggered: it comes back on every wait until the registration is removed.
        #expect(try epoll.wait(timeoutMilliseconds: 0) == 1)
        try epoll.remove(accepted.rawValue)
        #expect(try epoll.wait(timeoutMilliseconds: 0) == 0)
    }

    @Test func nonBlockingConnectBecomesWritableWithNoPendingError() throws {
        let listener = try loopbackListener()
        let client = try connectingClient(to: listener)
        #expect(try readiness(of: client, for: .writable).contains(.writable))
        #expect(try client.pendingError() == nil)
    }

    @Test func failedNonBlockingConnectBecomesWritableWithTheErrorInSOError() throws {
        // A port that was just free on 127.0.0.1 answers a SYN with a reset.
        let address = try freeLoopbackAddress()
        let client = try FileDescriptor.tcpSocket(for: address)
        if case .failure(let error) = Result(catching: { () throws(Errno) in _ = try client.connect(to: address) }) {
            #expect(error == .connectionRefused)  // refused at once: nothing left to wait for
            return
        }
        let events = try readiness(of: client, for: .writable)
        #expect(events.contains(.writable) && events.contains(.error))
        #expect(try client.pendingError() == .connectionRefused)
        #expect(try client.pendingError() == nil)  // reading SO_ERROR clears it
    }

    /// An address on 127.0.0.1 whose port had a listener a moment ago and has none now.
    private func freeLoopbackAddress() throws -> SocketAddress {
        try #require(try loopbackListener().localAddress())
    }
}
