// What the DNS listeners of a plan answer with: the zone built from the plan (immutable,
// shared by every worker, replaced whole by a reload, so no query sees half a zone) and
// where names outside it go.
import DNS
import LinuxIO
import ServiceConfig

final class DNSService: Sendable {
    let zone: DNSZone
    /// In order of preference; empty: names outside the zone are REFUSED by the zone.
    let upstreams: [SocketAddress]

    init(plan: DNSPlan) {
        upstreams = plan.upstreams.compactMap { SocketAddress(ip: $0.ip.description, port: UInt16($0.port)) }
        zone = DNSZone(plan: plan)
    }
}

/// A query sent upstream: a name outside the zone, or the target of an ExternalName.
enum DNSUpstreamRequest: Sendable {
    case forward(DNSForward)
    case chase(DNSChase)

    var type: DNSRecordType {
        switch self {
        case .forward(let forward): forward.type
        case .chase(let chase): chase.forward.type
        }
    }

    func query(id: UInt16) -> [UInt8] {
        switch self {
        case .forward(let forward): forward.upstreamQuery(id: id)
        case .chase(let chase): chase.upstreamQuery(id: id)
        }
    }

    /// The client's answer made from an upstream's, or nil when it answers another question.
    func response(from upstream: UnsafeRawBufferPointer, id: UInt16) -> [UInt8]? {
        switch self {
        case .forward(let forward): forward.clientResponse(from: upstream, upstreamID: id)
        case .chase(let chase): chase.isAnswer(upstream, upstreamID: id) ? chase.clientResponse(from: upstream, upstreamID: id) : nil
        }
    }

    /// The client's answer when no upstream answered: SERVFAIL, or the CNAME alone.
    func failure() -> [UInt8] {
        switch self {
        case .forward(let forward): forward.serverFailure()
        case .chase(let chase): chase.clientResponse(from: nil, upstreamID: 0)
        }
    }
}

/// Where an answer goes: back through the UDP listener the query came in on, from the
/// address it was sent to, or onto a TCP client's connection.
enum DNSReplyTarget {
    case udp(WorkerListener, SocketAddress)
    case tcp(slot: UInt32, tag: UInt32)

    var isUDP: Bool {
        if case .udp = self { return true }
        return false
    }
}
