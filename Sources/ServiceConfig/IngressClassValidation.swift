// The Kubernetes rules for IngressClass values, after ValidateIngressClass
// (pkg/apis/networking/validation): a controller named as a domain-prefixed path, and
// parameters that name one object, cluster-wide or in a namespace.

extension Validation {
    private static let maxControllerBytes = 250
    private static let parameterScopes = ["Cluster", "Namespace"]

    static func validate(_ ingressClass: IngressClass) -> [ConfigError] {
        var errors = ObjectErrors(label: ingressClass.label, source: ingressClass.source)
        if !ingressClass.name.isEmpty {
            errors.invalid("metadata.name", "\"\(ingressClass.name)\"", NameFormat.dns1123Subdomain(ingressClass.name))
        }
        let controller = ingressClass.controller
        if controller.isEmpty {
            errors.add("spec.controller", .required(detail: ""))
        } else {
            if controller.utf8.count > maxControllerBytes {
                errors.add("spec.controller", .tooLong(detail: "may not be more than \(maxControllerBytes) bytes"))
            }
            validateDomainPrefixedPath(controller, path: "spec.controller", into: &errors)
        }
        if let parameters = ingressClass.parameters { validateParameters(parameters, into: &errors) }
        return errors.errors
    }

    /// IsDomainPrefixedPath: `acme.io/foo`, a DNS subdomain, `/`, then URL path characters.
    private static func validateDomainPrefixedPath(_ text: String, path: String, into errors: inout ObjectErrors) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            errors.add(path, .invalid(value: "\"\(text)\"", detail: "must be a domain-prefixed path (such as \"acme.io/foo\")"))
            return
        }
        errors.invalid(path, "\"\(parts[0])\"", NameFormat.dns1123Subdomain(String(parts[0])))
        if !NameFormat.isHTTPPath(String(parts[1])) {
            errors.add(path, .invalid(value: "\"\(parts[1])\"", detail: NameFormat.httpPathMessage))
        }
    }

    private static func validateParameters(_ parameters: IngressClassParameters, into errors: inout ObjectErrors) {
        let path = "spec.parameters"
        if let group = parameters.apiGroup {
            errors.invalid("\(path).apiGroup", "\"\(group)\"", NameFormat.dns1123Subdomain(group))
        }
        requirePathSegment(parameters.kind, "\(path).kind", into: &errors)
        requirePathSegment(parameters.name, "\(path).name", into: &errors)
        guard let scope = parameters.scope else {
            errors.add("\(path).scope", .required(detail: ""))
            return
        }
        switch scope {
        case "Namespace":
            if let namespace = parameters.namespace {
                errors.invalid("\(path).namespace", "\"\(namespace)\"", NameFormat.dns1123Label(namespace))
            } else {
                errors.add("\(path).namespace", .required(detail: "`parameters.scope` is set to 'Namespace'"))
            }
        case "Cluster":
            if parameters.namespace != nil {
                errors.add("\(path).namespace", .forbidden(detail: "`parameters.scope` is set to 'Cluster'"))
            }
        default:
            errors.add("\(path).scope", .unsupported(value: "\"\(scope)\"", allowed: parameterScopes))
        }
    }
}
