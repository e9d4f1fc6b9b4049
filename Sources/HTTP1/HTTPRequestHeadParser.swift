// The incremental request-head parser shared by the admin server and the Ingress proxy:
// feed it bytes as they arrive and it answers `.needMore`, `.complete(head, bytesConsumed)`
// or `.invalid(reason, status)`. It keeps only the head's own bytes, up to a limit, and
// stops at the head's last byte: the body and any pipelined request are the caller's.
// No syscalls: bytes in, values out.

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
    public struct Limits: Sendable, Hashable {
        /// The most bytes the request line may have, its CRLF not counted (414 past it).
        public var requestLineBytes: Int
        /// The most bytes a head may have, request line and empty line included (431).
        public var headBytes: Int
        /// The most field lines (431).
        public var fields: Int

        /// 8 KiB for the request line and for the whole head, as the admin server has always
        /// taken; 100 fields, as Go's and nginx's defaults allow in practice.
        public init(requestLineBytes: Int = 8 * 1024, headBytes: Int = 8 * 1024, fields: Int = 100) {
            self.requestLineBytes = requestLineBytes
            self.headBytes = headBytes
            self.fields = fields
        }
    }

    public var limits: Limits { accumulator.limits }
    private var accumulator: HTTPHeadAccumulator

    public init(limits: Limits = Limits()) {
        accumulator = HTTPHeadAccumulator(limits: limits, firstLineTooLong: .requestLineTooLong)
    }

    /// Takes the next bytes received. After `.complete`, the parser is ready for the next
    /// request's head; after `.invalid`, it stays invalid.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> HTTPHeadParseResult {
        let fields = limits.fields
        switch accumulator.feed(bytes, parse: { HTTPHeadLines.parse($0, maximumFields: fields) }) {
        case .needMore: return .needMore
        case .complete(let head, let consumed): return .complete(head, bytesConsumed: consumed)
        case .invalid(let error): return .invalid(error, status: error.status)
        }
    }

    /// Takes the next bytes received from any collection (an array, a slice).
    public mutating func feed(_ bytes: some Collection<UInt8>) -> HTTPHeadParseResult {
        if let result = bytes.withContiguousStorageIfAvailable({ feed(UnsafeRawBufferPointer($0)) }) { return result }
        return Array(bytes).withUnsafeBytes { feed($0) }
    }
}
