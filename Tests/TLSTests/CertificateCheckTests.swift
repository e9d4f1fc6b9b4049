// `TLSCertificates.check` says what is wrong with a Secret in exact words, at the line of
// the key at fault, and never with a byte of the private key.
import Testing
import ServiceConfig
@testable import TLS

@Suite struct CertificateCheckTests {
    @Test func goodRSAECDSAAndEd25519SecretsHaveNoDiagnostics() throws {
        let material = try TestMaterial.shared.get()
        for pair in [material.rsa, material.ecdsa, material.ed25519, material.wildcard] {
            #expect(TLSCertificates.check(secret("good", pair)).map(\.description) == [])
        }
    }

    @Test func aChainLeafFirstIsAccepted() throws {
        let material = try TestMaterial.shared.get()
        let leaf = material.leafSignedByAuthority
        let chain = leaf.certificate + material.certificateAuthority
        #expect(TLSCertificates.check(secret("chain", leaf, certificate: chain)).map(\.description) == [])
    }

    @Test func aKeyOfAnotherCertificateIsAnErrorOnTLSKey() throws {
        let material = try TestMaterial.shared.get()
        let diagnostics = TLSCertificates.check(secret("web", material.rsa, key: material.ecdsa.key))
        #expect(diagnostics.map(\.description) == [
            "secret.yaml:7:12: Secret \"shop/web\" data[tls.key]: the private key does not match the certificate's public key",
        ])
        #expect(diagnostics.first?.severity == .error)
        #expect(diagnostics.first?.key == "tls.key")
    }

    @Test func aChainInTheWrongOrderSaysTheLeafMustComeFirst() throws {
        let material = try TestMaterial.shared.get()
        let leaf = material.leafSignedByAuthority
        let reversed = material.certificateAuthority + leaf.certificate
        #expect(TLSCertificates.check(secret("web", leaf, certificate: reversed)).map(\.message) == [
            "the private key matches certificate 2 of tls.crt, not the first; the server's own certificate must come first",
        ])
    }

    @Test func garbageAndEmptyValuesSayNoPEMFound() throws {
        let material = try TestMaterial.shared.get()
        let garbage = Array("this is not a certificate\n".utf8)
        #expect(TLSCertificates.check(secret("web", material.rsa, certificate: garbage)).map(\.description) == [
            "secret.yaml:6:12: Secret \"shop/web\" data[tls.crt]: no PEM certificate found",
        ])
        #expect(TLSCertificates.check(secret("web", material.rsa, certificate: [])).map(\.message) == ["no PEM certificate found"])
        #expect(TLSCertificates.check(secret("web", material.rsa, key: garbage)).map(\.description) == [
            "secret.yaml:7:12: Secret \"shop/web\" data[tls.key]: no PEM private key found",
        ])
    }

    @Test func aDamagedSecondCertificateIsNamed() throws {
        let material = try TestMaterial.shared.get()
        let damaged = material.rsa.certificate + Array("-----BEGIN CERTIFICATE-----\n%%%%\n-----END CERTIFICATE-----\n".utf8)
        let messages = TLSCertificates.check(secret("web", material.rsa, certificate: damaged)).map(\.message)
        #expect(messages.count == 1)
        #expect(messages.first?.hasPrefix("certificate 2 cannot be read: ") == true)
    }

    @Test func anEncryptedKeyIsRefusedWithoutAskingForAPassphrase() throws {
        let material = try TestMaterial.shared.get()
        #expect(TLSCertificates.check(secret("web", material.ecdsa, key: material.encryptedKey)).map(\.message) == [
            "the private key is encrypted; it must be stored without a passphrase",
        ])
    }

    @Test func weakAndUnsupportedKeysAreErrors() throws {
        let material = try TestMaterial.shared.get()
        #expect(TLSCertificates.check(secret("weak", material.weakRSA)).map(\.message) == [
            "the RSA key has 1024 bits; at least 2048 are needed",
        ])
        #expect(TLSCertificates.check(secret("ed448", material.ed448)).map(\.message) == [
            "the private key is of type ED448; use RSA, ECDSA or Ed25519",
        ])
    }

    @Test func whatOpenSSLItselfRefusesIsAnErrorInItsWords() throws {
        let material = try TestMaterial.shared.get()
        // Debian's security level 2 refuses certificates signed with SHA-1.
        let chain = material.sha1Leaf.certificate + material.certificateAuthority
        #expect(TLSCertificates.check(secret("sha1", material.sha1Leaf, certificate: chain)).map(\.description) == [
            "secret.yaml:6:12: Secret \"shop/sha1\" data[tls.crt]: OpenSSL refuses the certificate and key: ca md too weak",
        ])
    }

    @Test func anExpiredCertificateIsAWarningWithItsDates() throws {
        let material = try TestMaterial.shared.get()
        let diagnostics = TLSCertificates.check(secret("old", material.expired))
        #expect(diagnostics.map(\.description) == [
            "secret.yaml:6:12: Secret \"shop/old\" data[tls.crt]: the certificate expired on 2021-01-01T00:00:00Z "
                + "(valid from 2020-01-01T00:00:00Z)",
        ])
        #expect(diagnostics.first?.severity == .warning)
    }

    @Test func aCertificateNotYetValidIsAWarningWithItsDates() throws {
        let material = try TestMaterial.shared.get()
        #expect(TLSCertificates.check(secret("early", material.notYetValid)).map(\.message) == [
            "the certificate is not valid until 2100-01-01T00:00:00Z (valid to 2101-01-01T00:00:00Z)",
        ])
    }

    @Test func aSpecTLSHostTheCertificateDoesNotNameIsAWarning() throws {
        let material = try TestMaterial.shared.get()
        let certificate = secret("ecdsa", material.ecdsa, hosts: ["ecdsa.example.com", "shop.example.com"])
        #expect(TLSCertificates.check(certificate).map(\.message) == [
            "the certificate does not name host \"shop.example.com\" that spec.tls lists for it "
                + "(it names ecdsa.example.com, www.ecdsa.example.com)",
        ])
        let wildcard = secret("wild", material.wildcard, hosts: ["a.wild.example.com", "*.wild.example.com"])
        #expect(TLSCertificates.check(wildcard).isEmpty)
    }

    @Test func noDiagnosticOrErrorCarriesKeyBytes() throws {
        let material = try TestMaterial.shared.get()
        let cases = [
            secret("a", material.rsa, key: material.ecdsa.key),
            secret("b", material.rsa, certificate: Array("junk".utf8)),
            secret("c", material.ecdsa, key: material.encryptedKey),
            secret("d", material.weakRSA), secret("e", material.ed448), secret("f", material.expired),
            secret("g", material.rsa, key: Array(material.rsa.key.prefix(200))),
            secret("h", material.rsa, key: material.rsa.key.map { $0 == UInt8(ascii: "A") ? UInt8(ascii: "B") : $0 }),
        ]
        let keys = [material.rsa.key, material.ecdsa.key, material.encryptedKey, material.weakRSA.key, material.ed448.key,
                    material.expired.key]
        let words = cases.flatMap(TLSCertificates.check).map(\.description)
        #expect(words.count >= cases.count)
        for text in words {
            #expect(!text.contains("PRIVATE KEY"))
            for line in keys.flatMap(keyBodyLines) { #expect(!text.contains(line)) }
            for line in keys.flatMap(keyBodyLines) { #expect(!text.contains(line.prefix(16))) }
        }
    }

    @Test func theSelfSignedDefaultIsAUsableP256CertificateForAYear() throws {
        let pair = try TLSCertificates.selfSigned(commonName: "node-1.example.com")
        let certificate = secret("default", Pair(certificate: pair.certificatePEM, key: pair.privateKeyPEM))
        #expect(TLSCertificates.check(certificate).isEmpty)
        let context = try TLSServerContext(plan: plan([]), fallbackDefault: pair, ticketKeys: TLSTicketKeys())
        let served = try #require(context.served.first)
        #expect(served.names == ["node-1.example.com"])
        #expect(served.keyType == "ECDSA P-256")
        #expect(served.secret == nil && served.isDefault)
        #expect(abs(served.notAfter - served.notBefore - 365 * 24 * 60 * 60) < 2)
        #expect(throws: (any Error).self) { try TLSCertificates.selfSigned(commonName: "a,DNS:b") }
    }
}
