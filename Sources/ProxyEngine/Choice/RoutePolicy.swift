// The one place that decides, at accept, whether a connection is served and which
// endpoints it may try in what order: no endpoint (on this node, where a Local traffic
// policy applies to the listener it arrived on), a full limit, or NetworkPolicy refuses
// it: an endpoint is eligible only if its pod's ingress admits the client and the client
// pod's egress (if any binds it) allows the endpoint; otherwise session affinity or
// round-robin orders the eligible endpoints. A decision is a value; the handler that asked
// counts, logs and resets by it, so this is tested without an event loop.
import LinuxIO
import ServiceConfig

/// Why a connection is not served.
enum Refusal: Error, Equatable, Sendable {
    case noEndpoints
    /// A Local traffic policy applies and no endpoint is on this node (kube-proxy drops).
    case noLocalEndpoints
    /// `--max-connections` (the value) is reached.
    case nodeLimit(Int)
    /// The service's `svcproxy.io/max-connections` is reached.
    case serviceLimit(Int)
    /// No endpoint's NetworkPolicy admits the client; the policies that isolate them.
    case policy(String)
    /// Some endpoints admit the client, but its own egress policies (`egress`) allow
    /// none of them; `ingress`: the policies that isolate the endpoints, if any.
    case egressPolicy(egress: String, ingress: String)
}

/// Where an accepted connection may go.
struct EndpointChoice: Equatable, Sendable {
    /// The endpoints to try, in order; nil: all of them from `start`.
    let candidates: [Int]?
    /// The client, kept only for session affinity (to re-pin after a retry).
    let affinityClient: IPAddress?
    /// Where round-robin put the connection; retries walk on from here.
    let start: Int
    /// The limits the connection holds a place in.
    let tokens: LimitTokens

    init(start: Int, candidates: [Int]?, affinityClient: IPAddress?, tokens: LimitTokens) {
        self.start = start
        self.candidates = candidates
        self.affinityClient = affinityClient
        self.tokens = tokens
    }
}

extension ServicePortRoute {
    /// The rules a connection from `peer` is bound by, and whether deciding for it needs
    /// its address: what a handler asks before `decide`.
    func client(_ peer: SocketAddress?, egress table: CompiledEgress) -> (address: IPAddress?, egress: ClientEgress?) {
        let egress = table.rules(for: peer)
        return (rules.needsClient || egress != nil ? peer.map(IPAddress.init) : nil, egress)
    }

    /// Serve `client` (nil when its address is unknown or not needed) or refuse it;
    /// `egress`: the client pod's egress rules, if any bind it; `now` is the monotonic
    /// clock, for affinity pins; `localOnly`: the listener it arrived on is under a Local
    /// traffic policy (`rules.isLocalOnly`). A served connection holds places in the
    /// limits, given back with `releaseLimits`.
    func decide(for client: IPAddress?, egress: ClientEgress? = nil, now: UInt64,
                localOnly: Bool = false) -> Result<EndpointChoice, Refusal> {
        guard clusterCount > 0 else { return .failure(.noEndpoints) }
        if localOnly, rules.localEndpoints.isEmpty { return .failure(.noLocalEndpoints) }
        var tokens: LimitTokens = []
        if rules.nodeLimit != nil || rules.serviceLimit != nil {
            switch acquireLimits() {
            case .success(let taken): tokens = taken
            case .failure(let refusal): return .failure(refusal)
            }
        }
        guard rules.needsClient || localOnly || egress != nil else {
            // Never nil here (the endpoints are not empty); unwrapped without a trap.
            let start = nextStartIndex() ?? 0
            return .success(EndpointChoice(start: start, candidates: nil, affinityClient: nil, tokens: tokens))
        }
        var eligible = localOnly ? rules.localEndpoints : Array(0..<clusterCount)
        if let admissions = rules.admissions {
            eligible = admissions.admitting(client, among: eligible)
            if eligible.isEmpty {
                releaseLimits(tokens)
                return .failure(.policy(admissions.policyNames))
            }
        }
        if let egress {
            eligible.removeAll { !egress.allows(endpoints[$0], transport) }
            if eligible.isEmpty {
                releaseLimits(tokens)
                return .failure(.egressPolicy(egress: egress.policies, ingress: rules.admissions?.policyNames ?? ""))
            }
        }
        let candidates: [Int]
        var affinityClient: IPAddress?
        if let timeout = rules.affinityTimeout, let client {
            candidates = affinityCandidates(for: client, timeout: timeout, eligible: eligible, now: now)
            affinityClient = client
        } else {
            candidates = roundRobin(eligible)
        }
        guard let first = candidates.first else {
            releaseLimits(tokens)
            return .failure(.noEndpoints)
        }
        return .success(EndpointChoice(start: first, candidates: candidates, affinityClient: affinityClient, tokens: tokens))
    }

    /// Where an affinity client goes: its pinned endpoint if that is still eligible (then
    /// the others as fallbacks), else the round-robin choice among `eligible`, which
    /// becomes its pin.
    private func affinityCandidates(for client: IPAddress, timeout: UInt64, eligible: [Int], now: UInt64) -> [Int] {
        let table = shared.affinity
        if let endpoint = table.endpoint(for: client, now: now, timeout: timeout),
           let index = rules.endpointIndex[endpoint], let position = eligible.firstIndex(of: index) {
            return Array(eligible[position...] + eligible[..<position])
        }
        let candidates = roundRobin(eligible)
        if let first = candidates.first, table.pin(client, to: endpoints[first].endpoint, now: now, timeout: timeout) {
            statistics.affinityEvictions.wrappingAdd(1, ordering: .relaxed)
        }
        return candidates
    }

    /// A connection of an affinity client reached `endpoint` after its first try failed:
    /// the client stays where it landed.
    func repin(_ client: IPAddress, to endpoint: Endpoint, now: UInt64) {
        guard let timeout = rules.affinityTimeout else { return }
        if shared.affinity.pin(client, to: endpoint, now: now, timeout: timeout) {
            statistics.affinityEvictions.wrappingAdd(1, ordering: .relaxed)
        }
    }
}
