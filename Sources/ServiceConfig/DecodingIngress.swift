// Decoding of Ingress and IngressClass. An Ingress of a removed API version
// (extensions/v1beta1, networking.k8s.io/v1beta1, both gone since Kubernetes 1.22) has
// another shape (`serviceName`, `servicePort`, `backend`), so it gets one error naming
// networking.k8s.io/v1 instead of an unknown-field error for every backend it has.
import Yams

extension ObjectDecoder {
    /// The Ingress versions the API server no longer serves.
    static let removedIngressVersions = ["extensions/v1beta1", "networking.k8s.io/v1beta1"]
    static let networkingVersion = "networking.k8s.io/v1"

    /// Reports an Ingress of a removed version and returns true; such a document is not
    /// decoded further.
    mutating func reportRemovedIngressVersion() -> Bool {
        guard let node = root.field("apiVersion"), case .scalar(let scalar) = node.node,
              Self.removedIngressVersions.contains(scalar.string) else { return false }
        _ = readKey(kind: "Ingress")
        node.within(root.context).report(.invalid(
            value: "\"\(scalar.string)\"",
            detail: "Ingress \(scalar.string) was removed in Kubernetes 1.22: write it as \(Self.networkingVersion) "
                + "(`spec.defaultBackend`, backends as `service: {name, port: {number}}`, a `pathType` on every path)"))
        return true
    }

    mutating func decodeIngress() -> Ingress {
        let key = readKey(kind: "Ingress")
        var ingress = Ingress(key: key, source: source)
        let metadata = root.field("metadata")
        ingress.annotations = readAnnotations()
        if let annotations = metadata?.field("annotations"), case .mapping = annotations.node {
            for name in Ingress.locatedAnnotations {
                if let annotation = annotations.field(name) { source.fields["annotations.\(name)"] = annotation.location }
            }
        }
        ingress.creationTimestamp = mark(metadata?.field("creationTimestamp"))?.string()
        if let spec = mark(root.field("spec")) {
            ingress.ingressClassName = mark(spec.field("ingressClassName"))?.string()
            ingress.defaultBackend = mark(spec.field("defaultBackend")).map { decodeIngressBackend($0) }
            ingress.rules = (mark(spec.field("rules"))?.elements() ?? []).map { decodeIngressRule($0) }
            ingress.tls = (mark(spec.field("tls"))?.elements() ?? []).map { node in
                _ = mark(node)
                return IngressTLS(hosts: markList(node.field("hosts")), secretName: mark(node.field("secretName"))?.string() ?? "")
            }
        }
        ingress.source = source
        return ingress
    }

    private mutating func decodeIngressRule(_ node: FieldNode) -> IngressRule {
        _ = mark(node)
        var rule = IngressRule()
        rule.host = mark(node.field("host"))?.string() ?? ""
        if let http = mark(node.field("http")) {
            rule.paths = (mark(http.field("paths"))?.elements() ?? []).map { pathNode in
                _ = mark(pathNode)
                var path = IngressHTTPPathRule()
                path.path = mark(pathNode.field("path"))?.string() ?? ""
                path.pathType = mark(pathNode.field("pathType"))?.string()
                // Left out, it is empty, as the API decodes it; validation says what it needs.
                if let backend = mark(pathNode.field("backend")) { path.backend = decodeIngressBackend(backend) }
                return path
            }
        }
        return rule
    }

    private mutating func decodeIngressBackend(_ node: FieldNode) -> IngressBackendReference {
        var backend = IngressBackendReference()
        if let service = mark(node.field("service")) {
            var reference = IngressBackendReference.ServiceReference()
            reference.name = mark(service.field("name"))?.string() ?? ""
            if let port = mark(service.field("port")) {
                reference.port.name = mark(port.field("name"))?.string() ?? ""
                reference.port.number = mark(port.field("number"))?.int() ?? 0
            }
            backend.service = reference
        }
        if let resource = mark(node.field("resource")) {
            backend.resource = IngressBackendReference.Resource(
                apiGroup: mark(resource.field("apiGroup"))?.string(), kind: mark(resource.field("kind"))?.string() ?? "",
                name: mark(resource.field("name"))?.string() ?? "")
        }
        return backend
    }

    mutating func decodeIngressClass() -> IngressClass {
        let key = readKey(kind: "IngressClass", namespaced: false)
        var ingressClass = IngressClass(name: key.name, source: source)
        if key.name.isEmpty { root.report(missing: "metadata.name", .required(detail: "name or generateName is required")) }
        ingressClass.annotations = readAnnotations()
        if let spec = mark(root.field("spec")) {
            ingressClass.controller = mark(spec.field("controller"))?.string() ?? ""
            if let parameters = mark(spec.field("parameters")) {
                ingressClass.parameters = IngressClassParameters(
                    apiGroup: mark(parameters.field("apiGroup"))?.string(), kind: mark(parameters.field("kind"))?.string() ?? "",
                    name: mark(parameters.field("name"))?.string() ?? "", namespace: mark(parameters.field("namespace"))?.string(),
                    scope: mark(parameters.field("scope"))?.string())
            }
        }
        ingressClass.source = source
        return ingressClass
    }
}
