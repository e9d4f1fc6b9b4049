// Why a message head or a chunked body was refused, one case per rule of RFC 9112 that it
// broke, and the status each earns when a request broke it. The reasons are for logs and
// tests; the client sees only the status. A response that breaks a rule is the endpoint's
// fault, which a proxy answers with 502 whatever the case.

public enum HTTPParseError: Error, Sendable, Hashable {
    /// A CR not followed by LF (RFC 9112 §2.2).
    case bareCarriageReturn
    /// An LF not preceded by CR: we do not accept lone LF as a line ending.
    case bareLineFeed
    /// The request line alone is longer than the head may be.
    case requestLineTooLong
    /// The head is longer than the limit.
    case headTooLarge
    case tooManyFields
    /// Not `method SP target SP version`.
    case malformedRequestLine
    case invalidMethod
    /// A request-target outside RFC 3986's characters (`#`, non-ASCII, a bad `%`), or of a
    /// form the proxy cannot forward: authority-form (CONNECT), a scheme other than http(s),
    /// userinfo, or `*` with a method other than OPTIONS (RFC 9112 §3.2).
    case invalidTarget
    /// A Host value that is not `uri-host [":" port]` (RFC 9112 §3.2: answer 400).
    case invalidHost
    /// Not `HTTP-version SP 3DIGIT [SP reason-phrase]` (RFC 9112 §4).
    case invalidStatusLine
    /// Not `HTTP/DIGIT.DIGIT`.
    case malformedVersion
    /// A well-formed version other than 1.0 and 1.1.
    case unsupportedVersion
    /// Whitespace between the request line and the first field (RFC 9112 §2.2).
    case whitespaceBeforeFirstField
    /// A field line starting with SP or HTAB (RFC 9112 §5.2).
    case obsoleteLineFolding
    /// Whitespace between a field name and its colon (RFC 9112 §5.1).
    case whitespaceBeforeColon
    case missingColon
    case invalidFieldName
    /// A control character in a field value (RFC 9110 §5.5).
    case invalidFieldValue
    /// HTTP/1.1 without Host, or any request with two (RFC 9112 §3.2).
    case missingHost
    case duplicateHost
    /// A Content-Length that is not a decimal number (RFC 9112 §6.3 item 5).
    case invalidContentLength
    /// Content-Length values that differ (RFC 9110 §8.6).
    case conflictingContentLength
    /// Both Transfer-Encoding and Content-Length: a smuggling attempt (RFC 9112 §6.3 item 3).
    case contentLengthWithTransferEncoding
    /// Transfer-Encoding in an HTTP/1.0 request: faulty framing (RFC 9112 §6.1).
    case transferEncodingInHTTP10
    /// Transfer-Encoding whose final coding is not chunked (RFC 9112 §6.3 item 4).
    case chunkedNotFinal
    /// chunked applied more than once (RFC 9112 §7).
    case chunkedTwice
    /// A transfer coding other than chunked (RFC 9112 §6.1: 501).
    case unknownTransferCoding
    /// A chunk-size that is not 1 to 16 hexadecimal digits (RFC 9112 §7.1).
    case invalidChunkSize
    /// A chunk extension that is not `;name[=token|quoted-string]`, or a chunk header line
    /// longer than the scanner takes.
    case invalidChunkExtension
    /// Chunk data not followed by CRLF: the size and the data disagree (RFC 9112 §7.1).
    case missingChunkTerminator
    /// A trailer section past its limit.
    case trailersTooLarge

    /// The status a server answers this error with.
    public var status: HTTPStatus {
        switch self {
        case .requestLineTooLong: .uriTooLong
        case .headTooLarge, .tooManyFields: .requestHeaderFieldsTooLarge
        case .unsupportedVersion: .httpVersionNotSupported
        case .unknownTransferCoding: .notImplemented
        default: .badRequest
        }
    }
}
