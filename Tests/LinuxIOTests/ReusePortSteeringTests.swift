// Steering a SO_REUSEPORT group's connections (docs/kernel-notes.md): by CPU, each connection
// goes to the listener at the position of the CPU that received its handshake (which the
// accepted socket reports as SO_INCOMING_CPU); by hash again, one CPU's connections spread
// over the group.
import Glibc
import Testing
@testable import LinuxIO

@Suite(.serialized) struct ReusePortSteeringTests {
    @Test func byCPUEachConnectionGoesToTheListenerAtItsCPUsPosition() throws {
        let group = try ListenerPair()
        try group.first.steerConnectionsByCPU(groupSize: 2)
        let accepted = try group.acceptConnections(32)
        for (position, cpus) in accepted.enumerated() {
            for cpu in cpus { #expect(cpu % 2 == position, "CPU \(cpu)'s connection went to listener \(position)") }
        }
        #expect(accepted[0].count + accepted[1].count == 32)
    }

    @Test func byHashAgainOneCPUsConnectionsSpreadOverTheGroup() throws {
        let group = try ListenerPair()
        try group.second.steerConnectionsByCPU(groupSize: 2)
        try group.first.steerConnectionsByHash()
        let accepted = try group.acceptConnections(64)
        #expect(accepted[0].count + accepted[1].count == 64)
        // By CPU, each CPU's connections would all go to one listener. By hash, the CPU that
        // received most of them (at least 32 of 64) sent them all to one listener with a
        // chance of 1 in 2^31.
        let busiest = Dictionary(grouping: accepted.joined(), by: { $0 }).max { $0.value.count < $1.value.count }?.key
        let listeners = accepted.indices.filter { accepted[$0].contains { $0 == busiest } }
        #expect(listeners == [0, 1], "CPU \(String(describing: busiest))'s connections went to listeners \(listeners)")
    }
}

/// Two listeners sharing a loopback port, in the order they started listening.
private struct ListenerPair: ~Copyable {
    let first: FileDescriptor
    let second: FileDescriptor
    let address: SocketAddress

    init() throws {
        let listener = try loopbackListener()
        let bound = try #require(try listener.localAddress())
        let joining = try FileDescriptor.listener(on: bound)
        first = listener
        address = bound
        second = joining
    }

    /// Makes `count` connections and accepts them: per listener, the CPU each was received on.
    func acceptConnections(_ count: Int) throws -> [[Int32]] {
        var clients: [Int32] = []
        defer { for fd in clients { FileDescriptor(owning: fd).close() } }
        for _ in 0..<count {
            let client = try FileDescriptor.tcpSocket(for: address)
            _ = try client.connect(to: address)
            clients.append(client.releaseOwnership())
        }
        let epoll = try Epoll(capacity: 2)
        try epoll.add(first.rawValue, wanted: .readable, token: 0)
        try epoll.add(second.rawValue, wanted: .readable, token: 1)
        var cpus: [[Int32]] = [[], []]
        while cpus[0].count + cpus[1].count < count, try epoll.wait(timeoutMilliseconds: 2000) > 0 {
            cpus[0] += try acceptAll(first)
            cpus[1] += try acceptAll(second)
        }
        return cpus
    }
}

/// The CPUs that received the connections waiting on `listener`, accepting (and closing) them.
private func acceptAll(_ listener: borrowing FileDescriptor) throws -> [Int32] {
    var cpus: [Int32] = []
    while true {
        switch try listener.accept() {
        case .done(let connection):
            var cpu: Int32 = -1
            var length = socklen_t(MemoryLayout<Int32>.size)
            #expect(getsockopt(connection.socket.rawValue, SOL_SOCKET, SO_INCOMING_CPU, &cpu, &length) == 0)
            cpus.append(cpu)
        case .wouldBlock:
            return cpus
        }
    }
}
