// Secrets as the API server takes them (ValidateSecret, and base64 as Go reads `[]byte`),
// with Kubernetes' field paths and words, as tables: each case is one Secret next to an
// Ingress of ours that names it (or not), and the errors it must give, values never shown.
import Foundation
import Testing
@testable import ServiceConfig

struct SecretCase: CustomStringConvertible, Sendable {
    let name: String
    /// The Secret's lines after `metadata`.
    var body: [String] = tlsSecretBody()
    var secretName = "x-tls"
    /// Whether an Ingress of ours names it in `spec.tls`.
    var referenced = true
    /// Each error as printed after `Secret "shop/NAME" is invalid: `; empty when valid.
    let expect: [String]

    var description: String { name }

    var documents: [String] {
        let secretNamed = referenced ? "x-tls" : "other-tls"
        return [secretYAML(secretName, body), tlsSecret("other-tls"), ingressYAML("a", spec: tlsSpec("\(secretNamed) x.example.com"))]
    }
}

private let redacted = "Invalid value: \"<secret contents redacted>\""
private let twice = base64(base64(testCertificatePEM))

let secretCases: [SecretCase] = [
    .init(name: "data, as kubectl writes it", expect: []),
    .init(name: "stringData", body: ["type: kubernetes.io/tls", "stringData:", "  tls.crt: |"] + blockLines(testCertificatePEM)
            + ["  tls.key: |"] + blockLines(testKeyPEM), expect: []),
    .init(name: "data and stringData", body: ["type: kubernetes.io/tls", "data: {tls.crt: \(base64(testCertificatePEM))}",
                                              "stringData:", "  tls.key: |"] + blockLines(testKeyPEM), expect: []),
    .init(name: "base64 over several lines", body: ["type: kubernetes.io/tls", "data:", "  tls.crt: |"]
            + blockLines(base64(testCertificatePEM).chunked(16)) + ["  tls.key: \(base64(testKeyPEM))"], expect: []),
    .init(name: "immutable", body: tlsSecretBody() + ["immutable: true"], expect: []),
    .init(name: "other keys besides the pair", body: tlsSecretBody() + ["  ca.crt: \(base64(testCertificatePEM))"], expect: []),
    // base64
    .init(name: "bad base64 in tls.crt", body: tlsSecretBody(certificate: "LS0t!!!!"),
          expect: ["data[tls.crt]: \(redacted): illegal base64 data at input byte 4"]),
    .init(name: "base64 without padding in tls.key", body: tlsSecretBody(key: String(base64(testKeyPEM).dropLast(1))),
          expect: ["data[tls.key]: \(redacted): illegal base64 data at input byte \(base64(testKeyPEM).count - 1)"]),
    .init(name: "bad base64 in a Secret nobody names", body: tlsSecretBody(certificate: "LS0t!!!!"), referenced: false, expect: []),
    .init(name: "bad base64 in an Opaque Secret", body: ["type: Opaque", "data: {password: \"%%%\"}"], expect: []),
    .init(name: "a Secret without type is Opaque", body: ["data: {tls.crt: \"%%%\"}"], expect: []),
    // the two keys
    .init(name: "no tls.key", body: ["type: kubernetes.io/tls", "data: {tls.crt: \(base64(testCertificatePEM))}"],
          expect: ["data[tls.key]: Required value"]),
    .init(name: "neither key, nobody names it", body: ["type: kubernetes.io/tls", "data: {}"], referenced: false,
          expect: ["data[tls.crt]: Required value", "data[tls.key]: Required value"]),
    .init(name: "base64 encoded twice", body: tlsSecretBody(certificate: twice),
          expect: ["data[tls.crt]: \(redacted): holds base64 text, not PEM: was it base64-encoded twice?"]),
    .init(name: "keys swapped", body: tlsSecretBody(certificate: base64(testKeyPEM), key: base64(testCertificatePEM)),
          expect: ["data[tls.crt]: \(redacted): holds a private key, not a certificate: are tls.crt and tls.key swapped?",
                   "data[tls.key]: \(redacted): holds a certificate, not a private key: are tls.crt and tls.key swapped?"]),
    .init(name: "encrypted private key",
          body: tlsSecretBody(key: base64("-----BEGIN ENCRYPTED PRIVATE KEY-----\n\(keyMarker)\n-----END ENCRYPTED PRIVATE KEY-----\n")),
          expect: ["data[tls.key]: \(redacted): an encrypted private key cannot be used: there is no passphrase to decrypt it with"]),
    .init(name: "empty certificate", body: tlsSecretBody(certificate: "\"\""), expect: ["data[tls.crt]: \(redacted): must not be empty"]),
    .init(name: "not PEM at all", body: tlsSecretBody(key: base64(keyMarker)),
          expect: ["data[tls.key]: \(redacted): must hold a PEM private key (-----BEGIN PRIVATE KEY-----)"]),
    .init(name: "stringData not PEM", body: ["type: kubernetes.io/tls", "data: {tls.crt: \(base64(testCertificatePEM))}",
                                             "stringData: {tls.key: \(keyMarker)}"],
          expect: ["stringData[tls.key]: \(redacted): must hold a PEM private key (-----BEGIN PRIVATE KEY-----)"]),
    // types and shapes
    .init(name: "a number for a value", body: ["type: kubernetes.io/tls", "data: {tls.crt: 12, tls.key: \(base64(testKeyPEM))}"],
          expect: ["data[tls.crt]: \(redacted): must be a string"]),
    .init(name: "data as one string", body: ["type: kubernetes.io/tls", "data: \(base64(testKeyPEM))"],
          expect: ["data: \(redacted): must be a mapping of strings", "data[tls.crt]: Required value", "data[tls.key]: Required value"]),
    .init(name: "invalid key", body: tlsSecretBody() + ["  tls crt: \(base64(testCertificatePEM))"],
          expect: ["data[tls crt]: Invalid value: \"tls crt\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
                   + "(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"]),
    .init(name: "key starting with two dots", body: tlsSecretBody() + ["  ..data: \(base64("x"))"],
          expect: ["data[..data]: Invalid value: \"..data\": must not start with '..'"]),
    .init(name: "name with capitals", body: tlsSecretBody(), secretName: "X-tls", referenced: false,
          expect: ["metadata.name: Invalid value: \"X-tls\": \(NameFormat.subdomainMessage)"]),
    // strict fields
    .init(name: "unknown field", body: tlsSecretBody() + ["strinData: {a: b}"], expect: ["strinData: Unknown field: did you mean stringData?"]),
    .init(name: "type misspelled", body: ["Type: kubernetes.io/tls", "data: {}"], expect: ["Type: Unknown field: did you mean type?"]),
]

@Suite struct SecretTableTests {
    @Test func everyCaseHasItsOwnName() {
        #expect(Set(secretCases.map(\.name)).count == secretCases.count)
    }

    @Test(arguments: secretCases)
    func fieldPathsAndWordsMatchKubernetes(_ testCase: SecretCase) {
        let result = planTLS(testCase.documents)
        let found = result.errorLines.map { $0.replacing(#/^all\.yaml:\d+:\d+: Secret "[^"]*" is invalid: /#, with: "") }
        #expect(found.sorted() == testCase.expect.sorted(), "\(testCase.name)")
        for leak in keyLeaks + [twice] {
            #expect(!result.everythingShown.contains(leak), "\(testCase.name): key material shown")
        }
    }

    @Test func theLeakCheckWouldSeeTheKeyInAnyOfItsForms() {
        let shown = [testKeyPEM, base64(testKeyPEM), String(describing: Array(testKeyPEM.utf8))]
        #expect(zip(shown, keyLeaks).allSatisfy { $0.contains($1) })
    }

    @Test func aValueThatIsNotBase64IsAnErrorAtItsLine() {
        let secret = secretYAML("x-tls", tlsSecretBody(key: "not base64"))
        let errors = planTLS([secret, ingressYAML("a", spec: tlsSpec("x-tls x.example.com"))]).errorLines
        // webService is 32 lines, then `---`; the key is the Secret's 7th line.
        #expect(errors == ["all.yaml:40:12: Secret \"shop/x-tls\" is invalid: data[tls.key]: "
                           + "Invalid value: \"<secret contents redacted>\": illegal base64 data at input byte 3"])
    }

    @Test func aMissingKeyIsAnErrorAtData() {
        let secret = secretYAML("x-tls", ["type: kubernetes.io/tls", "data:", "  tls.crt: \(base64(testCertificatePEM))"])
        #expect(planTLS([secret]).errorLines == ["all.yaml:39:3: Secret \"shop/x-tls\" is invalid: data[tls.key]: Required value"])
    }

    @Test func otherTypesAreSkippedWithOneLine() throws {
        let loaded = try planTLS([secretYAML("db", ["type: Opaque", "data: {password: \(base64(keyMarker))}"]),
                                  secretYAML("pull", ["type: kubernetes.io/dockerconfigjson", "data: {.dockerconfigjson: e30=}"])]).get()
        #expect(loaded.notes.filter { $0.contains("skipped Secret") } == [
            "all.yaml:34:1: skipped Secret \"shop/db\" of type Opaque: svcproxy reads only kubernetes.io/tls Secrets",
            "all.yaml:40:1: skipped Secret \"shop/pull\" of type kubernetes.io/dockerconfigjson: svcproxy reads only kubernetes.io/tls Secrets",
        ])
    }

    @Test func aSecretListLoadsAndTwoSecretsOfOneNameAreAnError() {
        let list = "apiVersion: v1\nkind: SecretList\nitems:\n- {apiVersion: v1, kind: Secret, metadata: {name: a, namespace: shop}, type: Opaque}\n---\n"
        let errors = planTLS([list, secretYAML("a", ["type: Opaque"])]).errorLines
        #expect(errors.count == 1)
        #expect(errors.first?.contains("Secret \"shop/a\" is invalid: metadata.name: Duplicate value: \"a\": Secret \"shop/a\" is already defined at all.yaml:37:3") == true,
                "\(errors)")
    }

    @Test func onlySecretsInUseAreDecoded() {
        let secrets = [secretYAML("used", tlsSecretBody()), secretYAML("unused", tlsSecretBody())]
        let (objects, _) = ConfigLoader.load(text: secrets.joined(), file: "s.yaml")
        let contents = SecretContents(secrets: objects.secrets, wanted: [ObjectKey(namespace: "shop", name: "used")])
        #expect(contents.certificates.keys.map(\.name) == ["used"])
        #expect(contents.certificates.values.first?.privateKeyPEM == Array(testKeyPEM.utf8))
        #expect(!String(describing: objects.secrets).contains(base64(testKeyPEM)), "a Secret describes itself without its values")
        var dumped = ""
        dump(objects.secrets, to: &dumped)
        #expect(!dumped.contains(base64(testKeyPEM)) && dumped.contains("tls.key"))
    }
}

/// Go's own TestDecodeCorrupt table (encoding/base64): the offsets the API server reports.
@Suite struct Base64SyntaxTests {
    static let corrupt: [(String, Int?)] = [
        ("", nil), ("\n", nil), ("AAA=\n", nil), ("AAAA\n", nil), ("!!!!", 0), ("====", 0), ("x===", 1), ("=AAA", 0),
        ("A=AA", 1), ("AA=A", 2), ("AA==A", 4), ("AAA=AAAA", 4), ("AAAAA", 4), ("AAAAAA", 4), ("A=", 1), ("A==", 1),
        ("AA=", 3), ("AA==", nil), ("AAA=", nil), ("AAAA", nil), ("AAAAAA=", 7), ("YWJjZA=====", 8), ("A!\n", 1), ("A=\n", 1),
    ]

    @Test(arguments: corrupt)
    func corruptInputIsFoundWhereGoFindsIt(_ example: (String, Int?)) {
        switch Base64Syntax.decode(example.0) {
        case .success: #expect(example.1 == nil, "\(example.0.debugDescription) decoded")
        case .failure(let error): #expect(error.offset == example.1, "\(example.0.debugDescription)")
        }
    }

    static let decoded: [(String, String)] = [
        ("Zm9vYmFy", "foobar"), ("Zm9vYg==", "foob"), ("Zm9vYmE=", "fooba"), ("Zm9v\r\nYmFy\n", "foobar"), ("Zg=\n=", "f"),
    ]

    @Test(arguments: decoded)
    func decodesAsGoDoes(_ example: (String, String)) {
        #expect((try? Base64Syntax.decode(example.0).get()) == Array(example.1.utf8))
    }

    @Test func aRealCertificateRoundTrips() throws {
        let pem = try String(contentsOfFile: fixtures + "/tls/shop.example.com.crt", encoding: .utf8)
        #expect(try Base64Syntax.decode(base64(pem)).get() == Array(pem.utf8))
    }
}

extension String {
    /// This text in lines of `width` characters, as `base64 -w` writes it.
    func chunked(_ width: Int) -> String {
        var lines: [Substring] = []
        var rest = self[...]
        while !rest.isEmpty {
            lines.append(rest.prefix(width))
            rest = rest.dropFirst(width)
        }
        return lines.joined(separator: "\n")
    }
}
