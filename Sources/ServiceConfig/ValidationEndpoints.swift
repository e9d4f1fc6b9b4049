// The rules for the objects endpoints come from (after ValidateEndpoints and the
// discovery API's ValidateEndpointSlice), and the rules that span objects: one object per
// kind and namespace/name, and at most one ProxyConfiguration. One deliberate difference
// from the API server: loopback endpoints are allowed, since on one node a backend on
// 127.0.0.1 is ordinary.

extension Validation {
    static func validate(_ endpoints: Endpoints) -> [ConfigError] {
        var errors = ObjectErrors(label: endpoints.label, source: endpoints.source)
        validateObjectName(endpoints.key, into: &errors)
        for (s, subset) in endpoints.subsets.enumerated() {
            for (kind, addresses) in [("addresses", subset.addresses), ("notReadyAddresses", subset.notReadyAddresses)] {
                for (a, ip) in addresses.enumerated() {
                    if let reason = IPRules.endpointUse(ip) {
                        errors.add("subsets[\(s)].\(kind)[\(a)].ip", .invalid(value: "\"\(ip)\"", detail: reason))
                    }
                }
            }
            validateEndpointPorts(subset.ports, path: "subsets[\(s)].ports", into: &errors)
        }
        return errors.errors
    }

    static func validate(_ slice: EndpointSlice) -> [ConfigError] {
        var errors = ObjectErrors(label: slice.label, source: slice.source)
        validateObjectName(slice.key, into: &errors)
        let types = ["FQDN", "IPv4", "IPv6"]
        if slice.addressType.isEmpty {
            errors.add("addressType", .required(detail: ""))
        } else if !types.contains(slice.addressType) {
            errors.add("addressType", .unsupported(value: "\"\(slice.addressType)\"", allowed: types))
        }
        for (e, endpoint) in slice.endpoints.enumerated() {
            let path = "endpoints[\(e)].addresses"
            if endpoint.addresses.isEmpty { errors.add(path, .required(detail: "must contain at least 1 address")) }
            if endpoint.addresses.count > 100 { errors.add(path, .forbidden(detail: "too many: \(endpoint.addresses.count): must have at most 100 items")) }
            for (a, text) in endpoint.addresses.enumerated() {
                let ip = IPAddress(text)
                switch slice.addressType {
                case "IPv4" where ip?.family != .ipv4:
                    errors.add("\(path)[\(a)]", .invalid(value: "\"\(text)\"", detail: "must be a valid IPv4 address"))
                case "IPv6" where ip?.family != .ipv6:
                    errors.add("\(path)[\(a)]", .invalid(value: "\"\(text)\"", detail: "must be a valid IPv6 address"))
                case "IPv4", "IPv6":
                    if let ip, let reason = IPRules.endpointUse(ip) {
                        errors.add("\(path)[\(a)]", .invalid(value: "\"\(text)\"", detail: reason))
                    }
                case "FQDN":
                    errors.invalid("\(path)[\(a)]", "\"\(text)\"", NameFormat.dns1123Subdomain(text))
                default:
                    break
                }
            }
        }
        var names: Set<String> = []
        for (p, port) in slice.ports.enumerated() {
            let path = "ports[\(p)]"
            if !port.name.isEmpty { errors.invalid("\(path).name", "\"\(port.name)\"", NameFormat.dns1123Label(port.name)) }
            if !names.insert(port.name).inserted { errors.add("\(path).name", .duplicate(value: "\"\(port.name)\"", detail: "")) }
            errors.checkPortNumber("\(path).port", port.port)
        }
        return errors.errors
    }

    static func validate(_ pod: Pod) -> [ConfigError] {
        var errors = ObjectErrors(label: pod.label, source: pod.source)
        validateNamespace(pod.key, into: &errors)
        return errors.errors
    }

    private static func validateObjectName(_ key: ObjectKey, into errors: inout ObjectErrors) {
        if !key.name.isEmpty { errors.invalid("metadata.name", "\"\(key.name)\"", NameFormat.dns1123Subdomain(key.name)) }
        validateNamespace(key, into: &errors)
    }

    private static func validateEndpointPorts(_ ports: [EndpointPort], path: String, into errors: inout ObjectErrors) {
        var names: Set<String> = []
        for (p, port) in ports.enumerated() {
            let portPath = "\(path)[\(p)]"
            if ports.count > 1, port.name.isEmpty {
                errors.add("\(portPath).name", .required(detail: ""))
            } else if !port.name.isEmpty {
                errors.invalid("\(portPath).name", "\"\(port.name)\"", NameFormat.dns1123Label(port.name))
                if !names.insert(port.name).inserted { errors.add("\(portPath).name", .duplicate(value: "\"\(port.name)\"", detail: "")) }
            }
            errors.checkPortNumber("\(portPath).port", port.port)
        }
    }

    /// One object per kind and namespace/name, and at most one ProxyConfiguration.
    static func validateUniqueness(_ objects: ConfigObjects) -> [ConfigError] {
        var errors: [ConfigError] = []
        func unique(_ kind: String, _ items: [(ObjectKey, ObjectSource)]) {
            var seen: [ObjectKey: SourceLocation] = [:]
            for (key, source) in items {
                if let first = seen[key] {
                    let label = "\(kind) \"\(key.namespace.isEmpty ? key.name : key.description)\""  // cluster-scoped: the name alone
                    errors.append(ConfigError(location: source.location(of: "metadata.name"), object: label, field: "metadata.name",
                                              reason: .duplicate(value: "\"\(key.name)\"", detail: "\(label) is already defined at \(first)")))
                } else {
                    seen[key] = source.location
                }
            }
        }
        unique("Service", objects.services.map { ($0.key, $0.source) })
        unique("Endpoints", objects.endpoints.map { ($0.key, $0.source) })
        unique("EndpointSlice", objects.endpointSlices.map { ($0.key, $0.source) })
        unique("Pod", objects.pods.map { ($0.key, $0.source) })
        unique("NetworkPolicy", objects.networkPolicies.map { ($0.key, $0.source) })
        unique("Namespace", objects.namespaces.map { (ObjectKey(namespace: "", name: $0.name), $0.source) })
        unique("Ingress", objects.ingresses.map { ($0.key, $0.source) })
        unique("IngressClass", objects.ingressClasses.map { (ObjectKey(namespace: "", name: $0.name), $0.source) })
        unique("Secret", objects.secrets.map { ($0.key, $0.source) })
        if let first = objects.proxyConfigurations.first {
            for extra in objects.proxyConfigurations.dropFirst() {
                errors.append(ConfigError(location: extra.source.location, object: "ProxyConfiguration", field: "",
                                          reason: .duplicate(value: "ProxyConfiguration", detail: "only one is allowed; the first is at \(first.source.location)")))
            }
        }
        return errors
    }
}
