// A request head as the parser hands it over: the request line, the field lines in the
// order received, and how the body is framed, already decided by RFC 9112 §6's rules so
// that whoever forwards the request never has to decide it again.

/// `HTTP/1.0` or `HTTP/1.1`: the only versions the parser accepts.
public struct HTTPVersion: Sendable, Hashable, CustomStringConvertible {
    public let major: Int
    public let minor: Int

    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    public static let http10 = HTTPVersion(major: 1, minor: 0)
    public static let http11 = HTTPVersion(major: 1, minor: 1)

    /// The two versions in use as literals: every forwarded request line has one, and an
    /// interpolated one cost two Int descriptions and a string append each time.
    public var description: String {
        if self == .http11 { return "HTTP/1.1" }
        if self == .http10 { return "HTTP/1.0" }
        return "HTTP/\(major).\(minor)"
    }
}

/// How the request's body is delimited (RFC 9112 §6.3).
public enum HTTPBodyFraming: Sendable, Hashable {
    /// No body: neither Content-Length nor Transfer-Encoding.
    case none
    case contentLength(UInt64)
    /// Transfer-Encoding whose final (and only) coding is chunked.
    case chunked
}

public struct HTTPRequestHead: Sendable, Hashable {
    /// Case-sensitive, as RFC 9110 §9.1 says: `get` is not `GET`.
    public let method: String
    /// The request-target as sent: origin-form, absolute-form (http or https), or `*` for
    /// OPTIONS; the parser refuses authority-form and anything else.
    public let target: String
    public let version: HTTPVersion
    public let fields: [HTTPField]
    public let framing: HTTPBodyFraming
    /// The host to route on (RFC 9112 §3.2.2): an absolute-form target's authority, which
    /// overrides Host, else the Host value; empty for an HTTP/1.0 request without Host.
    /// Either may carry a port. Found once, as the head is made: the router, the redirect
    /// and X-Forwarded-Host all ask for it.
    public let routingHost: Substring
    /// What its Connection fields list, read once.
    let connectionOptions: HTTPConnectionOptions

    public init(method: String, target: String, version: HTTPVersion, fields: [HTTPField], framing: HTTPBodyFraming) {
        self.method = method
        self.target = target
        self.version = version
        self.fields = fields
        self.framing = framing
        connectionOptions = HTTPConnectionOptions(fields)
        if let form = HTTPRequestTarget.absoluteForm(target.utf8) {
            routingHost = target[form.authority]
        } else {
            routingHost = Substring(fields.firstIndex(named: .host).map { fields[$0].value } ?? "")
        }
    }

    /// The values of every field line named `name`, in order; names compare without case.
    public func values(of name: String) -> [String] {
        fields.values(named: name)
    }

    /// The target's path, without its query.
    public var path: Substring { Self.withoutQuery(target[...]) }

    /// The origin-form target's path, without its query: what the Ingress routes on.
    public var originFormPath: Substring { Self.withoutQuery(originFormTarget) }

    /// `target` up to its `?`, looked for as a byte: a parsed target is visible ASCII
    /// alone (a Unicode prepend mark could join a `?` into one Character, but no parsed
    /// target holds one), and looking for it by Character cost a grapheme-break check per
    /// character, 3,800 instructions of every Ingress request.
    /// Over the string's UTF-8 buffer: the view's own index steps cost 400 instructions.
    private static func withoutQuery(_ target: Substring) -> Substring {
        var target = target
        guard let mark = target.withUTF8({ $0.firstIndex(of: UInt8(ascii: "?")) }) else { return target }
        return target[..<target.utf8.index(target.startIndex, offsetBy: mark)]
    }

    /// Whether the connection may carry another request after this one (RFC 9112 §9.3):
    /// HTTP/1.1 unless `Connection: close`, HTTP/1.0 only with `Connection: keep-alive`.
    public var keepsAlive: Bool {
        connectionOptions.keepsAlive(version: version)
    }


    /// The target as an origin server takes it: an absolute-form target without its scheme
    /// and authority (`/` when no path follows them, the query kept); any other unchanged.
    public var originFormTarget: Substring {
        guard let form = HTTPRequestTarget.absoluteForm(target.utf8) else { return target[...] }
        let rest = target[form.rest...]
        return rest.first == "/" ? rest : Substring("/" + rest)
    }

    /// Whether the client asks to switch protocols (RFC 9110 §7.8): HTTP/1.1, an Upgrade
    /// field, and Connection naming it, without which Upgrade is to be ignored.
    public var upgradeRequested: Bool {
        version == .http11 && fields.contains(named: .upgrade) && connectionOptions.upgrade
    }

    /// An upgrade to WebSocket, the one the Ingress tunnels. Other protocols (h2c above all)
    /// would carry requests past the routing rules once tunnelled, so their Upgrade field
    /// is dropped as hop-by-hop and the request is served as plain HTTP/1.1.
    public var upgradesToWebSocket: Bool {
        upgradeRequested && fields.listContains(named: .upgrade, "websocket")
    }

    /// Whether the client waits for 100 Continue before sending its body (RFC 9110 §10.1.1);
    /// an HTTP/1.0 request's expectation is ignored, as the RFC says.
    public var expectsContinue: Bool {
        version == .http11 && fields.anyValue(named: .expect) { HTTPBytes.equalIgnoringCase($0, "100-continue".utf8) }
    }
}
