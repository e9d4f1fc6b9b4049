// Reads a client's query on the hot path: the header, the one question (its name hashed
// and lowercased on the way, never copied), and the rest of the message only as far as
// finding the OPT record. The question's name must be uncompressed, as a query's first name
// always is, so that it lies in the buffer as one run of bytes the zone compares in place.

/// A query's question and EDNS, as positions in the client's buffer.
struct ParsedQuery {
    var id: UInt16
    var flags: UInt16
    /// The question's name is `query[12 ..< 12 + nameLength]`.
    var nameLength: Int
    /// `WireName.hash` of the lowercased name.
    var nameHash: UInt64
    var type: UInt16
    var `class`: UInt16
    /// The client's OPT record, if it sent one.
    var edns: ClientEDNS?
    /// Where the OPT record's CLASS (the client's UDP payload size) sits in the query.
    var ednsSizeOffset: Int?

    /// The question section: name, type and class.
    var questionEnd: Int { 12 + nameLength + 4 }
}

/// What a client's OPT record says (RFC 6891 §6.1.2).
struct ClientEDNS {
    var udpSize: UInt16
    var version: UInt8
    var dnssecOK: Bool
}

enum QueryParse {
    case query(ParsedQuery)
    /// A response (QR set) or less than a header: never answered, lest two servers loop.
    case drop
    /// An answer of `rcode` with the header alone.
    case refuse(id: UInt16, flags: UInt16, rcode: DNSResponseCode)
}

enum QueryParser {
    static func parse(_ query: UnsafeRawBufferPointer) -> QueryParse {
        guard query.count >= 12 else { return .drop }
        let id = UInt16(query[0]) << 8 | UInt16(query[1])
        let flags = UInt16(query[2]) << 8 | UInt16(query[3])
        guard flags & HeaderFlags.response == 0 else { return .drop }
        guard flags & HeaderFlags.opcodeMask == 0 else { return .refuse(id: id, flags: flags, rcode: .notImp) }
        let formErr = QueryParse.refuse(id: id, flags: flags, rcode: .formErr)
        guard count(query, 4) == 1 else { return formErr }

        // The question's name: plain labels only, at most 255 bytes.
        var offset = 12
        var hash = WireName.hashSeed
        while true {
            guard offset < query.count else { return formErr }
            let length = Int(query[offset])
            guard length <= 63, offset + 1 + length <= query.count, offset + 1 + length - 12 <= 255 else { return formErr }
            hash = WireName.hash(hash, query[offset])
            if length == 0 { break }
            for index in (offset + 1)...(offset + length) { hash = WireName.hash(hash, query[index]) }
            offset += 1 + length
        }
        let nameLength = offset + 1 - 12
        guard offset + 5 <= query.count else { return formErr }
        var parsed = ParsedQuery(
            id: id, flags: flags, nameLength: nameLength, nameHash: hash,
            type: count(query, offset + 1), class: count(query, offset + 3), edns: nil, ednsSizeOffset: nil)

        // The other sections: skipped record by record, looking for OPT in the additional one.
        offset += 5
        let records = Int(count(query, 6)) + Int(count(query, 8))
        let additional = Int(count(query, 10))
        for index in 0..<(records + additional) {
            guard let end = skipName(query, offset), end + 10 <= query.count else { return formErr }
            let type = count(query, end)
            let dataEnd = end + 10 + Int(count(query, end + 8))
            guard dataEnd <= query.count else { return formErr }
            if type == DNSRecordType.opt.rawValue {
                // One OPT, in the additional section, owned by the root (RFC 6891 §6.1.1).
                guard index >= records, parsed.edns == nil, end == offset + 1 else { return formErr }
                parsed.edns = ClientEDNS(
                    udpSize: count(query, end + 2), version: query[end + 5], dnssecOK: query[end + 6] & 0x80 != 0)
                parsed.ednsSizeOffset = end + 2
            }
            offset = dataEnd
        }
        return .query(parsed)
    }

    /// The 16-bit big-endian number at `offset` (the caller has checked the bounds).
    @inline(__always)
    static func count(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt16 {
        UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    /// Where the name at `offset` ends, a pointer ending it; nil if it runs off the message.
    private static func skipName(_ bytes: UnsafeRawBufferPointer, _ start: Int) -> Int? {
        var offset = start
        while offset < bytes.count {
            let length = Int(bytes[offset])
            if length == 0 { return offset + 1 }
            if length & 0xc0 == 0xc0 { return offset + 2 <= bytes.count ? offset + 2 : nil }
            guard length & 0xc0 == 0 else { return nil }
            offset += 1 + length
        }
        return nil
    }
}
