// Real handshakes against an in-process OpenSSL client: SNI picks the certificate (exact,
// then wildcard, else the default), TLS 1.2 and 1.3 are spoken and 1.1 is not, ALPN gives
// http/1.1 or nothing, and unusable Secrets are left out with their diagnostics.
import Testing
import ServiceConfig
@testable import TLS

@Suite struct HandshakeTests {
    /// rsa, ecdsa, ed25519 and wildcard certificates, with the self-signed default.
    private func servingContext() throws -> TLSServerContext {
        let material = try TestMaterial.shared.get()
        let certificates = [
            secret("rsa", material.rsa), secret("ecdsa", material.ecdsa), secret("ed", material.ed25519),
            secret("wild", material.wildcard), secret("mixed", material.mixedCase),
        ]
        return try TLSServerContext(plan: plan(certificates), fallbackDefault: fallbackDefault, ticketKeys: TLSTicketKeys())
    }

    private func connect(_ context: TLSServerContext, serverName: String?, versions: Versions = .tls13,
                         alpn: [String] = ["h2", "http/1.1"]) throws -> Link {
        try Link(context, serverName: serverName, versions: versions, alpn: alpn).handshake()
    }

    @Test(arguments: [
        ("rsa.example.com", ["rsa.example.com"]),
        ("www.ecdsa.example.com", ["ecdsa.example.com", "www.ecdsa.example.com"]),
        ("ED.example.com", ["ed.example.com"]),
        ("mixed.example.com.", ["mixed.example.com"]),
        ("a.wild.example.com", ["*.wild.example.com"]),
        ("b.a.wild.example.com", ["default.example.com"]),
        ("wild.example.com", ["default.example.com"]),
        ("unknown.example.org", ["default.example.com"]),
    ])
    func serverNameChoosesTheCertificate(serverName: String, expected: [String]) throws {
        let link = try connect(try servingContext(), serverName: serverName)
        #expect(link.result.succeeded, "\(link.result.serverError ?? "")")
        #expect(link.client.servedNames == expected)
        #expect(link.server.serverName == serverName)
    }

    @Test func aHostGetsTheCertificateItsSpecTLSListsNotAnotherThatCoversItsName() throws {
        let material = try TestMaterial.shared.get()
        // "rsa" carries rsa.example.com but is listed for another host; "ecdsa" is listed for
        // rsa.example.com: a Secret of one Ingress must not take over another's host.
        let certificates = [secret("rsa", material.rsa, hosts: ["other.example.com"]),
                            secret("ecdsa", material.ecdsa, hosts: ["rsa.example.com"])]
        let context = try TLSServerContext(plan: plan(certificates), fallbackDefault: fallbackDefault, ticketKeys: TLSTicketKeys())
        let link = try connect(context, serverName: "rsa.example.com")
        #expect(link.result.succeeded, "\(link.result.serverError ?? "")")
        #expect(link.client.servedNames == ["ecdsa.example.com", "www.ecdsa.example.com"])
    }

    @Test func noServerNameGetsTheDefault() throws {
        let link = try connect(try servingContext(), serverName: nil)
        #expect(link.result.succeeded)
        #expect(link.client.servedNames == ["default.example.com"])
        #expect(link.server.serverName == nil)
    }

    @Test func ed25519ServesOverTLS12Too() throws {
        let link = try connect(try servingContext(), serverName: "ed.example.com", versions: .tls12)
        #expect(link.result.succeeded, "\(link.result.serverError ?? "")")
        #expect(link.client.servedNames == ["ed.example.com"])
        #expect(link.server.protocolVersion == "TLSv1.2")
    }

    @Test(arguments: [("TLSv1.2", Versions.tls12), ("TLSv1.3", Versions.tls13)])
    func tls12And13AreAccepted(name: String, versions: Versions) throws {
        let link = try connect(try servingContext(), serverName: "rsa.example.com", versions: versions)
        #expect(link.result.succeeded, "\(link.result.serverError ?? "")")
        #expect(link.server.protocolVersion == name)
        #expect(link.server.resumed == false)
    }

    @Test func tls11IsRefused() throws {
        let link = try connect(try servingContext(), serverName: "rsa.example.com", versions: .tls11)
        #expect(!link.result.succeeded)
        #expect(link.result.serverError?.contains("unsupported protocol") == true, "\(link.result.serverError ?? "no error")")
        if case .failed = link.result.client {} else { Issue.record("the client was not refused: \(link.result.client)") }
    }

    @Test func alpnAgreesOnHTTP11OrNothing() throws {
        let context = try servingContext()
        let link = try connect(context, serverName: "rsa.example.com")
        #expect(link.result.succeeded)
        #expect(link.server.applicationProtocol == "http/1.1")
        #expect(link.client.alpn == "http/1.1")
        let onlyH2Link = try connect(context, serverName: "rsa.example.com", alpn: ["h2"])
        #expect(onlyH2Link.result.succeeded)
        #expect(onlyH2Link.server.applicationProtocol == nil)
        let noneLink = try connect(context, serverName: "rsa.example.com", alpn: [])
        #expect(noneLink.result.succeeded)
        #expect(noneLink.server.applicationProtocol == nil)
    }

    @Test func unusableSecretsAreLeftOutAndTheirHostsGetTheDefault() throws {
        let material = try TestMaterial.shared.get()
        let broken = secret("broken", material.rsa, key: material.ecdsa.key)
        let context = try TLSServerContext(
            plan: plan([broken, secret("ecdsa", material.ecdsa)]), fallbackDefault: fallbackDefault, ticketKeys: TLSTicketKeys())
        #expect(context.diagnostics.map(\.message) == ["the private key does not match the certificate's public key"])
        #expect(context.served.map(\.secret) == [ObjectKey(namespace: "shop", name: "ecdsa"), nil])
        let link = try connect(context, serverName: "rsa.example.com")
        #expect(link.result.succeeded)
        #expect(link.client.servedNames == ["default.example.com"])
    }

    @Test func theConfiguredDefaultServesUnknownNames() throws {
        let material = try TestMaterial.shared.get()
        let context = try TLSServerContext(
            plan: plan([secret("rsa", material.rsa)], defaultCertificate: secret("ed", material.ed25519)),
            fallbackDefault: fallbackDefault, ticketKeys: TLSTicketKeys())
        #expect(context.served.map(\.keyType) == ["RSA-2048", "Ed25519"])
        #expect(context.served.map(\.isDefault) == [false, true])
        let link = try connect(context, serverName: "nobody.example.com")
        #expect(link.result.succeeded)
        #expect(link.client.servedNames == ["ed.example.com"])
    }

    @Test func servedCertificatesDescribeTheirKeysAndNames() throws {
        let served = try servingContext().served
        // Plan order: by Secret name.
        #expect(served.map(\.secret?.name) == ["ecdsa", "ed", "mixed", "rsa", "wild", nil])
        #expect(served.map(\.keyType) == ["ECDSA P-256", "Ed25519", "ECDSA P-256", "RSA-2048", "ECDSA P-256", "ECDSA P-256"])
        #expect(served.map(\.names) == [
            ["ecdsa.example.com", "www.ecdsa.example.com"], ["ed.example.com"], ["mixed.example.com"],
            ["rsa.example.com"], ["*.wild.example.com"], ["default.example.com"],
        ])
        #expect(served.allSatisfy { $0.notBefore < $0.notAfter })
    }

    @Test func aBrokenFallbackDefaultIsAnErrorWithoutKeyBytes() throws {
        let material = try TestMaterial.shared.get()
        do {
            _ = try TLSServerContext(
                plan: plan([]), fallbackDefault: (material.rsa.certificate, material.ecdsa.key), ticketKeys: TLSTicketKeys())
            Issue.record("a mismatched default was accepted")
        } catch {
            #expect(error.description == "the default certificate is unusable: tls.key: the private key does not match "
                + "the certificate's public key")
        }
    }

    @Test func kernelTLSIsNotUsed() throws {
        let link = try connect(try servingContext(), serverName: "rsa.example.com")
        #expect(link.result.succeeded)
        // Kernel TLS stays off (CTLSShim's server options say why).
        #expect(link.server.kernelTLS == (false, false))
    }
}
