// Reads any DNS message, pointers and all: the upstream's responses that the forwarder
// checks and the chase copies, and DNSWire's peeks. A query from a client takes the faster
// path in QueryParser; this one decompresses names into arrays and is used off the hot path.

/// A record read from a message, its names decompressed.
struct ReadRecord: Equatable {
    var owner: [UInt8]
    var type: UInt16
    var `class`: UInt16
    var ttl: UInt32
    var data: ResourceData
}

struct MessageReader {
    let bytes: UnsafeRawBufferPointer
    var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, offset: Int = 12) {
        self.bytes = bytes
        self.offset = offset
    }

    func u16(at position: Int) -> UInt16? {
        guard position >= 0, position + 2 <= bytes.count else { return nil }
        return UInt16(bytes[position]) << 8 | UInt16(bytes[position + 1])
    }

    mutating func read16() -> UInt16? {
        guard let value = u16(at: offset) else { return nil }
        offset += 2
        return value
    }

    mutating func read32() -> UInt32? {
        guard let high = read16(), let low = read16() else { return nil }
        return UInt32(high) << 16 | UInt32(low)
    }

    /// The name at the read position, decompressed (its case kept); the position moves past
    /// it. Nil for a pointer forward or to itself, a loop, or a name over 255 bytes.
    mutating func readName() -> [UInt8]? {
        var name: [UInt8] = []
        var position = offset
        var resumeAt: Int?
        var limit = Int.max
        while true {
            guard position < bytes.count else { return nil }
            let length = Int(bytes[position])
            switch length & 0xc0 {
            case 0xc0:
                guard position + 1 < bytes.count else { return nil }
                let target = (length & 0x3f) << 8 | Int(bytes[position + 1])
                // Each hop must land before the last one did, so a loop is impossible.
                guard target < min(position, limit) else { return nil }
                if resumeAt == nil { resumeAt = position + 2 }
                limit = target
                position = target
            case 0:
                guard position + 1 + length <= bytes.count, name.count + 1 + length <= 255 else { return nil }
                name.append(contentsOf: bytes[position..<(position + 1 + length)])
                if length == 0 {
                    offset = resumeAt ?? position + 1
                    return name
                }
                position += 1 + length
            default:
                // 0x40 and 0x80 label types (RFC 6891 §5) are not in use.
                return nil
            }
        }
    }

    /// The question at the read position: name (its case kept), type, class.
    mutating func readQuestion() -> (name: [UInt8], type: UInt16, class: UInt16)? {
        guard let name = readName(), let type = read16(), let `class` = read16() else { return nil }
        return (name, type, `class`)
    }

    /// The record at the read position, with the names in RDATA of the types that may
    /// compress them decompressed.
    mutating func readRecord() -> ReadRecord? {
        guard let owner = readName(), let type = read16(), let `class` = read16(), let ttl = read32(),
              let length = read16()
        else { return nil }
        let end = offset + Int(length)
        guard end <= bytes.count else { return nil }
        defer { offset = end }
        var data = MessageReader(bytes, offset: offset)
        let decoded: ResourceData?
        switch DNSRecordType(rawValue: type) {
        case .cname, .ns, .ptr:
            decoded = data.readName().map { .name($0) }
        case .soa:
            if let mname = data.readName(), let rname = data.readName(), end - data.offset == 20 {
                decoded = .soa(mname, rname, Array(bytes[data.offset..<end]))
            } else {
                decoded = nil
            }
        case .srv, DNSRecordType(rawValue: 15):
            let fixed = type == 15 ? 2 : 6
            data.offset += fixed
            decoded = data.readName().map { .prefixedName(Array(bytes[offset..<(offset + fixed)]), $0, compressible: type == 15) }
        default:
            decoded = .raw(Array(bytes[offset..<end]))
        }
        guard let decoded, data.offset <= end else { return nil }
        return ReadRecord(owner: owner, type: type, class: `class`, ttl: ttl, data: decoded)
    }
}

/// A whole message read into values; what the tests parse responses back with.
struct ReadMessage {
    var id: UInt16
    var flags: UInt16
    var questions: [(name: [UInt8], type: UInt16, class: UInt16)]
    var answers: [ReadRecord]
    var authority: [ReadRecord]
    var additional: [ReadRecord]

    init?(_ bytes: UnsafeRawBufferPointer) {
        var reader = MessageReader(bytes)
        guard let id = reader.u16(at: 0), let flags = reader.u16(at: 2), let qd = reader.u16(at: 4),
              let an = reader.u16(at: 6), let ns = reader.u16(at: 8), let ar = reader.u16(at: 10)
        else { return nil }
        self.id = id
        self.flags = flags
        questions = []
        for _ in 0..<qd {
            guard let question = reader.readQuestion() else { return nil }
            questions.append(question)
        }
        func records(_ count: UInt16) -> [ReadRecord]? {
            var records: [ReadRecord] = []
            for _ in 0..<count {
                guard let record = reader.readRecord() else { return nil }
                records.append(record)
            }
            return records
        }
        guard let answers = records(an), let authority = records(ns), let additional = records(ar) else { return nil }
        self.answers = answers
        self.authority = authority
        self.additional = additional
    }

    init?(_ bytes: [UInt8]) {
        guard let message = bytes.withUnsafeBytes({ ReadMessage($0) }) else { return nil }
        self = message
    }

    /// The response code with the OPT record's extension (RFC 6891 §6.1.3).
    var rcode: DNSResponseCode {
        let extended = additional.first { $0.type == DNSRecordType.opt.rawValue }.map { UInt16($0.ttl >> 24) } ?? 0
        return DNSResponseCode(rawValue: extended << 4 | flags & 0xf)
    }
}
