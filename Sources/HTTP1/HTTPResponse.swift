// The response writer: a status line, field lines, Content-Length computed from the body,
// and the body, for responses this process makes itself (the admin pages, the proxy's own
// errors). Values are written through HTTPHeadWriter, so none can split the response.

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
        return HTTPHeadWriter.bytes(room: HTTPHeadWriter.capacity(for: fields, extra: 64) + (includeBody ? body.count : 0)) { writer in
            writer.append("HTTP/1.1 ")
            writer.append(status.code)
            writer.append(" ")
            writer.appendSanitized(status.reason)
            writer.endLine()
            for field in fields where !field.hasName(.contentLength) && field.withNameBytes(HTTPBytes.isToken) {
                writer.field(field)
            }
            writer.field("Content-Length", body.count)
            writer.endLine()
            if includeBody { writer.append(bytes: body) }
        }
    }
}
