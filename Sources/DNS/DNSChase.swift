// An ExternalName Service's CNAME, followed upstream: the engine asks an upstream for the
// target with the client's type, and the client gets our CNAME with the upstream's answer
// records behind it (specification §2.5), or the CNAME alone when the upstream says nothing
// that fits, so that a stub that does not chase CNAMEs itself still gets its addresses.

/// A CNAME to chase: the client's query and the target to ask upstream about.
public struct DNSChase: Sendable {
    /// The client's query (for its id, limit, servfail).
    public let forward: DNSForward
    /// The CNAME's target, lowercase wire form.
    let target: [UInt8]
    let ttl: UInt32
    let udpSize: UInt16

    init(forward: DNSForward, target: [UInt8], ttl: UInt32, udpSize: UInt16) {
        self.forward = forward
        self.target = target
        self.ttl = ttl
        self.udpSize = udpSize
    }

    /// A query for the CNAME target (same type as the client's, RD set) with `id`, and an OPT
    /// record offering our UDP size, so that a large answer comes back whole over UDP.
    public func upstreamQuery(id: UInt16) -> [UInt8] {
        // Header, a name of at most 255 bytes, type and class, the OPT record.
        let buffer = DNSAnswerBuffer(capacity: 512)
        var writer = buffer.writer()
        writer.header(id: id, flags: HeaderFlags.recursionDesired, counts: (1, 0, 0, 1))
        writer.name(target, compress: false)
        writer.append16(forward.type.rawValue)
        writer.append16(1)
        writer.record(owner: WireName.root, type: DNSRecordType.opt.rawValue, class: udpSize, ttl: 0, data: .raw([]))
        return buffer.array(count: writer.count)
    }

    /// Whether `upstream` answers this chase's query (QR set, this id, the target asked);
    /// anything else is a stray or forged datagram, to be ignored.
    public func isAnswer(_ upstream: UnsafeRawBufferPointer, upstreamID: UInt16) -> Bool {
        answers(DNSQuestion(name: target, type: forward.type, class: 1), upstream, id: upstreamID)
    }

    /// The CNAME record followed by the upstream's answer records for the target (names
    /// decompressed and recompressed); the upstream's rcode when it has one; the CNAME alone
    /// when `upstream` is nil (timeout) or does not match.
    public func clientResponse(from upstream: UnsafeRawBufferPointer?, upstreamID: UInt16) -> [UInt8] {
        let buffer = DNSAnswerBuffer(capacity: forward.responseLimit)
        var response = forward.builder(buffer)
        response.markAuthoritative()
        response.add(owner: nil, ownerPointer: ResponseBuilder.questionName, type: DNSRecordType.cname.rawValue, ttl: ttl, data: .name(target))
        let asked = DNSQuestion(name: target, type: forward.type, class: 1)
        guard let upstream, answers(asked, upstream, id: upstreamID), let message = ReadMessage(upstream) else {
            _ = response.finish(.noError)
            return buffer.array(count: response.count)
        }
        for record in message.answers where record.type != DNSRecordType.opt.rawValue {
            response.add(owner: record.owner, type: record.type, class: record.class, ttl: record.ttl, data: record.data)
        }
        if message.answers.isEmpty {
            // A negative answer keeps the upstream's SOA, for the client's negative caching.
            response.begin(.authority)
            for record in message.authority where record.type == DNSRecordType.soa.rawValue {
                response.add(owner: record.owner, type: record.type, class: record.class, ttl: record.ttl, data: record.data)
            }
        }
        _ = response.finish(message.rcode)
        return buffer.array(count: response.count)
    }
}
