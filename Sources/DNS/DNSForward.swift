// A query for a name that is not ours, on its way upstream and back: the client's bytes go
// upstream under an id of the engine's choosing, and only an answer to this very question
// (QR set, that id, the same name, type and class) comes back, under the client's id again.

/// A query to forward: what goes upstream, and how to check and relay what comes back.
public struct DNSForward: Sendable {
    public let question: DNSQuestion
    public let clientID: UInt16
    public let type: DNSRecordType
    /// The largest response the client takes over this transport (512.. or 65535 for TCP).
    public let responseLimit: Int
    /// The client's query as it arrived.
    let query: [UInt8]
    /// The client's question section as it sent it: its name keeps the client's case.
    let questionBytes: [UInt8]
    let clientFlags: UInt16
    /// The OPT record responses carry, when the client sent one.
    let edns: EDNSEcho?
    /// Where the client's UDP payload size sits in `query`, when it sent one.
    let ednsSizeOffset: Int?

    init(query: UnsafeRawBufferPointer, parsed: ParsedQuery, responseLimit: Int, edns: EDNSEcho?) {
        let name = query[12..<(12 + parsed.nameLength)].map(WireName.lowercased)
        question = DNSQuestion(name: name, type: DNSRecordType(rawValue: parsed.type), class: parsed.class)
        clientID = parsed.id
        type = question.type
        self.responseLimit = responseLimit
        self.query = Array(query)
        questionBytes = Array(query[12..<parsed.questionEnd])
        clientFlags = parsed.flags
        self.edns = edns
        ednsSizeOffset = parsed.ednsSizeOffset
    }

    /// The query as the client sent it, with `id` in place of the client's: what goes
    /// upstream. A client's UDP size above what it gets from us is lowered to that, so that
    /// the upstream truncates (and we retry over TCP) rather than we cutting its answer.
    public func upstreamQuery(id: UInt16) -> [UInt8] {
        var bytes = query
        bytes[0] = UInt8(id >> 8)
        bytes[1] = UInt8(id & 0xff)
        if let offset = ednsSizeOffset, offset + 1 < bytes.count, responseLimit <= Int(UInt16.max) {
            let asked = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
            if asked > responseLimit {
                bytes[offset] = UInt8(truncatingIfNeeded: responseLimit >> 8)
                bytes[offset + 1] = UInt8(truncatingIfNeeded: responseLimit)
            }
        }
        return bytes
    }

    /// The upstream's answer checked (QR set, this id, the same question, case-insensitively) and
    /// given back with the client's id; nil if it does not answer this question. Too big for
    /// `responseLimit`: cut to header and question with TC set, for the client to retry over TCP.
    public func clientResponse(from upstream: UnsafeRawBufferPointer, upstreamID: UInt16) -> [UInt8]? {
        guard answers(question, upstream, id: upstreamID) else { return nil }
        var bytes = Array(upstream)
        bytes[0] = UInt8(clientID >> 8)
        bytes[1] = UInt8(clientID & 0xff)
        guard bytes.count > responseLimit else { return bytes }
        let flags = (UInt16(bytes[2]) << 8 | UInt16(bytes[3])) | HeaderFlags.truncated
        // Header, a question of at most 259 bytes, and the OPT a client that sent one expects
        // in every response (RFC 6891 §7).
        let buffer = DNSAnswerBuffer(capacity: 512)
        var writer = buffer.writer()
        writer.header(id: clientID, flags: flags, counts: (1, 0, 0, edns == nil ? 0 : 1))
        writer.append(questionBytes)
        if let edns {
            writer.record(owner: WireName.root, type: DNSRecordType.opt.rawValue, class: edns.udpSize, ttl: edns.dnssecOK ? 0x8000 : 0,
                          data: .raw([]))
        }
        return buffer.array(count: writer.count)
    }

    /// SERVFAIL for the client when every upstream failed or timed out.
    public func serverFailure() -> [UInt8] {
        let buffer = DNSAnswerBuffer(capacity: responseLimit)
        var response = builder(buffer)
        _ = response.finish(.servFail)
        return buffer.array(count: response.count)
    }

    /// A response to the client's question, its header and OPT in place, records to follow;
    /// written into `buffer` (of `responseLimit` bytes at least), which must outlive it.
    func builder(_ buffer: borrowing DNSAnswerBuffer) -> ResponseBuilder {
        questionBytes.withUnsafeBytes {
            ResponseBuilder(
                writer: buffer.writer(), id: clientID, queryFlags: clientFlags, question: $0, limit: min(responseLimit, buffer.capacity),
                edns: edns, recursionAvailable: true)
        }
    }
}

/// Whether `response` answers `question` under `id`: QR set, one question, the same name
/// (any case), type and class.
func answers(_ question: DNSQuestion, _ response: UnsafeRawBufferPointer, id: UInt16) -> Bool {
    var reader = MessageReader(response)
    guard let responseID = reader.u16(at: 0), let flags = reader.u16(at: 2), let count = reader.u16(at: 4),
          responseID == id, flags & HeaderFlags.response != 0, count == 1,
          let asked = reader.readQuestion()
    else { return false }
    return asked.type == question.type.rawValue && asked.class == question.class
        && asked.name.map(WireName.lowercased) == question.name
}
