// What a certificate and key say about themselves: names, validity, key kind. SNI
// selection, ServedCertificate and the diagnostics all read them here, so a name is
// lowercased and a date converted in one place.
import COpenSSL
import Glibc

extension X509Certificate {
    /// The DNS names of its subjectAltName, lowercase; when it has none, its CN (as clients
    /// did before SANs, and as a self-signed default may have only a CN).
    var names: [String] {
        let alternative = dnsNames
        if !alternative.isEmpty { return alternative }
        return commonName.map { [$0.lowercased()] } ?? []
    }

    private var dnsNames: [String] {
        alternativeNames.compactMap { $0.hasPrefix("DNS:") ? String($0.dropFirst(4)).lowercased() : nil }
    }

    /// The subjectAltName entries of the kinds a server's name is checked against, as
    /// OpenSSL prints them: `DNS:api.example`, `IP:10.0.0.1`, `IP:fd00::1`.
    var alternativeNames: [String] {
        guard let extensionValue = X509_get_ext_d2i(pointer, NID_subject_alt_name, nil, nil) else { return [] }
        let stack = OpaquePointer(extensionValue)
        defer { GENERAL_NAMES_free(stack) }
        var names: [String] = []
        for index in 0..<OPENSSL_sk_num(stack) {
            guard let raw = OPENSSL_sk_value(stack, index) else { continue }
            let name = raw.assumingMemoryBound(to: GENERAL_NAME.self).pointee
            switch name.type {
            case GEN_DNS: if let text = asn1Text(name.d.dNSName) { names.append("DNS:" + text) }
            case GEN_IPADD: if let text = addressText(name.d.iPAddress) { names.append("IP:" + text) }
            default: continue
            }
        }
        return names
    }

    private var commonName: String? {
        guard let subject = X509_get_subject_name(pointer) else { return nil }
        let index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1)
        guard index >= 0, let entry = X509_NAME_get_entry(subject, index) else { return nil }
        return asn1Text(X509_NAME_ENTRY_get_data(entry))
    }

    /// Seconds since the epoch.
    var notBefore: Double? { epochSeconds(X509_get0_notBefore(pointer)) }
    var notAfter: Double? { epochSeconds(X509_get0_notAfter(pointer)) }
}

extension PrivateKey {
    /// The kinds of key we serve with: RSA (2048 bits or more, as Debian's default
    /// security level 2 demands), ECDSA, Ed25519.
    enum Kind: Equatable {
        case rsa(bits: Int32)
        case ecdsa(curve: String)
        case ed25519
        /// Anything else, by OpenSSL's short name (`DSA`, `ED448`, `RSA-PSS`).
        case unsupported(String)
    }

    var kind: Kind {
        switch EVP_PKEY_get_base_id(pointer) {
        case EVP_PKEY_RSA: return .rsa(bits: EVP_PKEY_get_bits(pointer))
        case EVP_PKEY_EC: return .ecdsa(curve: curveName ?? "unknown curve")
        case EVP_PKEY_ED25519: return .ed25519
        case let id: return .unsupported(OBJ_nid2sn(id).map { String(cString: $0) } ?? "type \(id)")
        }
    }

    /// `RSA-2048`, `ECDSA P-256`, `Ed25519`.
    var typeName: String {
        switch kind {
        case .rsa(let bits): return "RSA-\(bits)"
        case .ecdsa(let curve): return "ECDSA \(curve)"
        case .ed25519: return "Ed25519"
        case .unsupported(let name): return name
        }
    }

    /// The NIST name (`P-256`) where the curve has one, else OpenSSL's (`brainpoolP256r1`).
    private var curveName: String? {
        var buffer = [CChar](repeating: 0, count: 80)
        var length = 0
        guard EVP_PKEY_get_group_name(pointer, &buffer, buffer.count, &length) == 1 else { return nil }
        let name = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if let nist = EC_curve_nid2nist(OBJ_txt2nid(name)) { return String(cString: nist) }
        return name
    }
}

/// Whether `pattern` (a certificate name, perhaps `*.foo.com`) covers `host`: exactly, or
/// as a wildcard for exactly one leftmost label (RFC 6125 6.4.3, without partial labels).
func certificateName(_ pattern: String, covers host: String) -> Bool {
    if pattern == host { return true }
    guard pattern.hasPrefix("*."), let dot = host.firstIndex(of: "."), dot != host.startIndex else { return false }
    return pattern.dropFirst(1) == host[dot...]
}

/// `2024-01-02T03:04:05Z`.
func iso8601(_ seconds: Double) -> String {
    var time = time_t(seconds)
    var parts = tm()
    guard gmtime_r(&time, &parts) != nil else { return "\(seconds)" }
    func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
    return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
        + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
}

private func epochSeconds(_ time: UnsafePointer<ASN1_TIME>?) -> Double? {
    var parts = tm()
    guard let time, ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
    return Double(timegm(&parts))
}

private func asn1Text(_ string: UnsafeMutablePointer<ASN1_STRING>?) -> String? {
    guard let string, let data = ASN1_STRING_get0_data(string) else { return nil }
    let length = Int(ASN1_STRING_length(string))
    return String(decoding: UnsafeBufferPointer(start: data, count: length), as: UTF8.self)
}

/// An iPAddress entry's 4 or 16 bytes in their usual text form.
private func addressText(_ string: UnsafeMutablePointer<ASN1_STRING>?) -> String? {
    guard let string, let data = ASN1_STRING_get0_data(string) else { return nil }
    let family: Int32
    switch ASN1_STRING_length(string) {
    case 4: family = AF_INET
    case 16: family = AF_INET6
    default: return nil
    }
    var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
    guard inet_ntop(family, data, &text, socklen_t(text.count)) != nil else { return nil }
    return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
