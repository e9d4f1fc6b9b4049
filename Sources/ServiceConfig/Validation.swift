// The Kubernetes rules for a Service's values, after ValidateService in
// pkg/apis/core/validation, in its order and with its field paths, error types and words.
// The rules that need the node's ranges or other services (allocation) are in Allocation.swift.

/// Collects the errors of one object, each pointing at the line of its field.
struct ObjectErrors {
    let label: String
    let source: ObjectSource
    var errors: [ConfigError] = []

    mutating func add(_ path: String, _ reason: ConfigError.Reason) {
        errors.append(ConfigError(location: source.location(of: path), object: label, field: path, reason: reason))
    }

    mutating func checkPortNumber(_ path: String, _ port: Int) {
        if !(1...65535).contains(port) {
            add(path, .invalid(value: "\(port)", detail: "must be between 1 and 65535, inclusive"))
        }
    }

    /// Each message as its own Invalid error at `path`.
    mutating func invalid(_ path: String, _ value: String, _ messages: [String]) {
        for message in messages { add(path, .invalid(value: value, detail: message)) }
    }
}

enum Validation {
    static func validate(_ service: Service) -> [ConfigError] {
        var errors = ObjectErrors(label: service.label, source: service.source)
        if !service.key.name.isEmpty {
            errors.invalid("metadata.name", "\"\(service.key.name)\"", NameFormat.dns1035Label(service.key.name))
        }
        validateNamespace(service.key, into: &errors)
        if service.ports.isEmpty, !service.isHeadless, service.type != .externalName {
            errors.add("spec.ports", .required(detail: ""))
        }
        validateTypeSpecific(service, into: &errors)
        var names: Set<String> = []
        for (index, port) in service.ports.enumerated() {
            validatePort(port, path: "spec.ports[\(index)]", requireName: service.ports.count > 1, names: &names, into: &errors)
        }
        for (key, value) in (service.selector ?? [:]).sorted(by: { $0.key < $1.key }) {
            errors.invalid("spec.selector", "\"\(key)\"", NameFormat.qualifiedName(key))
            errors.invalid("spec.selector", "\"\(value)\"", NameFormat.labelValue(value))
        }
        validateSessionAffinity(service, into: &errors)
        validateAnnotations(service, into: &errors)
        ClusterIPRules.validate(service, into: &errors)
        for (index, text) in service.externalIPs.enumerated() {
            let path = "spec.externalIPs[\(index)]"
            guard let ip = IPAddress(text) else {
                errors.add(path, .invalid(value: "\"\(text)\"", detail: IPRules.invalidIPMessage))
                continue
            }
            if let reason = IPRules.specialUse(ip) { errors.add(path, .invalid(value: "\"\(text)\"", detail: reason)) }
        }
        if service.type == .clusterIP {
            for (index, port) in service.ports.enumerated() where port.nodePort != nil {
                errors.add("spec.ports[\(index)].nodePort", .forbidden(detail: "may not be used when `type` is 'ClusterIP'"))
            }
        }
        validateDuplicatePorts(service, into: &errors)
        validateLoadBalancerFields(service, into: &errors)
        validateTrafficPolicies(service, into: &errors)
        return errors.errors
    }

    static func validateNamespace(_ key: ObjectKey, into errors: inout ObjectErrors) {
        errors.invalid("metadata.namespace", "\"\(key.namespace)\"", NameFormat.dns1123Label(key.namespace))
    }

    private static func validateTypeSpecific(_ service: Service, into errors: inout ObjectErrors) {
        let first = service.normalizedClusterIPs.first ?? ""
        switch service.type {
        case .loadBalancer where service.isHeadless:
            errors.add("spec.clusterIPs[0]", .invalid(value: "\"\(first)\"", detail: "may not be set to 'None' for LoadBalancer services"))
        case .nodePort where service.isHeadless:
            errors.add("spec.clusterIPs[0]", .invalid(value: "\"\(first)\"", detail: "may not be set to 'None' for NodePort services"))
        case .externalName:
            if !service.normalizedClusterIPs.isEmpty {
                errors.add("spec.clusterIPs", .forbidden(detail: "may not be set for ExternalName services"))
            }
            if !service.ipFamilies.isEmpty {
                errors.add("spec.ipFamilies", .forbidden(detail: "may not be set for ExternalName services"))
            }
            if service.ipFamilyPolicy != nil {
                errors.add("spec.ipFamilyPolicy", .forbidden(detail: "may not be set for ExternalName services"))
            }
            let cname = service.externalName.hasSuffix(".") ? String(service.externalName.dropLast()) : service.externalName
            if cname.isEmpty {
                errors.add("spec.externalName", .required(detail: ""))
            } else {
                errors.invalid("spec.externalName", "\"\(cname)\"", NameFormat.dns1123Subdomain(cname))
            }
        default:
            break
        }
    }

    private static func validatePort(_ port: ServicePort, path: String, requireName: Bool, names: inout Set<String>,
                                     into errors: inout ObjectErrors) {
        if requireName, port.name.isEmpty {
            errors.add("\(path).name", .required(detail: ""))
        } else if !port.name.isEmpty {
            errors.invalid("\(path).name", "\"\(port.name)\"", NameFormat.dns1123Label(port.name))
            if !names.insert(port.name).inserted { errors.add("\(path).name", .duplicate(value: "\"\(port.name)\"", detail: "")) }
        }
        errors.checkPortNumber("\(path).port", port.port)
        switch port.targetPort {
        case .int(let number)?:
            errors.checkPortNumber("\(path).targetPort", number)
        case .string(let name)?:
            errors.invalid("\(path).targetPort", "\"\(name)\"", NameFormat.portName(name))
        case nil:
            break
        }
        if let appProtocol = port.appProtocol {
            errors.invalid("\(path).appProtocol", "\"\(appProtocol)\"", NameFormat.qualifiedName(appProtocol))
        }
    }

    private static func validateSessionAffinity(_ service: Service, into errors: inout ObjectErrors) {
        switch service.sessionAffinity {
        case "ClientIP":
            if let timeout = service.affinityTimeoutSeconds, !(1...86400).contains(timeout) {
                errors.add("spec.sessionAffinityConfig.clientIP.timeoutSeconds",
                           .invalid(value: "\(timeout)", detail: "must be greater than 0 and less than 86400"))
            }
        case "None":
            if service.hasSessionAffinityConfig {
                errors.add("spec.sessionAffinityConfig", .forbidden(detail: "must not be set when session affinity is None"))
            }
        case "":
            errors.add("spec.sessionAffinity", .required(detail: ""))
        default:
            errors.add("spec.sessionAffinity", .unsupported(value: "\"\(service.sessionAffinity)\"", allowed: ["ClientIP", "None"]))
        }
    }

    /// (protocol, nodePort) and (protocol, port) are each used once per service: a TCP and a
    /// UDP port may share a number (DNS does), two of one protocol may not.
    private static func validateDuplicatePorts(_ service: Service, into errors: inout ObjectErrors) {
        var nodePorts: Set<String> = []
        for (index, port) in service.ports.enumerated() {
            guard let nodePort = port.nodePort, nodePort != 0 else { continue }
            if !nodePorts.insert("\(port.protocol.rawValue)/\(nodePort)").inserted {
                errors.add("spec.ports[\(index)].nodePort", .duplicate(value: "\(nodePort)", detail: ""))
            }
        }
        var ports: Set<String> = []
        for (index, port) in service.ports.enumerated()
        where !ports.insert("\(port.protocol.rawValue)/\(port.port)").inserted {
            errors.add("spec.ports[\(index)]", .duplicate(value: duplicatePortKey(port), detail: ""))
        }
    }

    /// The key ValidateService finds twice, as the API server prints it: the internal
    /// `core.ServicePort` with only protocol and port set, in Go's `%#v`.
    static func duplicatePortKey(_ port: ServicePort) -> String {
        "core.ServicePort{Name:\"\", Protocol:\"\(port.protocol.rawValue)\", AppProtocol:(*string)(nil), Port:\(port.port), "
            + "TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}"
    }

    private static func validateLoadBalancerFields(_ service: Service, into errors: inout ObjectErrors) {
        let isLoadBalancer = service.type == .loadBalancer
        if !service.loadBalancerSourceRanges.isEmpty {
            if !isLoadBalancer {
                errors.add("spec.LoadBalancerSourceRanges", .forbidden(detail: "may only be used when `type` is 'LoadBalancer'"))
            }
            for (index, text) in service.loadBalancerSourceRanges.enumerated() where CIDR(text.trimmingSpaces) == nil {
                errors.add("spec.LoadBalancerSourceRanges[\(index)]",
                           .invalid(value: "\"\(text)\"", detail: "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"))
            }
        }
        if service.allocateLoadBalancerNodePorts != nil, !isLoadBalancer {
            errors.add("spec.allocateLoadBalancerNodePorts", .forbidden(detail: "may only be used when `type` is 'LoadBalancer'"))
        }
        if let lbClass = service.loadBalancerClass {
            if isLoadBalancer {
                errors.invalid("spec.loadBalancerClass", "\"\(lbClass)\"", NameFormat.qualifiedName(lbClass))
            } else {
                errors.add("spec.loadBalancerClass", .forbidden(detail: "may only be used when `type` is 'LoadBalancer'"))
            }
        }
        // svcproxy serves loadBalancerIP itself, so it must be an address (the API server leaves it to the cloud).
        if !service.loadBalancerIP.isEmpty, isLoadBalancer, IPAddress(service.loadBalancerIP) == nil {
            errors.add("spec.loadBalancerIP", .invalid(value: "\"\(service.loadBalancerIP)\"", detail: IPRules.invalidIPMessage))
        }
        for (index, ingress) in service.loadBalancerIngress.enumerated() {
            let path = "status.loadBalancer.ingress[\(index)]"
            if let ip = ingress.ip, IPAddress(ip) == nil {
                errors.add("\(path).ip", .invalid(value: "\"\(ip)\"", detail: IPRules.invalidIPMessage))
            }
            if let hostname = ingress.hostname {
                errors.invalid("\(path).hostname", "\"\(hostname)\"", NameFormat.dns1123Subdomain(hostname))
                if IPAddress(hostname) != nil {
                    errors.add("\(path).hostname", .invalid(value: "\"\(hostname)\"", detail: "must be a DNS name, not an IP address"))
                }
            }
            if let mode = ingress.ipMode {
                if ingress.ip == nil { errors.add("\(path).ipMode", .forbidden(detail: "may not be specified when `ip` is not")) }
                else if mode != "VIP", mode != "Proxy" { errors.add("\(path).ipMode", .unsupported(value: "\"\(mode)\"", allowed: ["Proxy", "VIP"])) }
            }
        }
    }

    private static func validateTrafficPolicies(_ service: Service, into errors: inout ObjectErrors) {
        if let policy = service.externalTrafficPolicy {
            if !service.isExternallyAccessible {
                errors.add("spec.externalTrafficPolicy", .invalid(value: "\"\(policy)\"", detail: "may only be set for externally-accessible services"))
            } else if policy != "Cluster", policy != "Local" {
                errors.add("spec.externalTrafficPolicy", .unsupported(value: "\"\(policy)\"", allowed: ["Cluster", "Local"]))
            }
        }
        let needsHealthCheck = service.type == .loadBalancer && service.externalTrafficPolicy == "Local"
        if let port = service.healthCheckNodePort, port != 0 {
            if !needsHealthCheck {
                errors.add("spec.healthCheckNodePort", .invalid(value: "\(port)",
                                                                detail: "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"))
            } else {
                errors.checkPortNumber("spec.healthCheckNodePort", port)
            }
        }
        if let policy = service.internalTrafficPolicy, policy != "Cluster", policy != "Local" {
            errors.add("spec.internalTrafficPolicy", .unsupported(value: "\"\(policy)\"", allowed: ["Cluster", "Local"]))
        }
        if let distribution = service.trafficDistribution, distribution != "PreferClose" {
            errors.add("spec.trafficDistribution", .unsupported(value: "\"\(distribution)\"", allowed: ["PreferClose"]))
        }
    }
}
