// NetworkPolicy admission at accept: the plan says, per isolated endpoint, who may reach
// it (ServiceConfig's IngressAdmission); here that is compiled once per route into blocks
// and address sets of 128-bit integers, so that the check per connection is a few integer
// compares and a hash lookup. A connection goes only to endpoints that admit its client;
// when none does, it is refused (RoutePolicy.swift).
import ServiceConfig

/// Who may reach one endpoint, in the engine's form.
struct CompiledAdmission: Sendable {
    /// Not isolated, or some rule admits everyone.
    let anyone: Bool
    let blocks: [HoledBlock]
    let addresses: Set<IPAddress>
    /// "default/deny-all, default/allow-web", for log lines.
    let policies: String

    static let open = CompiledAdmission(anyone: true, blocks: [], addresses: [], policies: "")

    init(anyone: Bool, blocks: [HoledBlock], addresses: Set<IPAddress>, policies: String) {
        self.anyone = anyone
        self.blocks = blocks
        self.addresses = addresses
        self.policies = policies
    }

    init(_ admission: IngressAdmission) {
        var blocks: [HoledBlock] = []
        var addresses: Set<IPAddress> = []
        var anyone = false
        for peer in admission.peers {
            switch peer {
            case .anyone: anyone = true
            case .block(let cidr, let holes): blocks.append(HoledBlock(cidr, except: holes))
            case .addresses(let ips): addresses.formUnion(ips)
            }
        }
        self.init(anyone: anyone, blocks: blocks, addresses: addresses,
                  policies: admission.policies.map(\.description).joined(separator: ", "))
    }

    func admits(_ client: IPAddress) -> Bool {
        if anyone || addresses.contains(client) { return true }
        return blocks.contains { $0.contains(client) }
    }
}

extension [CompiledAdmission] {
    /// Those of `candidates` (endpoint indices, in order) that admit `client`; without a
    /// client address only those open to anyone.
    func admitting(_ client: IPAddress?, among candidates: [Int]) -> [Int] {
        guard let client else { return candidates.filter { self[$0].anyone } }
        return candidates.filter { self[$0].admits(client) }
    }

    /// "default/deny-all, default/allow-web": every policy that isolates these endpoints.
    var policyNames: String {
        Set(map(\.policies).filter { !$0.isEmpty }).sorted().joined(separator: ", ")
    }
}
