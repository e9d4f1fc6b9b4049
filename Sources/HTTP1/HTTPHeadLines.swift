// A complete request head, already known to end in CRLF CRLF with no bare CR or LF, made
// into an HTTPRequestHead: its request line, its field lines, its Host rules (RFC 9112 §3.2)
// and its body's framing (§6), every one of which can refuse it.

enum HTTPHeadLines {
    /// Parses `head` (request line, field lines, the empty line; every line ends in CRLF).
    static func parse(_ head: HTTPHeadBytes, maximumFields: Int) -> Result<HTTPRequestHead, HTTPParseError> {
        let lines = HTTPFieldLines.lines(head)
        guard let requestLine = lines.first else { return .failure(.malformedRequestLine) }
        let start: (method: String, target: String, version: HTTPVersion)
        switch HTTPStartLines.requestLine(requestLine) {
        case .success(let parsed): start = parsed
        case .failure(let error): return .failure(error)
        }
        let fields: [HTTPField]
        switch HTTPFieldLines.fields(lines.dropFirst(), of: head, maximum: maximumFields) {
        case .success(let parsed): fields = parsed
        case .failure(let error): return .failure(error)
        }
        let hosts = fields.lazy.filter { $0.hasName("Host") }
        if hosts.count > 1 { return .failure(.duplicateHost) }
        if hosts.isEmpty, start.version == .http11 { return .failure(.missingHost) }
        if let host = hosts.first, !host.withValueBytes(HTTPRequestTarget.isHost) { return .failure(.invalidHost) }
        return HTTPBodyFramingRules.framing(version: start.version, fields: fields).map { framing in
            HTTPRequestHead(method: start.method, target: start.target, version: start.version, fields: fields, framing: framing)
        }
    }
}
