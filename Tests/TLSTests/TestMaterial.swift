// Certificates and keys for the TLS tests, made once per test run with the `openssl`
// command line (as a user would make them) in a temporary directory, plus the ones the
// command line of OpenSSL 3.0 cannot make (chosen validity dates) through the module's own
// self-signed maker. Nothing here prints key bytes.
import Foundation
import ServiceConfig
@testable import TLS

/// One certificate file's PEM and its key's PEM.
struct Pair: Sendable {
    let certificate: [UInt8]
    let key: [UInt8]
}

struct TestMaterial: Sendable {
    let rsa: Pair           // rsa.example.com, RSA-2048
    let ecdsa: Pair         // ecdsa.example.com and www.ecdsa.example.com, P-256
    let ed25519: Pair       // ed.example.com
    let wildcard: Pair      // *.wild.example.com
    let mixedCase: Pair     // Mixed.Example.COM, P-256
    let weakRSA: Pair       // weak.example.com, RSA-1024
    let ed448: Pair         // ed448.example.com
    let encryptedKey: [UInt8]   // ecdsa's key under a passphrase
    let certificateAuthority: [UInt8]
    let leafSignedByAuthority: Pair   // leaf.example.com, issued by certificateAuthority
    let sha1Leaf: Pair                // sha1.example.com, issued by certificateAuthority with SHA-1
    let expired: Pair
    let notYetValid: Pair

    /// Made on first use; every test reads the same files.
    static let shared = Result { try TestMaterial() }

    private init() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-tests-\(getpid())-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let maker = OpenSSLCommand(directory: directory)
        rsa = try maker.selfSigned("rsa", key: ["-newkey", "rsa:2048"], names: ["rsa.example.com"])
        ecdsa = try maker.selfSigned("ecdsa", key: maker.p256, names: ["ecdsa.example.com", "www.ecdsa.example.com"])
        ed25519 = try maker.selfSigned("ed", key: ["-newkey", "ed25519"], names: ["ed.example.com"])
        wildcard = try maker.selfSigned("wild", key: maker.p256, names: ["*.wild.example.com"])
        mixedCase = try maker.selfSigned("mixed", key: maker.p256, names: ["Mixed.Example.COM"])
        weakRSA = try maker.selfSigned("weak", key: ["-newkey", "rsa:1024"], names: ["weak.example.com"])
        ed448 = try maker.selfSigned("ed448", key: ["-newkey", "ed448"], names: ["ed448.example.com"])
        try maker.run(["pkey", "-in", "ecdsa.key", "-aes256", "-passout", "pass:secret", "-out", "encrypted.key"])
        encryptedKey = try maker.read("encrypted.key")
        let authority = try maker.selfSigned("ca", key: maker.p256, names: ["Test CA"])
        certificateAuthority = authority.certificate
        leafSignedByAuthority = try maker.issued("leaf", by: "ca", names: ["leaf.example.com"])
        sha1Leaf = try maker.issued("sha1", by: "ca", names: ["sha1.example.com"], digest: "-sha1")
        let expired = try SelfSignedCertificate.make(
            names: ["old.example.com"], notBefore: 1_577_836_800, notAfter: 1_609_459_200)  // 2020-01-01 to 2021-01-01
        self.expired = Pair(certificate: expired.certificatePEM, key: expired.privateKeyPEM)
        let early = try SelfSignedCertificate.make(
            names: ["future.example.com"], notBefore: 4_102_444_800, notAfter: 4_133_980_800)  // 2100-01-01 to 2101-01-01
        notYetValid = Pair(certificate: early.certificatePEM, key: early.privateKeyPEM)
    }
}

/// Runs `openssl` in one directory.
private struct OpenSSLCommand {
    let directory: URL
    let p256 = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]

    func selfSigned(_ name: String, key: [String], names: [String]) throws -> Pair {
        let alternative = names.allSatisfy { $0.contains(".") }
            ? ["-addext", "subjectAltName=" + names.map { "DNS:\($0)" }.joined(separator: ",")]
            : []  // a CA: Debian's openssl.cnf already makes `req -x509` certificates CA:TRUE
        try run(["req", "-x509", "-nodes", "-days", "30", "-subj", "/CN=\(names[0])", "-keyout", "\(name).key",
                 "-out", "\(name).crt"] + key + alternative)
        return Pair(certificate: try read("\(name).crt"), key: try read("\(name).key"))
    }

    func issued(_ name: String, by authority: String, names: [String], digest: String = "-sha256") throws -> Pair {
        try run(["req", "-new", "-nodes", "-subj", "/CN=\(names[0])", "-keyout", "\(name).key", "-out", "\(name).csr"] + p256)
        let extensions = "subjectAltName=" + names.map { "DNS:\($0)" }.joined(separator: ",")
        try Data(extensions.utf8).write(to: directory.appendingPathComponent("\(name).ext"))
        try run(["x509", "-req", "-in", "\(name).csr", "-CA", "\(authority).crt", "-CAkey", "\(authority).key",
                 "-CAcreateserial", "-days", "30", "-extfile", "\(name).ext", digest, "-out", "\(name).crt"])
        return Pair(certificate: try read("\(name).crt"), key: try read("\(name).key"))
    }

    func read(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let said = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CommandFailed(words: "openssl \(arguments.first ?? ""): " + String(decoding: said, as: UTF8.self))
        }
    }
}

struct CommandFailed: Error, CustomStringConvertible {
    let words: String
    var description: String { words }
}

/// `pair` as the Secret `shop/NAME`, written in secret.yaml.
func secret(_ name: String, _ pair: Pair, hosts: [String] = [], key: [UInt8]? = nil,
            certificate: [UInt8]? = nil) -> IngressCertificate {
    IngressCertificate(
        secret: ObjectKey(namespace: "shop", name: name), hosts: hosts, certificatePEM: certificate ?? pair.certificate,
        privateKeyPEM: key ?? pair.key, location: SourceLocation(file: "secret.yaml", line: 1, column: 1),
        certificateLocation: SourceLocation(file: "secret.yaml", line: 6, column: 12),
        privateKeyLocation: SourceLocation(file: "secret.yaml", line: 7, column: 12))
}

/// The lines of a PEM key's body: none may appear in any message.
func keyBodyLines(_ key: [UInt8]) -> [String] {
    String(decoding: key, as: UTF8.self).split(separator: "\n").map(String.init).filter { !$0.hasPrefix("-----") && $0.count > 8 }
}
