// Values of the fields the proxy adds itself (X-Forwarded-*, X-Real-IP, X-Request-ID),
// checked once when they are made rather than every time a head is written: the client's
// address is the same for every request on its connection, the scheme is one of two, and a
// generated request ID is a stem and a number written straight into the head, with no
// String made for each request. A String of the number cost 400 instructions a request, and
// looking for CR, LF and NUL in the four values as each head was written 500 more
// (`bench/instructions-per-request --ingress`).

/// Text with no CR, LF or NUL (RFC 9110 §5.5): each became a space when it was made, so a
/// head writes it as it is.
public struct HTTPFieldValue: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    let text: String

    /// Not generic: made in another module, a generic one went through the UTF8View's
    /// witnesses a byte at a time, 3,000 instructions for an address.
    public init(_ text: String) {
        var text = text
        let clean = text.withUTF8 { !$0.contains(where: HTTPBytes.isLineBreakOrNul) }
        self.text = clean ? text : String(decoding: text.utf8.map { HTTPBytes.isLineBreakOrNul($0) ? HTTPBytes.space : $0 }, as: UTF8.self)
    }

    public init(stringLiteral text: String) { self.init(text) }

    public var description: String { text }

    public static let http: HTTPFieldValue = "http"
    public static let https: HTTPFieldValue = "https"
}

/// The X-Request-ID the proxy sends with a request that came without one: `stem` followed by
/// `number` in lowercase hexadecimal (the stem alone when there is no number).
public struct HTTPRequestID: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var stem: HTTPFieldValue
    public var number: UInt64?

    public init(stem: HTTPFieldValue, number: UInt64? = nil) {
        self.stem = stem
        self.number = number
    }

    public init(stringLiteral text: String) { self.init(stem: HTTPFieldValue(text)) }

    public var description: String {
        stem.text + (number.map { String($0, radix: 16) } ?? "")
    }
}
