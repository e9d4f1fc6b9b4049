// ValidateServiceClusterIPsRelatedFields: `clusterIP`, `clusterIPs`, `ipFamilies` and
// `ipFamilyPolicy` must agree with one another. Which families the node offers is the
// allocator's question (Allocation.swift); these are the rules of the object alone.

enum ClusterIPRules {
    static let families = ["IPv4", "IPv6"]
    static let policies = ["PreferDualStack", "RequireDualStack", "SingleStack"]

    static func validate(_ service: Service, into errors: inout ObjectErrors) {
        guard service.type != .externalName else { return }
        let clusterIPs = service.normalizedClusterIPs
        if !service.clusterIP.isEmpty, !service.clusterIPs.isEmpty, service.clusterIPs[0] != service.clusterIP {
            errors.add("spec.clusterIPs", .invalid(value: listText(clusterIPs), detail: "first value must match `clusterIP`"))
        }
        var seen: Set<String> = []
        for (index, family) in service.ipFamilies.enumerated() {
            if !families.contains(family) {
                errors.add("spec.ipFamilies[\(index)]", .unsupported(value: "\"\(family)\"", allowed: families))
            }
            if !seen.insert(family).inserted {
                errors.add("spec.ipFamilies[\(index)]", .duplicate(value: "\"\(family)\"", detail: ""))
            }
        }
        if let policy = service.ipFamilyPolicy, !policies.contains(policy) {
            errors.add("spec.ipFamilyPolicy", .unsupported(value: "\"\(policy)\"", allowed: policies))
        }
        var hasInvalidIPs = false
        for (index, text) in clusterIPs.enumerated() {
            if index == 0, text == "None" {
                if clusterIPs.count > 1 {
                    hasInvalidIPs = true
                    errors.add("spec.clusterIPs", .invalid(value: listText(clusterIPs), detail: "'None' must be the first and only value"))
                }
                continue
            }
            if IPAddress(text) == nil {
                hasInvalidIPs = true
                errors.add("spec.clusterIPs[\(index)]", .invalid(value: "\"\(text)\"", detail: IPRules.invalidIPMessage))
            }
        }
        if clusterIPs.count > 2 {
            errors.add("spec.clusterIPs", .invalid(value: listText(clusterIPs), detail: "may only hold up to 2 values"))
        }
        guard !hasInvalidIPs else { return }
        let addresses = clusterIPs.compactMap(IPAddress.init)
        if addresses.count == 2, addresses[0].family == addresses[1].family {
            errors.add("spec.clusterIPs", .invalid(value: listText(clusterIPs), detail: "may specify no more than one IP for each IP family"))
        }
        if !service.isHeadless {
            for (index, ip) in addresses.enumerated() where index < service.ipFamilies.count {
                let expected = service.ipFamilies[index]
                if expected == "IPv4", ip.family == .ipv6 {
                    errors.add("spec.clusterIPs[\(index)]", .invalid(value: "\"\(ip)\"", detail: "expected an IPv4 value as indicated by `ipFamilies[\(index)]`"))
                }
                if expected == "IPv6", ip.family == .ipv4 {
                    errors.add("spec.clusterIPs[\(index)]", .invalid(value: "\"\(ip)\"", detail: "expected an IPv6 value as indicated by `ipFamilies[\(index)]`"))
                }
            }
        }
        // The allocator's checks of the policy against what was asked for (alloc.go).
        if service.ipFamilyPolicy == "SingleStack" {
            if service.ipFamilies.count > 1 {
                errors.add("spec.ipFamilyPolicy", .invalid(value: "\"SingleStack\"",
                                                           detail: "must be RequireDualStack or PreferDualStack when multiple IP families are specified"))
            }
            if addresses.count > 1 {
                errors.add("spec.ipFamilyPolicy", .invalid(value: "\"SingleStack\"",
                                                           detail: "must be RequireDualStack or PreferDualStack when multiple 'clusterIPs' are specified"))
            }
        }
    }

    /// A list as Kubernetes prints a []string value: `[]string{"10.0.0.1", "10.0.0.2"}`.
    static func listText(_ values: [String]) -> String {
        "[]string{" + values.map { "\"\($0)\"" }.joined(separator: ", ") + "}"
    }
}

extension IPAddress.Family {
    /// `IPv4` or `IPv6`, as `spec.ipFamilies` writes it.
    var apiName: String {
        switch self {
        case .ipv4: "IPv4"
        case .ipv6: "IPv6"
        }
    }
}
