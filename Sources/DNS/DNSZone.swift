// The cluster zone, built once per configuration and shared by every worker: `resolve`
// turns a query's bytes into a response's, or into a query to forward, with one parse, one
// index probe and one buffer written. Which records a name has is decided at build time
// (ZoneBuilder); here only the lookup, the negative answers and the size limits. The answer
// path reads the zone's image (ZoneImage) and writes into the caller's DNSAnswerBuffer, so
// that an answer from the zone allocates nothing and touches no reference count.
import ServiceConfig

/// The zone of one configuration; immutable, so shared by all worker threads.
public final class DNSZone: Sendable {
    public let settings: DNSZoneSettings
    /// Resource records held (synthesized pod records not counted).
    public let recordCount: Int
    /// The nodes as built: what `printed()` lists.
    let nodes: [ZoneNode]
    /// The same nodes as the answer path reads them.
    let image: ZoneImage
    /// The zone's name, lowercase wire form.
    let zoneName: [UInt8]
    /// `pod.<zone>`, under which pod records are made from their names.
    let podName: [UInt8]
    /// The settings the answer path reads, copied out of `settings`.
    let ttl: UInt32
    let forwarding: Bool
    let udpLimit: Int

    public init(names: ClusterNames, settings: DNSZoneSettings) {
        let contents = ZoneBuilder.build(names, settings: settings)
        let builder = ZoneBuilder(settings: settings)
        self.settings = settings
        nodes = contents.nodes
        zoneName = builder.zone
        podName = builder.name("pod") ?? builder.zone
        image = ZoneImage(nodes: contents.nodes, authorities: contents.authorities, zoneName: zoneName, podName: podName)
        ttl = settings.ttl
        forwarding = settings.forwarding
        udpLimit = settings.udpLimit
        recordCount = nodes.reduce(0) { $0 + $1.recordSets.reduce(0) { $0 + $1.records.count } + ($1.canonicalName == nil ? 0 : 1) }
    }

    deinit { image.deallocate() }

    /// The response to `query`, or what to do with it instead; an answer as an array of its
    /// own (the TCP path, the tests). `resolve(_:transport:rotation:into:)` does the work.
    /// - Parameters:
    ///   - query: one DNS message as the client sent it (without TCP's length prefix).
    ///   - transport: how it came, which bounds the response's size.
    ///   - rotation: turns the order of every RRset by `rotation % count`, so that clients that
    ///     take the first address spread over them; a per-worker counter does.
    public func resolve(_ query: UnsafeRawBufferPointer, transport: DNSTransport, rotation: Int) -> DNSResolution {
        // No response exceeds its limit, so a buffer of the limit's size is enough.
        var buffer = DNSAnswerBuffer(capacity: transport == .tcp ? DNSAnswerBuffer.defaultCapacity : udpLimit)
        let resolution = resolve(query, transport: transport, rotation: rotation, into: &buffer)
        guard case .written(let outcome) = resolution else { return resolution }
        return .answer(buffer.array(count: buffer.bytes.count), outcome)
    }

    /// The response to `query` written into `buffer` (`.written`), or what to do with it
    /// instead; the answer path of UDP queries, allocation-free for answers from the zone.
    /// Parameters as `resolve(_:transport:rotation:)`.
    public func resolve(
        _ query: UnsafeRawBufferPointer, transport: DNSTransport, rotation: Int, into buffer: inout DNSAnswerBuffer
    ) -> DNSResolution {
        let parsed: ParsedQuery
        switch QueryParser.parse(query) {
        case .drop:
            return .drop
        case .refuse(let id, let flags, let rcode):
            var response = ResponseBuilder(
                writer: buffer.writer(), id: id, queryFlags: flags, question: nil, limit: 512, edns: nil, recursionAvailable: forwarding)
            _ = response.finish(rcode)
            buffer.finish(count: response.count)
            return .written(DNSOutcome(type: DNSRecordType(rawValue: 0), rcode: rcode, truncated: false))
        case .query(let query):
            parsed = query
        }
        let limit = min(responseLimit(parsed, transport), buffer.capacity)
        let edns = parsed.edns.map { EDNSEcho(udpSize: UInt16(udpLimit), dnssecOK: $0.dnssecOK) }
        var response = ResponseBuilder(
            writer: buffer.writer(), id: parsed.id, queryFlags: parsed.flags,
            question: UnsafeRawBufferPointer(rebasing: query[12..<parsed.questionEnd]),
            limit: limit, edns: edns, recursionAvailable: forwarding)
        let rcode: DNSResponseCode
        switch decide(query, parsed, rotation, &response) {
        case .respond(let code):
            rcode = code
        case .forward:
            guard forwarding else {
                rcode = .refused
                break
            }
            return .forward(DNSForward(query: query, parsed: parsed, responseLimit: limit, edns: edns))
        case .chase(let target):
            let forward = DNSForward(query: query, parsed: parsed, responseLimit: limit, edns: edns)
            return .chase(DNSChase(forward: forward, target: Array(image.bytes(target)), ttl: ttl, udpSize: UInt16(udpLimit)))
        }
        let truncated = response.finish(rcode)
        buffer.finish(count: response.count)
        return .written(DNSOutcome(type: DNSRecordType(rawValue: parsed.type), rcode: rcode, truncated: truncated))
    }

    /// 512 bytes over UDP without EDNS; the client's EDNS size, within 512 and ours, with it;
    /// the 16-bit length prefix's bound over TCP.
    private func responseLimit(_ query: ParsedQuery, _ transport: DNSTransport) -> Int {
        switch transport {
        case .tcp: 65535
        case .udp: query.edns.map { min(max(512, Int($0.udpSize)), udpLimit) } ?? 512
        }
    }

    enum Decision {
        /// The response is written; finish it with this code.
        case respond(DNSResponseCode)
        /// Not our name.
        case forward
        /// A CNAME out of the zone, with forwarding on: its target, in the image's arena.
        case chase(ArenaSpan)
    }

    private func decide(_ query: UnsafeRawBufferPointer, _ parsed: ParsedQuery, _ rotation: Int, _ response: inout ResponseBuilder) -> Decision {
        if let edns = parsed.edns, edns.version > 0 { return .respond(.badVers) }
        guard parsed.class == 1 || parsed.class == 255 else { return .respond(.refused) }
        switch DNSRecordType(rawValue: parsed.type) {
        case .axfr, .ixfr: return .respond(.refused)
        case .opt: return .respond(.formErr)
        default: break
        }
        let name = UnsafeRawBufferPointer(rebasing: query[12..<(12 + parsed.nameLength)])
        let image = self.image
        if let number = image.find(parsed.nameHash, name) {
            return answer(image, number, parsed.type, rotation, &response)
        }
        guard WireName.isSubdomain(name, of: image.bytes(image.zoneName)) else { return .forward }
        response.markAuthoritative()
        if WireName.isSubdomain(name, of: image.bytes(image.podName)),
           let rcode = answerPod(name.map(WireName.lowercased), parsed.type, &response) {
            return .respond(rcode)
        }
        negative(image, .zone, &response)
        return .respond(.nxDomain)
    }

    /// The SOA a negative answer carries (RFC 2308 §3), its TTL the negative-caching time.
    func negative(_ image: ZoneImage, _ authority: ZoneAuthority, _ response: inout ResponseBuilder) {
        let soa = image.authorities[authority.rawValue]
        response.begin(.authority)
        response.add(owner: image.bytes(soa.owner), ownerPointer: 0, type: DNSRecordType.soa.rawValue, ttl: ttl, record: soa.record, arena: image.base)
    }
}
