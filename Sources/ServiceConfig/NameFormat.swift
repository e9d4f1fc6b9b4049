// The name and address formats Kubernetes checks (k8s.io/apimachinery's
// util/validation), each returning its messages in Kubernetes' own words: one field may
// break several rules, and each broken rule is its own error, as there.

enum NameFormat {
    static let dns1035Message = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
        + "start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
        + "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
    static let dns1123Message = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
        + "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
        + "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    static let subdomainMessage = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
        + "and must start and end with an alphanumeric character (e.g. 'example.com', "
        + "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    static let labelNameMessage = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
        + "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', "
        + "regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
    static let labelValueMessage = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
        + "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "
        + "regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

    static let wildcardSubdomainMessage = "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, "
        + "which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character "
        + "(e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    /// apimachinery's httpPathFmt: the characters RFC 3986 allows in a URL path (unreserved,
    /// percent-encoded, sub-delims, ':'), as Kubernetes checks an IngressClass controller path.
    static let httpPathMessage = "Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')"

    private static func isLower(_ c: Character) -> Bool { c >= "a" && c <= "z" }
    private static func isDigit(_ c: Character) -> Bool { c >= "0" && c <= "9" }
    private static func isAlphanumeric(_ c: Character) -> Bool { isLower(c) || isDigit(c) || (c >= "A" && c <= "Z") }

    static func maxLength(_ n: Int) -> String { "must be no more than \(n) characters" }

    static func isDNS1123Label(_ s: String) -> Bool { dns1123Label(s).isEmpty }

    static func dns1123Label(_ s: String) -> [String] {
        var errors: [String] = []
        if s.count > 63 { errors.append(maxLength(63)) }
        let matches = s.first.map { isLower($0) || isDigit($0) } == true && s.last.map { isLower($0) || isDigit($0) } == true
            && s.allSatisfy { isLower($0) || isDigit($0) || $0 == "-" }
        if !matches { errors.append(dns1123Message) }
        return errors
    }

    static func dns1035Label(_ s: String) -> [String] {
        var errors: [String] = []
        if s.count > 63 { errors.append(maxLength(63)) }
        let matches = s.first.map(isLower) == true && s.last.map { isLower($0) || isDigit($0) } == true
            && s.allSatisfy { isLower($0) || isDigit($0) || $0 == "-" }
        if !matches { errors.append(dns1035Message) }
        return errors
    }

    static func dns1123Subdomain(_ s: String) -> [String] {
        var errors: [String] = []
        if s.count > 253 { errors.append(maxLength(253)) }
        let labels = s.split(separator: ".", omittingEmptySubsequences: false)
        if !labels.allSatisfy({ dns1123Label(String($0)).filter { $0 != maxLength(63) }.isEmpty }) {
            errors.append(subdomainMessage)
        }
        return errors
    }

    /// IsWildcardDNS1123Subdomain: `*.` and a subdomain (`*.example.com`).
    static func wildcardSubdomain(_ s: String) -> [String] {
        var errors: [String] = []
        if s.count > 253 { errors.append(maxLength(253)) }
        if !s.hasPrefix("*.") || !dns1123Subdomain(String(s.dropFirst(2))).filter({ $0 != maxLength(253) }).isEmpty {
            errors.append(wildcardSubdomainMessage)
        }
        return errors
    }

    /// Whether every character is one httpPathFmt allows (and there is one).
    static func isHTTPPath(_ s: String) -> Bool {
        !s.isEmpty && s.unicodeScalars.allSatisfy { c in
            (c.isASCII && (isAlphanumeric(Character(c)))) || "/-._~%!$&'()*+,;=:".unicodeScalars.contains(c)
        }
    }

    /// IsPathSegmentName: what may stand between two `/` of an API path.
    static func pathSegmentName(_ s: String) -> [String] {
        if s == "." || s == ".." { return ["may not be '\(s)'"] }
        return ["/", "%"].filter { s.contains($0) }.map { "may not contain '\($0)'" }
    }

    /// IsValidPortName: what a named `targetPort` or container port may be called (IANA_SVC_NAME).
    static func portName(_ s: String) -> [String] {
        var errors: [String] = []
        if s.count > 15 { errors.append(maxLength(15)) }
        if s.isEmpty || !s.allSatisfy({ isLower($0) || isDigit($0) || $0 == "-" }) {
            errors.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
        }
        if !s.contains(where: isLower) { errors.append("must contain at least one letter (a-z)") }
        if s.contains("--") { errors.append("must not contain consecutive hyphens") }
        if s.hasPrefix("-") || s.hasSuffix("-") { errors.append("must not begin or end with a hyphen") }
        return errors
    }

    /// IsQualifiedName: a label key, `[prefix/]name`.
    static func qualifiedName(_ s: String) -> [String] {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return [labelNameMessage + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"] }
        var errors: [String] = []
        if parts.count == 2 {
            if parts[0].isEmpty { errors.append("prefix part must be non-empty") }
            else { errors += dns1123Subdomain(String(parts[0])).map { "prefix part " + $0 } }
        }
        let name = String(parts.last ?? "")
        if name.isEmpty { errors.append("name part must be non-empty") }
        else {
            if name.count > 63 { errors.append("name part " + maxLength(63)) }
            if !labelValueMatches(name) { errors.append(labelNameMessage) }
        }
        return errors
    }

    static func labelValue(_ s: String) -> [String] {
        var errors: [String] = []
        if s.count > 63 { errors.append(maxLength(63)) }
        if !s.isEmpty, !labelValueMatches(s) { errors.append(labelValueMessage) }
        return errors
    }

    private static func labelValueMatches(_ s: String) -> Bool {
        guard let first = s.first, let last = s.last else { return false }
        return isAlphanumeric(first) && isAlphanumeric(last)
            && s.allSatisfy { isAlphanumeric($0) || $0 == "-" || $0 == "_" || $0 == "." }
    }
}

/// IP address rules (IsValidIP, ValidateNonSpecialIP, ValidateEndpointIP).
enum IPRules {
    static let invalidIPMessage = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"

    /// Why `ip` may not be an external IP or an endpoint, or nil when it may.
    static func specialUse(_ ip: IPAddress) -> String? {
        if ip.isUnspecified { return "may not be unspecified (0.0.0.0, ::)" }
        if ip.isLoopback { return "may not be in the loopback range (127.0.0.0/8, ::1/128)" }
        if ip.isLinkLocal { return "may not be in the link-local range (169.254.0.0/16, fe80::/10)" }
        let linkLocalMulticast = ip.family == .ipv4
            ? (ip.bytes[0] == 224 && ip.bytes[1] == 0 && ip.bytes[2] == 0)
            : (ip.bytes[0] == 0xff && ip.bytes[1] & 0x0f == 0x02)
        if linkLocalMulticast { return "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)" }
        return nil
    }

    /// Why `ip` may not be an endpoint (ValidateEndpointIP), or nil when it may. Unlike the
    /// API server, svcproxy allows loopback endpoints: on one node a backend on 127.0.0.1
    /// is ordinary (the header of ValidationEndpoints.swift). Link-local ones stay forbidden: 169.254.169.254
    /// is the cloud's metadata service, which a Service must not become a way into.
    static func endpointUse(_ ip: IPAddress) -> String? {
        ip.isLoopback ? nil : specialUse(ip)
    }
}
