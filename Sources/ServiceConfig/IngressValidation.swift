// The Kubernetes rules for Ingress values, after ValidateIngressCreate and
// ValidateIngressSpec (pkg/apis/networking/validation), in their order and with their field
// paths, error types and words. One rule is svcproxy's own: an `Exact` or `Prefix` path
// must keep to the characters of a URL path (apimachinery's httpPathFmt), since a path
// with others is a regular expression meant for another controller and would never match.

extension Validation {
    static let ingressPathTypes = IngressPathType.allCases.map(\.rawValue).sorted()
    private static let invalidPathSequences = ["//", "/./", "/../", "%2f", "%2F"]
    private static let invalidPathSuffixes = ["/..", "/."]

    static func validate(_ ingress: Ingress) -> [ConfigError] {
        var errors = ObjectErrors(label: ingress.label, source: ingress.source)
        if !ingress.key.name.isEmpty {
            errors.invalid("metadata.name", "\"\(ingress.key.name)\"", NameFormat.dns1123Subdomain(ingress.key.name))
        }
        validateNamespace(ingress.key, into: &errors)
        // The API server writes it; svcproxy orders Ingresses by it, so it must read as a time.
        if let stamp = ingress.creationTimestamp, ingress.creationDate == nil {
            errors.add("metadata.creationTimestamp", .invalid(value: "\"\(stamp)\"", detail: "must be an RFC 3339 time (e.g. 2024-01-01T00:00:00Z)"))
        }
        if ingress.rules.isEmpty, ingress.defaultBackend == nil {
            errors.add("spec", .invalid(value: "null", detail: "either `defaultBackend` or `rules` must be specified"))
        }
        if let backend = ingress.defaultBackend { validateIngressBackend(backend, path: "spec.defaultBackend", into: &errors) }
        for (index, rule) in ingress.rules.enumerated() {
            validateIngressRule(rule, path: "spec.rules[\(index)]", into: &errors)
        }
        for (t, tls) in ingress.tls.enumerated() {
            for (h, host) in tls.hosts.enumerated() {
                let messages = host.contains("*") ? NameFormat.wildcardSubdomain(host) : NameFormat.dns1123Subdomain(host)
                errors.invalid("spec.tls[\(t)].hosts[\(h)]", "\"\(host)\"", messages)
            }
            if !tls.secretName.isEmpty {
                errors.invalid("spec.tls[\(t)].secretName", "\"\(tls.secretName)\"", NameFormat.dns1123Subdomain(tls.secretName))
            }
        }
        if let name = ingress.ingressClassName {
            errors.invalid("spec.ingressClassName", "\"\(name)\"", NameFormat.dns1123Subdomain(name))
        }
        if let annotation = ingress.annotations[Ingress.classAnnotation], let name = ingress.ingressClassName, annotation != name {
            errors.add(Ingress.classAnnotationPath,
                       .invalid(value: "\"\(annotation)\"", detail: "must match `ingressClassName` when both are specified"))
        }
        return errors.errors
    }

    private static func validateIngressRule(_ rule: IngressRule, path: String, into errors: inout ObjectErrors) {
        let host = rule.host
        if !host.isEmpty {
            if IPAddress.looksLikeIP(host) {
                errors.add("\(path).host", .invalid(value: "\"\(host)\"", detail: "must be a DNS name, not an IP address"))
            }
            let messages = host.contains("*") ? NameFormat.wildcardSubdomain(host) : NameFormat.dns1123Subdomain(host)
            errors.invalid("\(path).host", "\"\(host)\"", messages)
        }
        guard let paths = rule.paths else { return }
        if paths.isEmpty { errors.add("\(path).http.paths", .required(detail: "")) }
        for (index, httpPath) in paths.enumerated() {
            validateHTTPIngressPath(httpPath, path: "\(path).http.paths[\(index)]", into: &errors)
        }
    }

    private static func validateHTTPIngressPath(_ httpPath: IngressHTTPPathRule, path: String, into errors: inout ObjectErrors) {
        guard let written = httpPath.pathType else {
            errors.add("\(path).pathType", .required(detail: "pathType must be specified"))
            return  // Kubernetes judges nothing else of a path without a type
        }
        let value = "\"\(httpPath.path)\""
        switch IngressPathType(rawValue: written) {
        case .exact?, .prefix?:
            if !httpPath.path.hasPrefix("/") { errors.add("\(path).path", .invalid(value: value, detail: "must be an absolute path")) }
            guard !httpPath.path.isEmpty else { break }
            for sequence in invalidPathSequences where httpPath.path.contains(sequence) {
                errors.add("\(path).path", .invalid(value: value, detail: "must not contain '\(sequence)'"))
            }
            for suffix in invalidPathSuffixes where httpPath.path.hasSuffix(suffix) {
                errors.add("\(path).path", .invalid(value: value, detail: "cannot end with '\(suffix)'"))
            }
            if !NameFormat.isHTTPPath(httpPath.path) {
                errors.add("\(path).path", .invalid(value: value, detail: NameFormat.httpPathMessage))
            }
        case .implementationSpecific?:
            if !httpPath.path.isEmpty, !httpPath.path.hasPrefix("/") {
                errors.add("\(path).path", .invalid(value: value, detail: "must be an absolute path"))
            }
        case nil:
            errors.add("\(path).pathType", .unsupported(value: "\"\(written)\"", allowed: ingressPathTypes))
        }
        validateIngressBackend(httpPath.backend, path: "\(path).backend", into: &errors)
    }

    private static func validateIngressBackend(_ backend: IngressBackendReference, path: String, into errors: inout ObjectErrors) {
        switch (backend.service, backend.resource) {
        case (_?, _?):
            errors.add(path, .invalid(value: "\"\"", detail: "cannot set both resource and service backends"))
        case (nil, let resource?):
            if let group = resource.apiGroup { errors.invalid("\(path).resource.apiGroup", "\"\(group)\"", NameFormat.dns1123Subdomain(group)) }
            requirePathSegment(resource.kind, "\(path).resource.kind", into: &errors)
            requirePathSegment(resource.name, "\(path).resource.name", into: &errors)
        case (let service?, nil):
            if service.name.isEmpty {
                errors.add("\(path).service.name", .required(detail: ""))
            } else {
                errors.invalid("\(path).service.name", "\"\(service.name)\"", NameFormat.dns1035Label(service.name))
            }
            let port = service.port
            switch (!port.name.isEmpty, port.number != 0) {
            case (true, true):
                errors.add(path, .invalid(value: "\"\"", detail: "cannot set both port name & port number"))
            case (true, false):
                errors.invalid("\(path).service.port.name", "\"\(port.name)\"", NameFormat.portName(port.name))
            case (false, true):
                errors.checkPortNumber("\(path).service.port.number", port.number)
            case (false, false):
                errors.add(path, .required(detail: "port name or number is required"))
            }
        case (nil, nil):
            errors.add(path, .invalid(value: "\"\"", detail: "resource or service backend is required"))
        }
    }

    /// A required name that must be one path segment (a resource's or parameters' kind and name).
    static func requirePathSegment(_ value: String, _ path: String, into errors: inout ObjectErrors) {
        if value.isEmpty {
            errors.add(path, .required(detail: ""))
        } else {
            errors.invalid(path, "\"\(value)\"", NameFormat.pathSegmentName(value))
        }
    }
}

extension IPAddress {
    /// Whether `text` reads as an IP address the way Go's ParseIPSloppy reads it, which
    /// also takes IPv4 with leading zeros ("010.0.0.1"), a valid DNS name otherwise.
    static func looksLikeIP(_ text: String) -> Bool {
        if IPAddress(text) != nil { return true }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            (1...3).contains(part.count) && part.allSatisfy { $0.isASCII && $0.isNumber } && UInt8(part) != nil
        }
    }
}
