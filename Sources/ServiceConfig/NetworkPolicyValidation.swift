// The Kubernetes rules for NetworkPolicy and Namespace values, after ValidateNetworkPolicy
// (pkg/apis/networking/validation) and ValidateLabelSelector (apimachinery), with their
// field paths and words.

extension Validation {
    static func validate(_ policy: NetworkPolicy) -> [ConfigError] {
        var errors = ObjectErrors(label: policy.label, source: policy.source)
        if !policy.key.name.isEmpty {
            errors.invalid("metadata.name", "\"\(policy.key.name)\"", NameFormat.dns1123Subdomain(policy.key.name))
        }
        validateNamespace(policy.key, into: &errors)
        validateSelector(policy.podSelector, path: "spec.podSelector", into: &errors)
        for (r, rule) in policy.ingress.enumerated() {
            for (p, port) in rule.ports.enumerated() {
                validatePolicyPort(port, path: "spec.ingress[\(r)].ports[\(p)]", into: &errors)
            }
            for (f, peer) in rule.from.enumerated() {
                validatePeer(peer, path: "spec.ingress[\(r)].from[\(f)]", into: &errors)
            }
        }
        for (r, rule) in policy.egress.enumerated() {
            for (p, port) in rule.ports.enumerated() {
                validatePolicyPort(port, path: "spec.egress[\(r)].ports[\(p)]", into: &errors)
            }
            for (t, peer) in rule.to.enumerated() {
                validatePeer(peer, path: "spec.egress[\(r)].to[\(t)]", into: &errors)
            }
        }
        let allowed = ["Ingress", "Egress"]
        if let types = policy.policyTypes {
            if types.count > allowed.count {
                errors.add("spec.policyTypes", .invalid(value: "[\(types.joined(separator: ", "))]",
                                                        detail: "may not specify more than two policyTypes"))
            } else {
                for (index, type) in types.enumerated() where !allowed.contains(type) {
                    errors.add("spec.policyTypes[\(index)]", .unsupported(value: "\"\(type)\"", allowed: allowed))
                }
            }
        }
        return errors.errors
    }

    static func validate(_ namespace: Namespace) -> [ConfigError] {
        var errors = ObjectErrors(label: namespace.label, source: namespace.source)
        if !namespace.name.isEmpty {
            errors.invalid("metadata.name", "\"\(namespace.name)\"", NameFormat.dns1123Label(namespace.name))
        }
        // Its labels are judged with every kind's (MetadataRules).
        return errors.errors
    }

    private static func validateSelector(_ selector: LabelSelector, path: String, into errors: inout ObjectErrors) {
        for (r, requirement) in selector.matchExpressions.enumerated() {
            let here = "\(path).matchExpressions[\(r)]"
            switch requirement.operator {
            case "In", "NotIn":
                if requirement.values.isEmpty {
                    errors.add("\(here).values", .required(detail: "must be specified when `operator` is 'In' or 'NotIn'"))
                }
            case "Exists", "DoesNotExist":
                if !requirement.values.isEmpty {
                    errors.add("\(here).values", .forbidden(detail: "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
                }
            default:
                errors.add("\(here).operator", .invalid(value: "\"\(requirement.operator)\"", detail: "not a valid selector operator"))
            }
            errors.invalid("\(here).key", "\"\(requirement.key)\"", NameFormat.qualifiedName(requirement.key))
        }
        for (key, value) in selector.matchLabels.sorted(by: { $0.key < $1.key }) {
            errors.invalid("\(path).matchLabels", "\"\(key)\"", NameFormat.qualifiedName(key))
            errors.invalid("\(path).matchLabels", "\"\(value)\"", NameFormat.labelValue(value))
        }
    }

    private static func validatePolicyPort(_ port: NetworkPolicyPort, path: String, into errors: inout ObjectErrors) {
        let protocols = TransportProtocol.allCases.map(\.rawValue)
        if let value = port.protocol, !protocols.contains(value) {
            errors.add("\(path).protocol", .unsupported(value: "\"\(value)\"", allowed: protocols))
        }
        switch port.port {
        case .int(let number)?:
            errors.checkPortNumber("\(path).port", number)
            if let end = port.endPort {
                if end < number {
                    errors.add("\(path).endPort", .invalid(value: "\(number)", detail: "must be greater than or equal to `port`"))
                }
                errors.checkPortNumber("\(path).endPort", end)
            }
        case .string(let name)?:
            if let end = port.endPort {
                errors.add("\(path).endPort", .invalid(value: "\(end)", detail: "may not be specified when `port` is non-numeric"))
            }
            errors.invalid("\(path).port", "\"\(name)\"", NameFormat.portName(name))
        case nil:
            if let end = port.endPort {
                errors.add("\(path).endPort", .invalid(value: "\(end)", detail: "may not be specified when `port` is not specified"))
            }
        }
    }

    private static func validatePeer(_ peer: NetworkPolicyPeer, path: String, into errors: inout ObjectErrors) {
        var peers = 0
        if let selector = peer.podSelector {
            peers += 1
            validateSelector(selector, path: "\(path).podSelector", into: &errors)
        }
        if let selector = peer.namespaceSelector {
            peers += 1
            validateSelector(selector, path: "\(path).namespaceSelector", into: &errors)
        }
        if let block = peer.ipBlock {
            peers += 1
            validateIPBlock(block, path: "\(path).ipBlock", into: &errors)
        }
        if peers == 0 {
            errors.add(path, .required(detail: "must specify a peer"))
        } else if peers > 1, peer.ipBlock != nil {
            errors.add(path, .forbidden(detail: "may not specify both ipBlock and another peer"))
        }
    }

    private static func validateIPBlock(_ block: NetworkPolicyPeer.IPBlock, path: String, into errors: inout ObjectErrors) {
        guard !block.cidr.isEmpty else {
            errors.add("\(path).cidr", .required(detail: ""))
            return
        }
        let message = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"
        guard let cidr = CIDR(block.cidr) else {
            errors.add("\(path).cidr", .invalid(value: "\"\(block.cidr)\"", detail: message))
            return
        }
        for (index, text) in block.except.enumerated() {
            let here = "\(path).except[\(index)]"
            guard let hole = CIDR(text) else {
                errors.add(here, .invalid(value: "\"\(text)\"", detail: message))
                continue
            }
            if !cidr.contains(hole.address) || cidr.prefixLength >= hole.prefixLength {
                errors.add(here, .invalid(value: "\"\(text)\"", detail: "must be a strict subset of `cidr`"))
            }
        }
    }
}
