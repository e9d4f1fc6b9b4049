// The incremental request-head parser shared by the admin server and the Ingress proxy:
// feed it bytes as they arrive and it answers `.needMore`, `.complete(head, bytesConsumed)`
// or `.invalid(reason, status)`. It keeps only the head's own bytes, up to a limit, and
// checks line endings as they arrive, so a bare CR or LF is refused at once rather than
// when the limit runs out. No syscalls: bytes in, values out.

public enum HTTPHeadParseResult: Sendable, Hashable {
    /// The head is not complete yet: feed more bytes.
    case needMore
    /// The head is complete; it ended `bytesConsumed` bytes into the last feed, and what
    /// follows (a body, a pipelined request) belongs to the caller.
    case complete(HTTPRequestHead, bytesConsumed: Int)
    /// The head breaks a rule; answer with `status` and close the connection.
    case invalid(HTTPParseError, status: HTTPStatus)
}

public struct HTTPRequestHeadParser: Sendable {
    public struct Limits: Sendable {
        /// The most bytes a head may have, request line and empty line included.
        public var headBytes: Int
        public var fields: Int

        /// 8 KiB, as the admin server has always taken; 100 fields, as Go's and nginx's
        /// defaults allow in practice.
        public init(headBytes: Int = 8 * 1024, fields: Int = 100) {
            self.headBytes = headBytes
            self.fields = fields
        }
    }

    public let limits: Limits
    private var head: [UInt8] = []
    /// The last byte fed was a CR, whose LF is still due.
    private var pendingCR = false
    /// Bytes of the current line before its CR.
    private var lineLength = 0
    /// The request line's LF has been received.
    private var requestLineEnded = false
    /// Empty lines received before the request line.
    private var skippedLineBreaks = 0
    /// Once refused, refused for good: the connection is to be closed.
    private var failure: HTTPParseError?

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Takes the next bytes received. After `.complete`, the parser is ready for the next
    /// request's head; after `.invalid`, it stays invalid.
    public mutating func feed(_ bytes: some Collection<UInt8>) -> HTTPHeadParseResult {
        if let failure { return .invalid(failure, status: failure.status) }
        var consumed = 0
        for byte in bytes {
            consumed += 1
            switch scan(byte) {
            case .needMore:
                continue
            case .headEnded:
                let result = HTTPHeadLines.parse(head[...], maximumFields: limits.fields)
                self = HTTPRequestHeadParser(limits: limits)
                switch result {
                case .success(let parsed): return .complete(parsed, bytesConsumed: consumed)
                case .failure(let error): return refuse(error)
                }
            case .invalid(let error):
                return refuse(error)
            }
        }
        return .needMore
    }

    private mutating func refuse(_ error: HTTPParseError) -> HTTPHeadParseResult {
        failure = error
        head = []
        return .invalid(error, status: error.status)
    }

    private enum Step {
        case needMore
        case headEnded
        case invalid(HTTPParseError)
    }

    /// One byte of the head.
    private mutating func scan(_ byte: UInt8) -> Step {
        if pendingCR {
            guard byte == HTTPBytes.lf else { return .invalid(.bareCarriageReturn) }
            pendingCR = false
            defer { lineLength = 0 }
            if head.isEmpty { return .needMore }  // an empty line before the request line (RFC 9112 §2.2)
            defer { requestLineEnded = true }
            return append(byte) ?? (lineLength == 0 ? .headEnded : .needMore)
        }
        if byte == HTTPBytes.lf { return .invalid(.bareLineFeed) }
        if byte == HTTPBytes.cr {
            pendingCR = true
            if head.isEmpty {
                skippedLineBreaks += 1  // counted against the limit, so they cannot go on forever
                return skippedLineBreaks > limits.headBytes ? .invalid(.headTooLarge) : .needMore
            }
        } else {
            lineLength += 1
        }
        return append(byte) ?? .needMore
    }

    /// Keeps `byte` as part of the head; the refusal if that makes the head too long.
    private mutating func append(_ byte: UInt8) -> Step? {
        head.append(byte)
        guard head.count > limits.headBytes else { return nil }
        return .invalid(requestLineEnded ? .headTooLarge : .requestLineTooLong)
    }
}
