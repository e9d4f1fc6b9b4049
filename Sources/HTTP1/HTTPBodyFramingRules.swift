// How a request's body is delimited, from its Content-Length and Transfer-Encoding fields,
// by RFC 9112 §6.3. Every ambiguity is refused rather than resolved: two parsers that
// resolve it differently are how requests are smuggled past a proxy (DESIGN invariant 7).

enum HTTPBodyFramingRules {
    static func framing(version: HTTPVersion, fields: [HTTPField]) -> Result<HTTPBodyFraming, HTTPParseError> {
        let lengths = fields.filter { $0.name.lowercased() == "content-length" }.map(\.value)
        let codings = fields.filter { $0.name.lowercased() == "transfer-encoding" }.map(\.value)
        if !codings.isEmpty {
            // RFC 9112 lets a server process such a request by Transfer-Encoding alone; a
            // proxy that did so would forward what another parser frames differently.
            guard lengths.isEmpty else { return .failure(.contentLengthWithTransferEncoding) }
            guard version != .http10 else { return .failure(.transferEncodingInHTTP10) }
            return chunked(codings)
        }
        guard !lengths.isEmpty else { return .success(.none) }
        return contentLength(lengths)
    }

    /// Only chunked is understood, and only once, last: any other coding earns 501.
    private static func chunked(_ values: [String]) -> Result<HTTPBodyFraming, HTTPParseError> {
        let codings = HTTPListSyntax.elements(values).map { $0.lowercased() }
        guard let last = codings.last else { return .failure(.chunkedNotFinal) }
        if codings.filter({ $0 == "chunked" }).count > 1 { return .failure(.chunkedTwice) }
        guard last == "chunked" else { return .failure(.chunkedNotFinal) }
        return codings.count == 1 ? .success(.chunked) : .failure(.unknownTransferCoding)
    }

    /// One decimal value, however often it is repeated (RFC 9110 §8.6 lets a recipient
    /// take `42, 42` as 42); different values, signs, spaces inside or overflow are refused.
    private static func contentLength(_ values: [String]) -> Result<HTTPBodyFraming, HTTPParseError> {
        let elements = values.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingWhitespace() } }
        var length: UInt64?
        for element in elements {
            guard !element.isEmpty, element.utf8.allSatisfy({ (48...57).contains($0) }),
                  let value = UInt64(element) else { return .failure(.invalidContentLength) }
            if let length, length != value { return .failure(.conflictingContentLength) }
            length = value
        }
        return length.map { .success(.contentLength($0)) } ?? .failure(.invalidContentLength)
    }
}
