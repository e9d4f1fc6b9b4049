// A response head as an endpoint sent it, for the Ingress proxy to check and forward: the
// status line, the field lines in order, and how its body is framed, which depends on the
// request it answers (a response to HEAD has none, RFC 9112 §6.3).

/// How a response's body is delimited (RFC 9112 §6.3).
public enum HTTPResponseFraming: Sendable, Hashable {
    /// No body: a response to HEAD, or 1xx, 204, 304.
    case none
    case contentLength(UInt64)
    /// Transfer-Encoding whose final coding is chunked: HTTPChunkedBodyScanner finds its end.
    case chunked
    /// The body ends when the endpoint closes the connection, which therefore cannot be
    /// kept whatever `keepsAlive` says.
    case untilClose
}

public struct HTTPResponseHead: Sendable, Hashable {
    public let version: HTTPVersion
    public let status: Int
    /// The reason phrase as sent, possibly empty.
    public let reason: String
    public let fields: [HTTPField]
    /// What its Connection fields list, read once.
    let connectionOptions: HTTPConnectionOptions

    public init(version: HTTPVersion, status: Int, reason: String, fields: [HTTPField]) {
        self.version = version
        self.status = status
        self.reason = reason
        self.fields = fields
        connectionOptions = HTTPConnectionOptions(fields)
    }

    /// The values of every field line named `name`, in order; names compare without case.
    public func values(of name: String) -> [String] {
        fields.values(named: name)
    }

    /// Whether the endpoint keeps the connection after this response (RFC 9112 §9.3):
    /// HTTP/1.1 unless `Connection: close`, HTTP/1.0 only with `Connection: keep-alive`.
    /// A body framed `.untilClose` ends the connection regardless.
    public var keepsAlive: Bool {
        connectionOptions.keepsAlive(version: version)
    }

    /// How the body that follows is framed, for a request of `requestMethod`; a failure when
    /// the framing is ambiguous or malformed, which a proxy must not forward (RFC 9112 §6.3).
    public func framing(requestMethod: String) -> Result<HTTPResponseFraming, HTTPParseError> {
        HTTPBodyFramingRules.responseFraming(status: status, version: version, fields: fields, requestMethod: requestMethod)
    }
}
