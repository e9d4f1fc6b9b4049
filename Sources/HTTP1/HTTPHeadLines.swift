// A complete request head, already known to end in CRLF CRLF with no bare CR or LF,
// split into the request line and field lines and checked against RFC 9112 §3 and §5.

enum HTTPHeadLines {
    /// Parses `head` (request line, field lines, the empty line; every line ends in CRLF).
    static func parse(_ head: ArraySlice<UInt8>, maximumFields: Int) -> Result<HTTPRequestHead, HTTPParseError> {
        var lines = head.split(separator: HTTPBytes.lf, omittingEmptySubsequences: false).map { $0.dropLast() }  // drop CR
        lines.removeLast(2)  // the empty line, and what follows its LF
        guard let requestLine = lines.first else { return .failure(.malformedRequestLine) }
        let fieldLines = lines.dropFirst()
        guard fieldLines.count <= maximumFields else { return .failure(.tooManyFields) }
        if let first = fieldLines.first?.first, HTTPBytes.isWhitespace(first) { return .failure(.whitespaceBeforeFirstField) }
        let start: (method: String, target: String, version: HTTPVersion)
        switch parseRequestLine(requestLine) {
        case .success(let parsed): start = parsed
        case .failure(let error): return .failure(error)
        }
        var fields: [HTTPField] = []
        for line in fieldLines {
            switch parseField(line) {
            case .success(let field): fields.append(field)
            case .failure(let error): return .failure(error)
            }
        }
        let hosts = fields.filter { $0.name.lowercased() == "host" }.count
        if hosts > 1 { return .failure(.duplicateHost) }
        if hosts == 0, start.version == .http11 { return .failure(.missingHost) }
        return HTTPBodyFramingRules.framing(version: start.version, fields: fields).map { framing in
            HTTPRequestHead(method: start.method, target: start.target, version: start.version, fields: fields, framing: framing)
        }
    }

    /// `method SP request-target SP HTTP-version`, single spaces, nothing else.
    private static func parseRequestLine(_ line: ArraySlice<UInt8>) -> Result<(String, String, HTTPVersion), HTTPParseError> {
        let parts = line.split(separator: HTTPBytes.space, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return .failure(.malformedRequestLine) }
        guard HTTPBytes.isToken(parts[0]) else { return .failure(.invalidMethod) }
        guard !parts[1].isEmpty, parts[1].allSatisfy(HTTPBytes.isVisible) else { return .failure(.invalidTarget) }
        return parseVersion(parts[2]).map { version in
            (String(decoding: parts[0], as: UTF8.self), String(decoding: parts[1], as: UTF8.self), version)
        }
    }

    /// `HTTP/DIGIT.DIGIT`, case-sensitive (RFC 9112 §2.3); only 1.0 and 1.1 are served.
    private static func parseVersion(_ bytes: ArraySlice<UInt8>) -> Result<HTTPVersion, HTTPParseError> {
        let text = Array(bytes)
        let isDigit = { (byte: UInt8) in (48...57).contains(byte) }
        guard text.count == 8, text.starts(with: Array("HTTP/".utf8)), isDigit(text[5]), text[6] == UInt8(ascii: "."), isDigit(text[7])
        else { return .failure(.malformedVersion) }
        let version = HTTPVersion(major: Int(text[5] - 48), minor: Int(text[7] - 48))
        return version == .http10 || version == .http11 ? .success(version) : .failure(.unsupportedVersion)
    }

    /// `field-name ":" OWS field-value OWS`; a line that starts with whitespace continues
    /// the previous one (obs-fold), which RFC 9112 §5.2 lets a server refuse, and we do.
    private static func parseField(_ line: ArraySlice<UInt8>) -> Result<HTTPField, HTTPParseError> {
        if let first = line.first, HTTPBytes.isWhitespace(first) { return .failure(.obsoleteLineFolding) }
        guard let colon = line.firstIndex(of: HTTPBytes.colon) else { return .failure(.missingColon) }
        let name = line[..<colon]
        if let last = name.last, HTTPBytes.isWhitespace(last) { return .failure(.whitespaceBeforeColon) }
        guard HTTPBytes.isToken(name) else { return .failure(.invalidFieldName) }
        let value = line[line.index(after: colon)...]
        guard value.allSatisfy(HTTPBytes.isFieldValueCharacter) else { return .failure(.invalidFieldValue) }
        return .success(HTTPField(name: String(decoding: name, as: UTF8.self),
                                  value: String(decoding: value, as: UTF8.self).trimmingWhitespace()))
    }
}
