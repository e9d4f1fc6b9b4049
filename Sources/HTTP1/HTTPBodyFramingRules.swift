// How a message's body is delimited, from its Content-Length and Transfer-Encoding fields,
// by RFC 9112 §6.3, for requests and for responses. Every ambiguity is refused rather than
// resolved: two parsers that resolve it differently are how requests are smuggled past a
// proxy (DESIGN invariant 7), and a proxy must not forward a response framed both ways.

enum HTTPBodyFramingRules {
    /// A request's framing: Transfer-Encoding with chunked alone, else Content-Length, else
    /// no body (RFC 9112 §6.3 items 3 to 6).
    static func framing(version: HTTPVersion, fields: [HTTPField]) -> Result<HTTPBodyFraming, HTTPParseError> {
        let (lengths, codings) = framingFields(fields)
        if codings {
            // RFC 9112 lets a server process such a request by Transfer-Encoding alone; a
            // proxy that did so would forward what another parser frames differently.
            guard !lengths else { return .failure(.contentLengthWithTransferEncoding) }
            guard version != .http10 else { return .failure(.transferEncodingInHTTP10) }
            // Only chunked is understood, and only once, last: any other coding earns 501.
            return chunkedPlacement(fields).flatMap { placement in
                switch placement {
                case .finalAndAlone: .success(.chunked)
                case .finalAfterOthers: .failure(.unknownTransferCoding)
                case .notFinal: .failure(.chunkedNotFinal)
                }
            }
        }
        guard lengths else { return .success(.none) }
        return contentLength(fields).map { .contentLength($0) }
    }

    /// A response's framing (RFC 9112 §6.3 items 1 to 7): none for HEAD and for 1xx, 204 and
    /// 304; chunked when chunked is the final coding, whatever codings precede it, since
    /// the proxy forwards them untouched; to the connection's close when another coding is
    /// final or nothing says.
    static func responseFraming(status: Int, version: HTTPVersion, fields: [HTTPField], requestMethod: String)
        -> Result<HTTPResponseFraming, HTTPParseError>
    {
        if requestMethod == "HEAD" || (100...199).contains(status) || status == 204 || status == 304 { return .success(.none) }
        let (lengths, codings) = framingFields(fields)
        if codings {
            guard !lengths else { return .failure(.contentLengthWithTransferEncoding) }
            guard version != .http10 else { return .failure(.transferEncodingInHTTP10) }
            return chunkedPlacement(fields).map { $0 == .notFinal ? .untilClose : .chunked }
        }
        guard lengths else { return .success(.untilClose) }
        return contentLength(fields).map { .contentLength($0) }
    }

    /// Whether `fields` have a Content-Length line and a Transfer-Encoding line. The fields
    /// are looked at in place, here and below: no array of them is made, and none is copied
    /// (a copy of a field is a retain and a release of its head's bytes).
    private static func framingFields(_ fields: [HTTPField]) -> (lengths: Bool, codings: Bool) {
        var lengths = false, codings = false
        for index in fields.indices {
            switch fields[index].knownName {
            case .contentLength: lengths = true
            case .transferEncoding: codings = true
            default: break
            }
        }
        return (lengths, codings)
    }

    private enum ChunkedPlacement {
        case finalAndAlone
        case finalAfterOthers
        /// Last is another coding, or there is no coding at all.
        case notFinal
    }

    /// Where chunked sits among the transfer codings of `fields`' Transfer-Encoding lines
    /// (one list); refused when applied twice (RFC 9112 §7). Read off the fields' bytes.
    private static func chunkedPlacement(_ fields: [HTTPField]) -> Result<ChunkedPlacement, HTTPParseError> {
        var codings = 0, chunked = 0
        var lastIsChunked = false
        _ = fields.anyListElement(named: .transferEncoding) { coding in
            codings += 1
            lastIsChunked = HTTPBytes.equalIgnoringCase(coding, "chunked".utf8)
            if lastIsChunked { chunked += 1 }
            return false  // every element is looked at
        }
        if chunked > 1 { return .failure(.chunkedTwice) }
        guard lastIsChunked else { return .success(.notFinal) }
        return .success(codings == 1 ? .finalAndAlone : .finalAfterOthers)
    }

    /// One decimal value, however often it is repeated (RFC 9110 §8.6 lets a recipient
    /// take `42, 42` as 42); different values, signs, spaces inside or overflow are refused.
    /// Read off the bytes of `fields`' Content-Length lines.
    private static func contentLength(_ fields: [HTTPField]) -> Result<UInt64, HTTPParseError> {
        var length: UInt64?
        var refusal: HTTPParseError?
        _ = fields.anyValue(named: .contentLength) { value in
            var start = 0
            while start <= value.count {
                let end = value[start...].firstIndex(of: UInt8(ascii: ",")) ?? value.count
                let digits = UnsafeRawBufferPointer(rebasing: value[start..<end]).trimmingWhitespaceBytes()
                guard !digits.isEmpty, let parsed = decimal(digits) else {
                    refusal = .invalidContentLength
                    return true
                }
                if let length, length != parsed {
                    refusal = .conflictingContentLength
                    return true
                }
                length = parsed
                start = end + 1
            }
            return false
        }
        if let refusal { return .failure(refusal) }
        return length.map { .success($0) } ?? .failure(.invalidContentLength)
    }

    /// Decimal digits as a number; nil for any other byte or a value past UInt64.max.
    private static func decimal(_ digits: some Collection<UInt8>) -> UInt64? {
        var value: UInt64 = 0
        for digit in digits {
            guard HTTPBytes.isDigit(digit) else { return nil }
            let (tens, overflowed) = value.multipliedReportingOverflow(by: 10)
            let (sum, carried) = tens.addingReportingOverflow(UInt64(digit &- UInt8(ascii: "0")))
            guard !overflowed, !carried else { return nil }
            value = sum
        }
        return value
    }
}
