// How to reach one Kubernetes API server and prove who we are to it: what a kubeconfig's
// current context, or a Pod's service-account directory, comes down to. A value with no
// I/O: files named here (a CA bundle, a token) are read by the API client when it
// connects, so that a token rotated on disk is picked up by the next request.

/// PEM text given inline (kubeconfig `*-data`, base64-decoded) or as a file to read.
public enum PEMSource: Hashable, Sendable {
    case file(String)
    case data([UInt8])
}

/// A bearer token given inline, or a file read again before each request (a projected
/// service-account token is rewritten as it rotates).
public enum BearerToken: Hashable, Sendable {
    case literal(String)
    case file(String)
}

/// The server's address, from `clusters[].cluster.server` or `--master`.
public struct APIServerURL: Hashable, Sendable, CustomStringConvertible {
    public var secure: Bool
    public var host: String
    public var port: Int
    /// A path prefix before `/api` (a server behind a proxy path); empty, or starting with `/`
    /// and without a trailing one.
    public var basePath: String

    /// Parses `https://host[:port][/path]` (or `http://`); a bracketed IPv6 literal is
    /// allowed. Nil for anything else: the caller says where the text came from.
    public init?(_ text: String) {
        let secure: Bool
        var rest: Substring
        if text.hasPrefix("https://") {
            secure = true
            rest = text.dropFirst("https://".count)
        } else if text.hasPrefix("http://") {
            secure = false
            rest = text.dropFirst("http://".count)
        } else {
            return nil
        }
        let authority = rest.prefix { $0 != "/" }
        rest = rest.dropFirst(authority.count)
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !authority.isEmpty, !authority.contains("@"), !rest.contains("?"), !rest.contains("#") else { return nil }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
        } else {
            let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { return nil }
            host = parts[0]
            portText = parts.count == 2 ? parts[1] : nil
        }
        guard !host.isEmpty else { return nil }
        var port = secure ? 443 : 80
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value), portText.allSatisfy(\.isASCII) else { return nil }
            port = value
        }
        self.secure = secure
        self.host = String(host)
        self.port = port
        self.basePath = String(rest)
    }

    /// `host:port` as a Host header writes it (an IPv6 literal in brackets).
    public var authority: String { (host.contains(":") ? "[\(host)]" : host) + ":\(port)" }

    public var description: String { (secure ? "https://" : "http://") + authority + basePath }
}

/// Everything the API client needs to connect and authenticate.
public struct APIServerConnection: Hashable, Sendable {
    public var server: APIServerURL
    public var certificateAuthority: PEMSource?
    public var clientCertificate: PEMSource?
    public var clientKey: PEMSource?
    public var bearerToken: BearerToken?
    /// The server's certificate is not checked (kubeconfig `insecure-skip-tls-verify`).
    public var insecureSkipTLSVerify = false
    /// The name the server's certificate is checked against, and sent as SNI, when it is
    /// not the server's host (kubeconfig `tls-server-name`).
    public var tlsServerName: String?
    /// Where this came from, for log lines and errors: `kubeconfig /path (context "x")`.
    public var origin: String

    public init(server: APIServerURL, origin: String) {
        self.server = server
        self.origin = origin
    }

    /// The name the server's certificate must carry.
    public var verifiedName: String { tlsServerName ?? server.host }
}
