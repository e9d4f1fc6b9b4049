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
            let event = try EventDescriptor()
            #expect(openDescriptorCount() == before + 1)
            _ = event.descriptor.rawValue
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

    @Test func readOnAnEmptyNonBlockingSocketIsWouldBlockNotAnError() throws {
        let connection = try LoopbackConnection()
        var byte: UInt8 = 0
        let result = try connection.accepted.read(into: &byte, count: 1)
        guard case .wouldBlock = result else {
            Issue.record("expected .wouldBlock, got \(result)")
            return
        }
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

@Suite struct SocketAddressEqualityTests {
    static let cases: [(String, UInt16, UInt32, String, UInt16, UInt32, Bool)] = [
        ("10.0.0.1", 80, 0, "10.0.0.1", 80, 0, true),
        ("10.0.0.1", 80, 0, "10.0.0.1", 81, 0, false),
        ("10.0.0.1", 80, 0, "10.0.0.2", 80, 0, false),
        ("fd00::1", 80, 0, "fd00:0:0::1", 80, 0, true),
        ("fe80::1", 80, 2, "fe80::1", 80, 2, true),
        ("fe80::1", 80, 2, "fe80::1", 80, 3, false),
        // Same 128 bits as addressBits maps them, different families: not the same endpoint.
        ("127.0.0.1", 80, 0, "::ffff:127.0.0.1", 80, 0, false),
    ]

    @Test(arguments: cases)
    func equalityComparesFamilyPortAddressAndScope(_ example: (String, UInt16, UInt32, String, UInt16, UInt32, Bool)) throws {
        let left = try #require(SocketAddress(ip: example.0, port: example.1, scopeID: example.2))
        let right = try #require(SocketAddress(ip: example.3, port: example.4, scopeID: example.5))
        #expect((left == right) == example.6)
        if example.6 { #expect(left.hashValue == right.hashValue) }
        #expect(Set([left, right]).count == (example.6 ? 1 : 2))
    }
}
