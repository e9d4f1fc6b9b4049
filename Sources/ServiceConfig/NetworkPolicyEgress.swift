// The egress side of the NetworkPolicies: which pods they isolate and where each may
// connect (EgressPlan.swift), worked out once per plan from the NetworkPolicies, Pods and
// Namespaces. A policy isolates for egress when its `policyTypes` (as the API server
// defaults them) include Egress; the pods it selects may then reach only what some rule of
// some selecting policy allows. hostNetwork pods are never isolated here: a connection from
// the node's address cannot be told to be theirs (EndpointPods.swift). A client address
// that several pods share is bound only when each of them is isolated, and then by all
// their rules: the connection may be any of them.

struct EgressResolver {
    private let policiesByNamespace: [String: [NetworkPolicy]]
    private let pods: [Pod]
    private let directory: PodDirectory
    private let peers: PolicyPeers

    init(objects: ConfigObjects, directory: PodDirectory, peers: PolicyPeers) {
        policiesByNamespace = Dictionary(grouping: objects.networkPolicies.filter(\.affectsEgress).sorted { $0.key < $1.key },
                                         by: \.key.namespace)
        pods = policiesByNamespace.isEmpty ? [] : objects.pods.filter { !$0.terminated && !$0.hostNetwork }.sorted { $0.key < $1.key }
        self.directory = directory
        self.peers = peers
    }

    func plan() -> EgressPlan {
        guard !policiesByNamespace.isEmpty else { return EgressPlan() }
        // Pods selected by the same policies share one isolation value (and its storage).
        var isolations: [[ObjectKey]: EgressIsolation] = [:]
        var resolved: [ObjectKey: [EgressRule]] = [:]
        var isolated: [EgressPlan.IsolatedPod] = []
        var byPod: [ObjectKey: EgressIsolation] = [:]
        for pod in pods {
            let selecting = (policiesByNamespace[pod.key.namespace] ?? []).filter { $0.podSelector.matches(pod.labels) }
            guard !selecting.isEmpty else { continue }
            let keys = selecting.map(\.key)
            let isolation = isolations[keys] ?? EgressIsolation(policies: keys, rules: selecting.flatMap { policy in
                if let rules = resolved[policy.key] { return rules }
                let rules = self.rules(of: policy)
                resolved[policy.key] = rules
                return rules
            })
            isolations[keys] = isolation
            byPod[pod.key] = isolation
            isolated.append(EgressPlan.IsolatedPod(key: pod.key, ips: pod.ips, isolation: isolation))
        }
        var clients: [IPAddress: EgressIsolation] = [:]
        for ip in Set(isolated.flatMap(\.ips)) {
            let sharing = directory.clientPods(at: ip).map { byPod[$0.key] }
            guard let first = sharing.first ?? nil, sharing.allSatisfy({ $0 != nil }) else { continue }
            clients[ip] = sharing.count == 1 ? first : Self.merged(sharing.compactMap { $0 })
        }
        return EgressPlan(pods: isolated, clients: clients)
    }

    /// The egress rules of `policy`, its selectors resolved to pods.
    private func rules(of policy: NetworkPolicy) -> [EgressRule] {
        policy.egress.map { rule in
            let to: [EgressRule.Peer]? = rule.to.isEmpty ? nil : rule.to.compactMap { peer in
                guard let block = peer.ipBlock else {
                    return .pods(peers.pods(selectedBy: peer, policyNamespace: policy.key.namespace).map(\.key))
                }
                return CIDR(block.cidr).map { .block($0, except: block.except.compactMap(CIDR.init)) }
            }
            return EgressRule(to: to, ports: rule.ports.isEmpty ? nil : rule.ports.map(PolicyPortMatch.init))
        }
    }

    /// The isolation of a client that may be any of several isolated pods: every policy
    /// and every rule of each.
    private static func merged(_ isolations: [EgressIsolation]) -> EgressIsolation {
        var rules: [EgressRule] = []
        for rule in isolations.flatMap(\.rules) where !rules.contains(rule) { rules.append(rule) }
        return EgressIsolation(policies: Array(Set(isolations.flatMap(\.policies))).sorted(), rules: rules)
    }
}
