// Cuts a watch response's body (already de-chunked) into its events: the API server's JSON
// stream encoder writes each event as one JSON object followed by a newline, and no event
// holds a raw newline (JSON escapes it in strings). Bytes arrive in any pieces; each
// complete line is handed out as soon as its newline arrives, so a long watch is never
// buffered whole. A line is bounded: one longer than `lineLimit` (a peer that never sends
// a newline, or an object beyond any the API server stores) fails the stream, and the
// client ends that watch and lists again, which reads the objects through bounded pages.

public struct WatchStreamFramer: Sendable {
    /// Why the stream cannot be read further.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case lineTooLong(limit: Int)

        public var description: String {
            switch self {
            case .lineTooLong(let limit): "a watch event is longer than \(limit) bytes"
            }
        }
    }

    /// etcd stores values of at most 1.5 MiB; an event's JSON is that object plus its type.
    public static let defaultLineLimit = 4 << 20

    public let lineLimit: Int
    private var pending: [UInt8] = []

    public init(lineLimit: Int = defaultLineLimit) {
        self.lineLimit = lineLimit
    }

    /// Bytes held for a line not yet complete.
    public var pendingCount: Int { pending.count }

    /// Takes `bytes` and gives the lines they complete, without their newline (empty lines,
    /// which the API server does not send, are dropped).
    public mutating func feed(_ bytes: some Collection<UInt8>) throws(Failure) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var rest = bytes[...]
        while let newline = rest.firstIndex(of: UInt8(ascii: "\n")) {
            let piece = rest[..<newline]
            guard pending.count + piece.count <= lineLimit else { throw .lineTooLong(limit: lineLimit) }
            var line = pending
            pending = []
            line.append(contentsOf: piece)
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            if !line.isEmpty { lines.append(line) }
            rest = rest[rest.index(after: newline)...]
        }
        guard pending.count + rest.count <= lineLimit else { throw .lineTooLong(limit: lineLimit) }
        pending.append(contentsOf: rest)
        return lines
    }

    /// The stream ended: an incomplete last line is dropped (the watch was cut mid-event;
    /// the next watch resumes from the last event read whole). True when one was.
    public mutating func finish() -> Bool {
        defer { pending = [] }
        return !pending.isEmpty
    }
}
