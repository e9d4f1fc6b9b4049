// A complete request head, already known to end in CRLF CRLF with no bare CR or LF, made
// into an HTTPRequestHead: its request line, its field lines, its Host rules (RFC 9112 §3.2)
// and its body's framing (§6), every one of which can refuse it.

enum HTTPHeadLines {
    /// Parses `head` (request line, field lines, the empty line; every line ends in CRLF).
    static func parse(_ head: HTTPHeadBytes, maximumFields: Int) -> Result<HTTPRequestHead, HTTPParseError> {
        guard let (requestLine, next) = HTTPFieldLines.firstLine(head) else { return .failure(.malformedRequestLine) }
        let start: (method: String, target: String, version: HTTPVersion)
        switch HTTPStartLines.requestLine(requestLine) {
        case .success(let parsed): start = parsed
        case .failure(let error): return .failure(error)
        }
        let fields: [HTTPField]
        switch HTTPFieldLines.fields(of: head, from: next, maximum: maximumFields) {
        case .success(let parsed): fields = parsed
        case .failure(let error): return .failure(error)
        }
        // One look through the fields for Host.
        var host: Int?
        for index in fields.indices where fields[index].knownName == .host {
            if host != nil { return .failure(.duplicateHost) }
            host = index
        }
        if host == nil, start.version == .http11 { return .failure(.missingHost) }
        if let host, !fields[host].withValueBytes(HTTPRequestTarget.isHost) { return .failure(.invalidHost) }
        return HTTPBodyFramingRules.framing(version: start.version, fields: fields).map { framing in
            HTTPRequestHead(method: start.method, target: start.target, version: start.version, fields: fields, framing: framing)
        }
    }
}
