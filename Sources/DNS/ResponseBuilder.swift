// Assembles one response: the header, the client's question as it sent it (so owner names
// that point at it echo its case), the three record sections, and the OPT record last. The
// size limit is applied at the end, as RFC 2181 §9 asks: additional records that do not fit
// are dropped without TC; when the answer or authority does not fit, the response shrinks to
// header, question and OPT with TC set (no partial answer: the client retries over TCP).

/// The OPT record a response carries when the query had one (RFC 6891 §6.1.1).
struct EDNSEcho: Hashable, Sendable {
    /// The payload size we advertise: the most we send over UDP.
    var udpSize: UInt16
    /// DO is copied from the query (RFC 3225 §3); we sign nothing, so it changes nothing else.
    var dnssecOK: Bool
}

/// Header flag bits (RFC 1035 §4.1.1, RFC 4035 §3.2).
enum HeaderFlags {
    static let response: UInt16 = 0x8000
    static let opcodeMask: UInt16 = 0x7800
    static let authoritative: UInt16 = 0x0400
    static let truncated: UInt16 = 0x0200
    static let recursionDesired: UInt16 = 0x0100
    static let recursionAvailable: UInt16 = 0x0080
    static let checkingDisabled: UInt16 = 0x0010
}

struct ResponseBuilder {
    enum Section { case answer, authority, additional }

    private(set) var writer: MessageWriter
    /// Question, answer, authority and additional counts; a tuple, so a response costs no
    /// allocation beyond its buffer.
    private var counts: (UInt16, UInt16, UInt16, UInt16) = (0, 0, 0, 0)
    private var section = Section.answer
    /// Where the additional section starts: what truncation keeps when only it overflows.
    private var additionalStart = 0
    private let limit: Int
    private let edns: EDNSEcho?
    private var flags: UInt16
    /// Where the question ends: the smallest truncated response.
    private var questionEnd = 12

    /// A response to a query with `id` and `queryFlags`, echoing `question` (name, type and
    /// class as the client sent them; nil for a header-only response).
    /// `writer` must hold `limit` bytes: then a write that does not fit it is over the limit.
    init(
        writer: MessageWriter, id: UInt16, queryFlags: UInt16, question: UnsafeRawBufferPointer?, limit: Int, edns: EDNSEcho?,
        recursionAvailable: Bool
    ) {
        self.writer = writer
        self.limit = limit
        self.edns = edns
        let copied = HeaderFlags.opcodeMask | HeaderFlags.recursionDesired | HeaderFlags.checkingDisabled
        flags = HeaderFlags.response | queryFlags & copied | (recursionAvailable ? HeaderFlags.recursionAvailable : 0)
        self.writer.header(id: id, flags: 0, counts: (0, 0, 0, 0))
        if let question, question.count > 4 {
            self.writer.append(question)
            self.writer.remember(nameAt: 12, length: question.count - 4)
            counts.0 = 1
            questionEnd = self.writer.count
        }
    }

    /// Sets AA: the answer comes from our own zone.
    mutating func markAuthoritative() { flags |= HeaderFlags.authoritative }

    mutating func begin(_ next: Section) {
        section = next
        if next == .additional { additionalStart = writer.count }
    }

    /// The position of the question's name, for answers owned by it.
    static let questionName: UInt16 = 12

    /// Adds a record to the current section.
    mutating func add(owner: [UInt8]?, ownerPointer: UInt16? = nil, type: UInt16, class: UInt16 = 1, ttl: UInt32, data: ResourceData) {
        writer.record(owner: owner, ownerPointer: ownerPointer, type: type, class: `class`, ttl: ttl, data: data)
        counted()
    }

    /// Adds one of the zone's records to the current section: owned by `owner`, or by the
    /// name at `ownerPointer` when `owner` is nil.
    mutating func add(owner: UnsafeRawBufferPointer?, ownerPointer: UInt16, type: UInt16, ttl: UInt32, record: PackedRecord, arena: UnsafeRawPointer) {
        writer.record(owner: owner, ownerPointer: ownerPointer, type: type, ttl: ttl, record: record, arena: arena)
        counted()
    }

    private mutating func counted() {
        switch section {
        case .answer: counts.1 &+= 1
        case .authority: counts.2 &+= 1
        case .additional: counts.3 &+= 1
        }
    }

    /// How many records the current section holds.
    var recordsInSection: UInt16 {
        switch section {
        case .answer: counts.1
        case .authority: counts.2
        case .additional: counts.3
        }
    }

    /// The message's length so far (all of it once finished).
    var count: Int { writer.count }

    /// Finishes the message with `rcode`, cut to the limit; whether TC was set.
    mutating func finish(_ rcode: DNSResponseCode) -> Bool {
        if section != .additional { begin(.additional) }
        let optSize = edns == nil ? 0 : 11
        var truncated = false
        if writer.overflowed || writer.count + optSize > limit {
            if additionalStart + optSize <= limit {
                writer.truncate(to: additionalStart)
                counts.3 = 0
            } else {
                // Header and question alone always fit: a question is at most 259 bytes.
                writer.truncate(to: questionEnd)
                counts = (counts.0, 0, 0, 0)
                truncated = true
            }
        }
        if let edns {
            writer.append(0)
            writer.append16(DNSRecordType.opt.rawValue)
            writer.append16(edns.udpSize)
            writer.append(rcode.extendedBits)
            writer.append(0)
            writer.append16(edns.dnssecOK ? 0x8000 : 0)
            writer.append16(0)
            counts.3 += 1
        }
        flags |= rcode.headerBits | (truncated ? HeaderFlags.truncated : 0)
        writer.set16(flags, at: 2)
        writer.set16(counts.0, at: 4)
        writer.set16(counts.1, at: 6)
        writer.set16(counts.2, at: 8)
        writer.set16(counts.3, at: 10)
        return truncated
    }
}
