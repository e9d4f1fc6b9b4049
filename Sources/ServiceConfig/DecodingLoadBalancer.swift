// Reads the ProxyConfiguration's LoadBalancer settings (LoadBalancerSettings.swift):
// `loadBalancerAddresses` (CIDRs, as `--load-balancer-addresses`) and
// `loadBalancerIPPools`, a list of pools each with a name and its addresses.

extension ObjectDecoder {
    mutating func decodeLoadBalancerSettings(into settings: inout NodeSettingsOverrides) {
        if let node = mark(root.field("loadBalancerAddresses")) {
            settings.loadBalancerAddresses = node.elements().compactMap { cidr(of: $0) }
        }
        guard let node = mark(root.field("loadBalancerIPPools")) else { return }
        var pools: [LoadBalancerPool] = []
        var names: Set<String> = []
        for element in node.elements() {
            _ = mark(element)
            let nameNode = mark(element.field("name"))
            let name = nameNode?.string() ?? ""
            if nameNode == nil { element.report(missing: "name", .required(detail: "each pool needs a name")) }
            if let nameNode, case .failure(let error) = SettingsSyntax.loadBalancerPoolName(name) {
                nameNode.report(.invalid(value: "\"\(name)\"", detail: error.description))
            }
            if let nameNode, !names.insert(name).inserted { nameNode.report(.duplicate(value: "\"\(name)\"", detail: "")) }
            let addresses = mark(element.field("addresses"))
            let cidrs = (addresses?.elements() ?? []).compactMap { cidr(of: $0) }
            if cidrs.isEmpty {
                element.report(missing: "addresses", .required(detail: "each pool needs at least one CIDR (e.g. 192.168.1.240/28)"))
            }
            pools.append(LoadBalancerPool(name: name, cidrs: cidrs))
        }
        settings.loadBalancerIPPools = pools
    }

    private mutating func cidr(of node: FieldNode) -> CIDR? {
        guard let text = mark(node)?.string() else { return nil }
        guard let cidr = CIDR(text) else {
            node.report(.invalid(value: "\"\(text)\"", detail: "must be a CIDR (e.g. 192.168.1.240/28 or fd00::/120)"))
            return nil
        }
        return cidr
    }
}
