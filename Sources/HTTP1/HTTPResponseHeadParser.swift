// The incremental response-head parser the Ingress proxy runs on what an endpoint sends:
// like the request parser, fed bytes as they arrive, it keeps only the head's own bytes up
// to a limit and stops at the head's last byte. Field lines follow the request side's rules
// exactly; only the first line differs. After a 1xx head, the next head follows.

public enum HTTPResponseHeadParseResult: Sendable, Hashable {
    /// The head is not complete yet: feed more bytes.
    case needMore
    /// The head is complete; it ended `bytesConsumed` bytes into the last feed, and what
    /// follows is the body (or the next head, after a 1xx).
    case complete(HTTPResponseHead, bytesConsumed: Int)
    /// The head breaks a rule: the endpoint's connection is to be closed, and the client
    /// answered 502.
    case invalid(HTTPParseError)
}

public struct HTTPResponseHeadParser: Sendable {
    private var accumulator: HTTPHeadAccumulator

    /// 64 KiB and 200 fields by default: endpoints send longer heads than clients do
    /// (cookies, security policies), and they are trusted more.
    public init(limits: HTTPRequestHeadParser.Limits = .init(requestLineBytes: 8192, headBytes: 65536, fields: 200)) {
        accumulator = HTTPHeadAccumulator(limits: limits, firstLineTooLong: .headTooLarge)
    }

    /// Takes the next bytes received from the endpoint. After `.complete`, the parser is
    /// ready for the next head; after `.invalid`, it stays invalid.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> HTTPResponseHeadParseResult {
        let fields = accumulator.limits.fields
        switch accumulator.feed(bytes, parse: { Self.parse($0, maximumFields: fields) }) {
        case .needMore: return .needMore
        case .complete(let head, let consumed): return .complete(head, bytesConsumed: consumed)
        case .invalid(let error): return .invalid(error)
        }
    }

    /// A complete head: status line, field lines, the empty line.
    private static func parse(_ head: HTTPHeadBytes, maximumFields: Int) -> Result<HTTPResponseHead, HTTPParseError> {
        guard let (statusLine, next) = HTTPFieldLines.firstLine(head) else { return .failure(.invalidStatusLine) }
        return HTTPStartLines.statusLine(statusLine).flatMap { start in
            HTTPFieldLines.fields(of: head, from: next, maximum: maximumFields).map { fields in
                HTTPResponseHead(version: start.version, status: start.status, reason: start.reason, fields: fields)
            }
        }
    }
}
