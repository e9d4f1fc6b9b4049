// What TCP sockets do that the engine relies on, proven on loopback (docs/kernel-notes.md):
// SO_REUSEPORT spreads connections, IP_FREEBIND binds an address that is not local yet,
// half-close keeps the other direction open, SO_LINGER 0 resets, accepted sockets inherit
// TCP_NODELAY, and accept failing with EMFILE leaves the connection queued.
import Glibc
import Testing
@testable import LinuxIO

@Suite(.serialized) struct SocketKernelTests {
    @Test func reusePortSpreadsConnectionsOverEveryListenerOfTheAddress() throws {
        let first = try loopbackListener()
        let address = try #require(try first.localAddress())
        let second = try FileDescriptor.listener(on: address)
        let epoll = try Epoll(capacity: 2)
        try epoll.add(first.rawValue, wanted: .readable, token: 0)
        try epoll.add(second.rawValue, wanted: .readable, token: 1)
        var clients: [Int32] = []
        defer { for fd in clients { FileDescriptor(owning: fd).close() } }
        var accepted = [0, 0]
        // The kernel picks a listener by a hash of the connection's addresses and ports: with
        // 64 source ports, all on one listener would be a 1 in 2^63 chance.
        for _ in 0..<64 {
            let client = try FileDescriptor.tcpSocket(for: address)
            _ = try client.connect(to: address)
            clients.append(client.releaseOwnership())
        }
        while accepted[0] + accepted[1] < 64, try epoll.wait(timeoutMilliseconds: 2000) > 0 {
            accepted[0] += try acceptAll(first)
            accepted[1] += try acceptAll(second)
        }
        #expect(accepted[0] + accepted[1] == 64)
        #expect(accepted[0] > 0 && accepted[1] > 0, "\(accepted)")
    }

    @Test func freeBindListensOnAnAddressNoInterfaceHasYet() throws {
        // 192.0.2.1 is for documentation (RFC 5737): on no interface of any machine. Not in a
        // fresh network namespace: with no address at all there is no local routing table,
        // and the kernel then lets any address bind (docs/kernel-notes.md).
        let notLocal = try #require(SocketAddress(ip: "192.0.2.1", port: 0))
        #expect(throws: Errno.addressNotAvailable) { _ = try FileDescriptor.listener(on: notLocal) }
        let freeBound = try FileDescriptor.listener(on: notLocal, freeBind: true)
        #expect(try freeBound.localAddress()?.ip == "192.0.2.1")
    }

    @Test func halfCloseEndsOneDirectionAndTheOtherStillFlows() throws {
        let connection = try LoopbackConnection()
        try send(Array("request".utf8), on: connection.client)
        try connection.client.shutdown(.write)
        #expect(try readiness(of: connection.accepted, for: .readable).contains(.readable))
        #expect(try receive(on: connection.accepted) == Array("request".utf8))
        #expect(try receive(on: connection.accepted) == nil)  // end of stream, not an error
        try send(Array("answer".utf8), on: connection.accepted)
        #expect(try readiness(of: connection.client, for: .readable).contains(.readable))
        #expect(try receive(on: connection.client) == Array("answer".utf8))
    }

    @Test func lingerZeroClosesWithAReset() throws {
        let connection = try LoopbackConnection()
        try connection.accepted.setResetOnClose()
        let client = connection.keepingClientOnly()
        #expect(try readiness(of: client, for: .readable).contains(.readable))
        #expect(throws: Errno.connectionReset) { _ = try receive(on: client) }
    }

    @Test func acceptedSocketsInheritNoDelayFromTheirListener() throws {
        let connection = try LoopbackConnection()  // the listener set TCP_NODELAY, the accepted socket did not
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        #expect(getsockopt(connection.accepted.rawValue, Int32(IPPROTO_TCP), TCP_NODELAY, &value, &length) == 0)
        #expect(value == 1)
    }

    @Test func acceptedSocketsInheritKeepAliveFromTheirListener() throws {
        let listener = try loopbackListener()
        let settings = KeepAlive(idleSeconds: 7, intervalSeconds: 3, probes: 4)
        try listener.setKeepAlive(settings)
        let client = try connectingClient(to: listener)
        #expect(try readiness(of: listener, for: .readable).contains(.readable))
        let socket: FileDescriptor
        switch try listener.accept() {
        case .done(let accepted):
            socket = accepted.takeSocket()
        case .wouldBlock:
            Issue.record("no connection to accept")
            return
        }
        #expect(try socket.integerOption(level: SOL_SOCKET, name: SO_KEEPALIVE) == 1)
        #expect(try socket.integerOption(level: Int32(IPPROTO_TCP), name: TCP_KEEPIDLE) == 7)
        #expect(try socket.integerOption(level: Int32(IPPROTO_TCP), name: TCP_KEEPINTVL) == 3)
        #expect(try socket.integerOption(level: Int32(IPPROTO_TCP), name: TCP_KEEPCNT) == 4)
        #expect(try client.integerOption(level: SOL_SOCKET, name: SO_KEEPALIVE) == 0, "a plain socket has it off")
    }

    @Test func acceptFailingWithEMFILELeavesTheConnectionQueued() throws {
        let listener = try loopbackListener()
        let client = try connectingClient(to: listener)
        #expect(try readiness(of: listener, for: .readable).contains(.readable))

        // Lower the descriptor limit and fill every free number below it, then accept.
        var saved = rlimit()
        #expect(getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &saved) == 0)
        var lowered = saved
        lowered.rlim_cur = 256
        #expect(setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &lowered) == 0)
        defer { _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &saved) }
        var fillers: [Int32] = []
        defer { for fd in fillers { Glibc.close(fd) } }
        while true {
            let fd = dup(listener.rawValue)
            if fd < 0 { break }
            fillers.append(fd)
        }
        var failure: Errno?
        do { _ = try listener.accept() } catch { failure = error }
        #expect(failure == .tooManyOpenFiles)
        Glibc.close(fillers.removeLast())
        var queued = false
        if case .done = try listener.accept() { queued = true }
        #expect(queued, "the connection was lost with the failed accept")
        client.close()  // held open until here: the connection under test is its
    }
}

/// Accepts (and closes) every connection waiting on `listener`; returns how many there were.
private func acceptAll(_ listener: borrowing FileDescriptor) throws -> Int {
    var count = 0
    while true {
        switch try listener.accept() {
        case .done: count += 1
        case .wouldBlock: return count
        }
    }
}
