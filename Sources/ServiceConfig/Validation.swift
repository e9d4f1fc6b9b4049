// The Kubernetes rules for the values of each object (after ValidateService and
// ValidateEndpoints in pkg/apis/core/validation), and the node allocator's rules that
// span objects (NodePort range and uniqueness). Every error found is returned.

/// Names and formats Kubernetes checks, with its own wording.
enum NameFormat {
    static let dns1035Message = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
        + "start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
        + "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
    static let dns1123Message = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
        + "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
        + "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    static let portNameMessage = "must contain only lower case alphanumeric characters or '-', at most 15 characters, "
        + "at least one letter, and no leading, trailing or double '-' (an IANA service name)"

    private static func isLower(_ c: Character) -> Bool { c >= "a" && c <= "z" }
    private static func isDigit(_ c: Character) -> Bool { c >= "0" && c <= "9" }

    static func isDNS1123Label(_ s: String) -> Bool {
        guard let first = s.first, let last = s.last, s.count <= 63 else { return false }
        return (isLower(first) || isDigit(first)) && (isLower(last) || isDigit(last))
            && s.allSatisfy { isLower($0) || isDigit($0) || $0 == "-" }
    }

    static func isDNS1035Label(_ s: String) -> Bool {
        guard let first = s.first else { return false }
        return isDNS1123Label(s) && isLower(first)
    }

    /// IANA_SVC_NAME: what a named `targetPort` or container port may be called.
    static func isPortName(_ s: String) -> Bool {
        s.count >= 1 && s.count <= 15 && s.allSatisfy { isLower($0) || isDigit($0) || $0 == "-" }
            && s.contains(where: isLower) && !s.hasPrefix("-") && !s.hasSuffix("-") && !s.contains("--")
    }
}

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
}

enum Validation {
    static func validate(_ service: Service, settings: NodeSettings) -> [ConfigError] {
        var errors = ObjectErrors(label: service.label, source: service.source)
        validateMetadata(service.key, into: &errors)
        let clusterIP = service.clusterIP
        if !clusterIP.isEmpty, clusterIP != "None", IPAddress(clusterIP) == nil {
            errors.add("spec.clusterIP", .invalid(value: "\"\(clusterIP)\"", detail: "must be empty, 'None', or a valid IP address"))
        }
        if service.type != .externalName, service.ports.isEmpty {
            errors.add("spec.ports", .required(detail: ""))
        }
        var seenNames: Set<String> = []
        for (index, port) in service.ports.enumerated() {
            let path = "spec.ports[\(index)]"
            if service.ports.count > 1, port.name.isEmpty {
                errors.add("\(path).name", .required(detail: "a name is required when a service has more than one port"))
            } else if !port.name.isEmpty, !NameFormat.isDNS1123Label(port.name) {
                errors.add("\(path).name", .invalid(value: "\"\(port.name)\"", detail: NameFormat.dns1123Message))
            }
            if !port.name.isEmpty, !seenNames.insert(port.name).inserted {
                errors.add("\(path).name", .duplicate(value: "\"\(port.name)\"", detail: ""))
            }
            errors.checkPortNumber("\(path).port", port.port)
            switch port.targetPort {
            case .int(let number)?:
                errors.checkPortNumber("\(path).targetPort", number)
            case .string(let name)?:
                if !NameFormat.isPortName(name) {
                    errors.add("\(path).targetPort", .invalid(value: "\"\(name)\"", detail: NameFormat.portNameMessage))
                }
            case nil:
                break
            }
            if let nodePort = port.nodePort {
                validateNodePort(nodePort, path: "\(path).nodePort", type: service.type, settings: settings, into: &errors)
            }
        }
        return errors.errors
    }

    private static func validateNodePort(_ nodePort: Int, path: String, type: ServiceType, settings: NodeSettings,
                                         into errors: inout ObjectErrors) {
        if type == .clusterIP || type == .externalName {
            errors.add(path, .forbidden(detail: "may not be used when `type` is '\(type.rawValue)'"))
        } else if !settings.nodePortRange.contains(nodePort) {
            let range = "\(settings.nodePortRange.lowerBound)-\(settings.nodePortRange.upperBound)"
            errors.add(path, .invalid(value: "\(nodePort)",
                                      detail: "provided port is not in the valid range. The range of valid ports is \(range)"))
        }
    }

    static func validate(_ endpoints: Endpoints) -> [ConfigError] {
        var errors = ObjectErrors(label: endpoints.label, source: endpoints.source)
        validateMetadata(endpoints.key, into: &errors)
        for (s, subset) in endpoints.subsets.enumerated() {
            for (p, port) in subset.ports.enumerated() {
                let path = "subsets[\(s)].ports[\(p)]"
                errors.checkPortNumber("\(path).port", port.port)
                if subset.ports.count > 1, port.name.isEmpty {
                    errors.add("\(path).name", .required(detail: "a name is required when a subset has more than one port"))
                }
            }
        }
        return errors.errors
    }

    private static func validateMetadata(_ key: ObjectKey, into errors: inout ObjectErrors) {
        if !key.name.isEmpty, !NameFormat.isDNS1035Label(key.name) {
            errors.add("metadata.name", .invalid(value: "\"\(key.name)\"", detail: NameFormat.dns1035Message))
        }
        if !NameFormat.isDNS1123Label(key.namespace) {
            errors.add("metadata.namespace", .invalid(value: "\"\(key.namespace)\"", detail: NameFormat.dns1123Message))
        }
    }

    /// The rules that span objects: one object per namespace/name and kind, and every
    /// NodePort (per protocol) taken once.
    static func validateUniqueness(_ objects: ConfigObjects) -> [ConfigError] {
        var errors: [ConfigError] = []
        var services: [ObjectKey: SourceLocation] = [:]
        for service in objects.services {
            if let first = services[service.key] {
                errors.append(ConfigError(location: service.source.location, object: service.label, field: "metadata.name",
                                          reason: .duplicate(value: "\"\(service.key.name)\"", detail: "Service \"\(service.key)\" is already defined at \(first)")))
            } else {
                services[service.key] = service.source.location
            }
        }
        var endpoints: [ObjectKey: SourceLocation] = [:]
        for object in objects.endpoints {
            if let first = endpoints[object.key] {
                errors.append(ConfigError(location: object.source.location, object: object.label, field: "metadata.name",
                                          reason: .duplicate(value: "\"\(object.key.name)\"", detail: "Endpoints \"\(object.key)\" is already defined at \(first)")))
            } else {
                endpoints[object.key] = object.source.location
            }
        }
        var nodePorts: [String: String] = [:]
        for service in objects.services {
            for (index, port) in service.ports.enumerated() {
                guard let nodePort = port.nodePort else { continue }
                let key = "\(nodePort)/\(port.protocol.rawValue)"
                let path = "spec.ports[\(index)].nodePort"
                if let owner = nodePorts[key] {
                    errors.append(ConfigError(location: service.source.location(of: path), object: service.label, field: path,
                                              reason: .duplicate(value: "\(nodePort)", detail: "provided port is already allocated to \(owner)")))
                } else {
                    nodePorts[key] = "Service \"\(service.key)\""
                }
            }
        }
        return errors
    }
}
