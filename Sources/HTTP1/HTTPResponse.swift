// The response writer: a status line, field lines, Content-Length computed from the body,
// and the body. Field values that hold CR, LF or NUL are written with spaces in their place
// (RFC 9110 §5.5), so that no value handed in can split one response into two.

public struct HTTPResponse: Sendable, Hashable {
    public var status: HTTPStatus
    /// Every field but Content-Length, which the writer adds itself.
    public var fields: [HTTPField]
    public var body: [UInt8]

    public init(status: HTTPStatus, fields: [HTTPField] = [], body: [UInt8] = []) {
        self.status = status
        self.fields = fields
        self.body = body
    }

    /// A text body of `contentType`, for pages such as /metrics and /healthz.
    public init(status: HTTPStatus, contentType: String, body: String, fields: [HTTPField] = []) {
        self.init(status: status, fields: [HTTPField(name: "Content-Type", value: contentType)] + fields, body: Array(body.utf8))
    }

    /// The status's reason as a plain-text page: what error responses carry.
    public static func error(_ status: HTTPStatus, fields: [HTTPField] = []) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "text/plain; charset=utf-8", body: "\(status.reason)\n", fields: fields)
    }

    /// The bytes on the wire, as HTTP/1.1. A response to HEAD leaves the body out but keeps
    /// its Content-Length (RFC 9110 §9.3.2).
    public func serialized(includeBody: Bool = true) -> [UInt8] {
        var head = "HTTP/1.1 \(status.code) \(Self.sanitized(status.reason))\r\n"
        for field in fields where field.name.lowercased() != "content-length" && HTTPBytes.isToken(field.name.utf8) {
            head += "\(field.name): \(Self.sanitized(field.value))\r\n"
        }
        head += "Content-Length: \(body.count)\r\n\r\n"
        return Array(head.utf8) + (includeBody ? body : [])
    }

    private static func sanitized(_ value: String) -> String {
        String(decoding: value.utf8.map { $0 == HTTPBytes.cr || $0 == HTTPBytes.lf || $0 == 0 ? HTTPBytes.space : $0 }, as: UTF8.self)
    }
}
