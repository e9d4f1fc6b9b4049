// The cluster zone, built once per configuration and shared by every worker: `resolve`
// turns a query's bytes into a response's, or into a query to forward, with one parse, one
// index probe and one buffer written. Which records a name has is decided at build time
// (ZoneBuilder); here only the lookup, the negative answers and the size limits.
import ServiceConfig

/// The zone of one configuration; immutable, so shared by all worker threads.
public final class DNSZone: Sendable {
    public let settings: DNSZoneSettings
    /// Resource records held (synthesized pod records not counted).
    public let recordCount: Int
    let nodes: [ZoneNode]
    let index: ZoneIndex
    /// The zone's name, lowercase wire form.
    let zoneName: [UInt8]
    /// `pod.<zone>`, under which pod records are made from their names.
    let podName: [UInt8]
    /// The SOA records of negative answers, by `ZoneAuthority`.
    let authorities: [ZoneSOA]

    struct ZoneSOA: Sendable {
        let owner: [UInt8]
        let data: ResourceData
    }

    public init(names: ClusterNames, settings: DNSZoneSettings) {
        let contents = ZoneBuilder.build(names, settings: settings)
        let builder = ZoneBuilder(settings: settings)
        self.settings = settings
        nodes = contents.nodes
        index = ZoneIndex(contents.nodes)
        zoneName = builder.zone
        podName = builder.name("pod") ?? builder.zone
        authorities = contents.authorities.map { ZoneSOA(owner: $0.owner, data: $0.data) }
        recordCount = nodes.reduce(0) { $0 + $1.recordSets.reduce(0) { $0 + $1.records.count } + ($1.canonicalName == nil ? 0 : 1) }
    }

    /// The response to `query`, or what to do with it instead.
    /// - Parameters:
    ///   - query: one DNS message as the client sent it (without TCP's length prefix).
    ///   - transport: how it came, which bounds the response's size.
    ///   - rotation: turns the order of every RRset by `rotation % count`, so that clients that
    ///     take the first address spread over them; a per-worker counter does.
    public func resolve(_ query: UnsafeRawBufferPointer, transport: DNSTransport, rotation: Int) -> DNSResolution {
        let parsed: ParsedQuery
        switch QueryParser.parse(query) {
        case .drop:
            return .drop
        case .refuse(let id, let flags, let rcode):
            var response = ResponseBuilder(id: id, queryFlags: flags, question: nil, limit: 512, edns: nil, recursionAvailable: settings.forwarding)
            return .answer(response.finish(rcode).bytes, DNSOutcome(type: DNSRecordType(rawValue: 0), rcode: rcode, truncated: false))
        case .query(let query):
            parsed = query
        }
        let limit = responseLimit(parsed, transport)
        let edns = parsed.edns.map { EDNSEcho(udpSize: UInt16(settings.udpLimit), dnssecOK: $0.dnssecOK) }
        var response = ResponseBuilder(
            id: parsed.id, queryFlags: parsed.flags, question: UnsafeRawBufferPointer(rebasing: query[12..<parsed.questionEnd]),
            limit: limit, edns: edns, recursionAvailable: settings.forwarding)
        let rcode: DNSResponseCode
        switch decide(query, parsed, rotation, &response) {
        case .respond(let code):
            rcode = code
        case .forward:
            guard settings.forwarding else {
                rcode = .refused
                break
            }
            return .forward(DNSForward(query: query, parsed: parsed, responseLimit: limit, edns: edns))
        case .chase(let target):
            let forward = DNSForward(query: query, parsed: parsed, responseLimit: limit, edns: edns)
            return .chase(DNSChase(forward: forward, target: target, ttl: settings.ttl, udpSize: UInt16(settings.udpLimit)))
        }
        let (bytes, truncated) = response.finish(rcode)
        return .answer(bytes, DNSOutcome(type: DNSRecordType(rawValue: parsed.type), rcode: rcode, truncated: truncated))
    }

    /// 512 bytes over UDP without EDNS; the client's EDNS size, within 512 and ours, with it;
    /// the 16-bit length prefix's bound over TCP.
    private func responseLimit(_ query: ParsedQuery, _ transport: DNSTransport) -> Int {
        switch transport {
        case .tcp: 65535
        case .udp: query.edns.map { min(max(512, Int($0.udpSize)), settings.udpLimit) } ?? 512
        }
    }

    enum Decision {
        /// The response is written; finish it with this code.
        case respond(DNSResponseCode)
        /// Not our name.
        case forward
        /// A CNAME out of the zone, with forwarding on.
        case chase([UInt8])
    }

    private func decide(_ query: UnsafeRawBufferPointer, _ parsed: ParsedQuery, _ rotation: Int, _ response: inout ResponseBuilder) -> Decision {
        if let edns = parsed.edns, edns.version > 0 { return .respond(.badVers) }
        guard parsed.class == 1 || parsed.class == 255 else { return .respond(.refused) }
        switch DNSRecordType(rawValue: parsed.type) {
        case .axfr, .ixfr: return .respond(.refused)
        case .opt: return .respond(.formErr)
        default: break
        }
        if let number = index.find(parsed.nameHash, query, start: 12, length: parsed.nameLength, in: nodes) {
            return answer(nodes[number], parsed.type, rotation, &response)
        }
        let name = query[12..<(12 + parsed.nameLength)].map(WireName.lowercased)
        guard WireName.isSubdomain(name, of: zoneName) else { return .forward }
        response.markAuthoritative()
        if WireName.isSubdomain(name, of: podName), let rcode = answerPod(name, parsed.type, &response) {
            return .respond(rcode)
        }
        negative(.zone, &response)
        return .respond(.nxDomain)
    }

    /// The SOA a negative answer carries (RFC 2308 §3), its TTL the negative-caching time.
    func negative(_ authority: ZoneAuthority, _ response: inout ResponseBuilder) {
        let soa = authorities[authority.rawValue]
        response.begin(.authority)
        response.add(owner: soa.owner, type: DNSRecordType.soa.rawValue, ttl: settings.ttl, data: soa.data)
    }
}
