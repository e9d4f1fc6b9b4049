// Session tickets open wherever the same TLSTicketKeys are: across two TLSServerContexts
// (two reloads, or two workers' views of one plan), in TLS 1.2 and 1.3; a ticket sealed
// before one rotation still opens, one sealed two rotations ago does not; a ticket opens
// only for the certificate it was made with, however the client reaches it.
import COpenSSL
import Synchronization
import Testing
@testable import TLS

/// A clock the test moves.
private final class TestClock: Sendable {
    private let seconds = Mutex<Double>(1_000_000)
    func now() -> Double { seconds.withLock { $0 } }
    func advance(_ by: Double) { seconds.withLock { $0 += by } }
}

@Suite struct ResumptionTests {
    private func context(_ keys: TLSTicketKeys) throws -> TLSServerContext {
        let material = try TestMaterial.shared.get()
        return try TLSServerContext(plan: plan([secret("rsa", material.rsa), secret("ecdsa", material.ecdsa)]),
                                    fallbackDefault: fallbackDefault, ticketKeys: keys)
    }

    /// A full handshake with `context`, then one byte from the server so that a TLS 1.3
    /// client reads its tickets; returns the session to resume (caller frees it).
    private func firstSession(_ context: TLSServerContext, _ versions: Versions,
                              serverName: String? = "ecdsa.example.com") throws -> OpaquePointer {
        let link = try Link(context, serverName: serverName, versions: versions).handshake()
        try #require(link.result.succeeded)
        #expect(!link.server.resumed)
        var byte: UInt8 = 7
        guard case .done(1) = link.server.write(from: &byte, count: 1) else { throw TLSError("server write") }
        guard case .done(1) = link.client.read(into: &byte, count: 1) else { throw TLSError("client read") }
        let session = try #require(link.client.session())
        // Freeing an SSL that never sent close_notify marks its session unresumable (OpenSSL
        // takes it for a broken connection), and the client would then not offer it.
        _ = SSL_shutdown(link.client.ssl)
        #expect(SSL_SESSION_is_resumable(session) == 1)
        return session
    }

    /// Whether a handshake with `session` against `context` resumed, on both sides.
    private func resumes(_ context: TLSServerContext, _ versions: Versions, _ session: OpaquePointer,
                         serverName: String? = "ecdsa.example.com",
                         served: [String] = ["ecdsa.example.com", "www.ecdsa.example.com"]) throws -> Bool {
        let link = try Link(context, serverName: serverName, versions: versions, session: session).handshake()
        try #require(link.result.succeeded, "\(link.result.serverError ?? "")")
        #expect(link.server.resumed == link.client.resumed)
        #expect(link.client.servedNames == served)
        return link.server.resumed
    }

    @Test(arguments: [Versions.tls12, Versions.tls13])
    func aTicketFromOneContextResumesOnAnotherWithTheSameKeys(versions: Versions) throws {
        let keys = TLSTicketKeys()
        let session = try firstSession(try context(keys), versions)
        defer { SSL_SESSION_free(session) }
        #expect(try resumes(try context(keys), versions, session))
    }

    @Test(arguments: [Versions.tls12, Versions.tls13])
    func aTicketDoesNotResumeWithOtherKeys(versions: Versions) throws {
        let session = try firstSession(try context(TLSTicketKeys()), versions)
        defer { SSL_SESSION_free(session) }
        #expect(try !resumes(try context(TLSTicketKeys()), versions, session))
    }

    @Test func theKeyBeforeOneRotationStillOpensAndTwoRotationsRetireIt() throws {
        let clock = TestClock()
        let keys = TLSTicketKeys(rotationInterval: 100, clock: { clock.now() })
        let serving = try context(keys)
        let session = try firstSession(serving, .tls13)
        defer { SSL_SESSION_free(session) }
        clock.advance(150)
        #expect(try resumes(serving, .tls13, session))
        let older = try firstSession(serving, .tls13)   // sealed with the key made at +150
        defer { SSL_SESSION_free(older) }
        clock.advance(250)  // +400: that key is two intervals old
        #expect(try !resumes(serving, .tls13, older))
    }

    @Test(arguments: [Versions.tls12, Versions.tls13])
    func aTicketDoesNotResumeUnderAnotherCertificate(versions: Versions) throws {
        let serving = try context(TLSTicketKeys())
        let session = try firstSession(serving, versions)
        defer { SSL_SESSION_free(session) }
        #expect(try !resumes(serving, versions, session, serverName: "rsa.example.com", served: ["rsa.example.com"]))
        #expect(try resumes(serving, versions, session))
    }

    /// The default certificate's Secret also serves an Ingress's host: one context serves
    /// both, and with the host's name or with none the client gets that certificate and
    /// resumes either way.
    @Test func theDefaultCertificatesSecretResumesWithOrWithoutItsHostName() throws {
        let material = try TestMaterial.shared.get()
        let serving = try TLSServerContext(
            plan: plan([secret("rsa", material.rsa), secret("ecdsa", material.ecdsa)], defaultCertificate: secret("ecdsa", material.ecdsa)),
            fallbackDefault: fallbackDefault, ticketKeys: TLSTicketKeys())
        #expect(serving.served.map(\.isDefault) == [false, false, true])
        #expect(serving.contextCount == 2, "the default shares its Secret's context")
        let named = try firstSession(serving, .tls13)
        defer { SSL_SESSION_free(named) }
        #expect(try resumes(serving, .tls13, named, serverName: nil))
        let unnamed = try firstSession(serving, .tls13, serverName: nil)
        defer { SSL_SESSION_free(unnamed) }
        #expect(try resumes(serving, .tls13, unnamed))
        #expect(try !resumes(serving, .tls13, unnamed, serverName: "rsa.example.com", served: ["rsa.example.com"]))
    }
}
