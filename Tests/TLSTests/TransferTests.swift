// Bytes through an established connection: 1 MiB each way through a small socket buffer,
// so the server's writes come out partial and are resumed where they stopped; the peer's
// close_notify and a bare EOF both read as `.done(0)`; shutdown is sent once.
import COpenSSL
import Glibc
import Testing
@testable import TLS

@Suite struct TransferTests {
    private func context() throws -> TLSServerContext {
        let material = try TestMaterial.shared.get()
        return try TLSServerContext(plan: plan([secret("ecdsa", material.ecdsa)]), fallbackDefault: fallbackDefault,
                                    ticketKeys: TLSTicketKeys())
    }

    private func established() throws -> Link {
        let link = try Link(try context(), serverName: "ecdsa.example.com", sendBuffer: 16 * 1024).handshake()
        try #require(link.result.succeeded)
        return link
    }

    private static let payload: [UInt8] = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }

    @Test func oneMebibyteGoesOutThroughPartialWrites() throws {
        let link = try established()
        var received: [UInt8] = []
        var sent = 0
        var partialWrites = 0
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        for _ in 0..<100_000 where received.count < Self.payload.count {
            if sent < Self.payload.count {
                let step = Self.payload.withUnsafeBytes { bytes in
                    link.server.write(from: bytes.baseAddress! + sent, count: bytes.count - sent)
                }
                switch step {
                case .done(let count):
                    if count < Self.payload.count - sent { partialWrites += 1 }
                    sent += count
                case .wantWrite, .wantRead: break
                case .failed(let error): Issue.record("server write: \(error)"); return
                }
            }
            let read = chunk.withUnsafeMutableBytes { link.client.read(into: $0.baseAddress!, count: $0.count) }
            if case .done(let count) = read { received += chunk[0..<count] }
        }
        #expect(sent == Self.payload.count)
        #expect(received == Self.payload)
        #expect(partialWrites > 0)
    }

    @Test func oneMebibyteComesInAndBufferedPlaintextIsSeen() throws {
        let link = try established()
        var received: [UInt8] = []
        var sent = 0
        var sawBuffered = false
        var chunk = [UInt8](repeating: 0, count: 1000)   // smaller than a record: the rest stays in OpenSSL
        for _ in 0..<100_000 where received.count < Self.payload.count {
            if sent < Self.payload.count {
                let step = Self.payload.withUnsafeBytes { link.client.write(from: $0.baseAddress! + sent, count: $0.count - sent) }
                if case .done(let count) = step { sent += count }
            }
            let read = chunk.withUnsafeMutableBytes { link.server.read(into: $0.baseAddress!, count: $0.count) }
            switch read {
            case .done(let count):
                #expect(count > 0)
                received += chunk[0..<count]
                if link.server.hasBufferedPlaintext { sawBuffered = true }
            case .wantRead, .wantWrite: break
            case .failed(let error): Issue.record("server read: \(error)"); return
            }
        }
        #expect(received == Self.payload)
        #expect(sawBuffered)
        #expect(!link.server.hasBufferedPlaintext)
    }

    @Test func closeNotifyReadsAsTheEnd() throws {
        let link = try established()
        #expect(SSL_shutdownResult(link.client) >= 0)
        var byte: UInt8 = 0
        guard case .done(0) = link.server.read(into: &byte, count: 1) else { Issue.record("no end"); return }
        guard case .done = link.server.shutdown() else { Issue.record("no shutdown"); return }
        guard case .done = link.server.shutdown() else { Issue.record("second shutdown"); return }
    }

    @Test func aBareEOFReadsAsTheEnd() throws {
        let link = try established()
        Glibc.shutdown(link.sockets.client, Int32(SHUT_WR))
        var byte: UInt8 = 0
        guard case .done(0) = link.server.read(into: &byte, count: 1) else { Issue.record("no end"); return }
        guard case .done = link.server.shutdown() else { Issue.record("shutdown after EOF"); return }
    }

    @Test func aReadBeforeAnyDataWantsToRead() throws {
        let link = try established()
        var byte: UInt8 = 0
        guard case .wantRead = link.server.read(into: &byte, count: 1) else { Issue.record("not wantRead"); return }
        #expect(!link.server.hasBufferedPlaintext)
    }

    @Test func garbageFromTheClientFailsTheHandshakeWithOpenSSLsReason() throws {
        let link = try Link(try context(), serverName: nil)
        let request = Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        #expect(Glibc.write(link.sockets.client, request, request.count) == request.count)
        guard case .failed(let error) = link.server.handshake() else { Issue.record("garbage accepted"); return }
        #expect(error.message.contains("http request") || error.message.contains("wrong version number"), "\(error)")
        guard case .done = link.server.shutdown() else { Issue.record("shutdown after failure"); return }
    }

    @Test func theClientLeavingMidHandshakeIsAFailure() throws {
        let link = try Link(try context(), serverName: nil)
        guard case .wantRead = link.server.handshake() else { Issue.record("not wantRead"); return }
        Glibc.shutdown(link.sockets.client, Int32(SHUT_WR))
        guard case .failed = link.server.handshake() else { Issue.record("EOF mid-handshake not a failure"); return }
    }
}

/// SSL_shutdown on the test client.
private func SSL_shutdownResult(_ client: TestClient) -> Int32 {
    COpenSSL.SSL_shutdown(client.ssl)
}
