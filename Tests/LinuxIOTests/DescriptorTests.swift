import Foundation
import Testing
@testable import LinuxIO

/// How many descriptors this process has open, from /proc/self/fd.
func openDescriptorCount() -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
}

@Suite(.serialized) struct DescriptorTests {
    @Test func descriptorIsClosedWhenItsOwnerGoesAway() throws {
        let before = openDescriptorCount()
        do {
            let pipe = try SplicePipe()
            #expect(openDescriptorCount() == before + 2)
            _ = pipe.readEnd.rawValue
        }
        #expect(openDescriptorCount() == before)
    }

    @Test func explicitCloseClosesOnce() throws {
        let before = openDescriptorCount()
        let socket = try FileDescriptor.tcpSocket(for: SocketAddress(ip: "127.0.0.1", port: 1)!)
        #expect(openDescriptorCount() == before + 1)
        socket.close()
        #expect(openDescriptorCount() == before)
    }

    @Test func releasedOwnershipIsNotClosed() throws {
        let socket = try FileDescriptor.tcpSocket(for: SocketAddress(ip: "127.0.0.1", port: 1)!)
        let raw = socket.releaseOwnership()
        #expect(FileManager.default.fileExists(atPath: "/proc/self/fd/\(raw)"))
        FileDescriptor(owning: raw).close()
        #expect(!FileManager.default.fileExists(atPath: "/proc/self/fd/\(raw)"))
    }

    @Test func readOnAnEmptyNonBlockingPipeIsWouldBlockNotAnError() throws {
        let pipe = try SplicePipe()
        var byte: UInt8 = 0
        let result = try pipe.readEnd.read(into: &byte, count: 1)
        guard case .wouldBlock = result else {
            Issue.record("expected .wouldBlock, got \(result)")
            return
        }
    }

    @Test func spliceMovesBytesThroughAPipe() throws {
        let source = try SplicePipe()
        let through = try SplicePipe()
        let message = Array("spliced".utf8)
        let written = try message.withUnsafeBytes { try source.writeEnd.write(from: $0.baseAddress!, count: $0.count) }
        #expect(written == .done(message.count))
        #expect(try splice(from: source.readEnd, to: through.writeEnd, count: 64) == .done(message.count))
        var received = [UInt8](repeating: 0, count: 64)
        let count = try received.withUnsafeMutableBytes { try through.readEnd.read(into: $0.baseAddress!, count: 64) }
        #expect(count == .done(message.count))
        #expect(Array(received.prefix(message.count)) == message)
        #expect(try through.setCapacity(1 << 20) >= 1 << 20)
    }

    @Test func eventDescriptorWakesAndDrains() throws {
        let event = try EventDescriptor()
        let epoll = try Epoll(capacity: 4)
        try epoll.add(event.descriptor.rawValue, wanted: .readable, token: 42)
        #expect(try epoll.wait(timeoutMilliseconds: 0) == 0)
        event.signal()
        #expect(try epoll.wait(timeoutMilliseconds: 1000) == 1)
        #expect(epoll.event(at: 0).token == 42)
        event.drain()
        #expect(try epoll.wait(timeoutMilliseconds: 0) == 0)
    }

    @Test func timerDescriptorFiresOnce() throws {
        let timer = try TimerDescriptor()
        let epoll = try Epoll(capacity: 4)
        try epoll.add(timer.descriptor.rawValue, wanted: .readable, token: 7)
        try timer.arm(afterNanoseconds: 1_000_000)
        #expect(try epoll.wait(timeoutMilliseconds: 2000) == 1)
        #expect(timer.acknowledge() == 1)
        #expect(try epoll.wait(timeoutMilliseconds: 0) == 0)
    }
}

@Suite struct SocketAddressTests {
    @Test func parsesIPv4AndIPv6() throws {
        let v4 = try #require(SocketAddress(ip: "127.0.0.1", port: 8080))
        #expect(v4.description == "127.0.0.1:8080")
        #expect(v4.port == 8080)
        let v6 = try #require(SocketAddress(ip: "::1", port: 443))
        #expect(v6.description == "[::1]:443")
        #expect(SocketAddress(ip: "localhost", port: 80) == nil)
    }

    @Test func listenerAcceptsAndReportsThePeer() throws {
        let address = try #require(SocketAddress(ip: "127.0.0.1", port: 0))
        let listener = try FileDescriptor.listener(on: address)
        let bound = try #require(try listener.localAddress())
        #expect(bound.port != 0)
        let client = try FileDescriptor.tcpSocket(for: bound)
        _ = try client.connect(to: bound)
        let epoll = try Epoll(capacity: 4)
        try epoll.add(listener.rawValue, wanted: .readable, token: 1)
        #expect(try epoll.wait(timeoutMilliseconds: 2000) == 1)
        switch try listener.accept() {
        case .done(let accepted):
            #expect(accepted.peer?.ip == "127.0.0.1")
        case .wouldBlock:
            Issue.record("a pending connection was not accepted")
        }
    }
}
