// Ingress and IngressClass documents for the Ingress tests, written as a user writes them,
// next to `webService` (shop/web, ports http 80 → 8080 and metrics 9090 → 9100).
@testable import ServiceConfig

/// One Ingress document; `spec` is the whole spec as flow YAML.
func ingressYAML(_ name: String, namespace: String = "shop", created: String? = nil, annotations: String? = nil,
                 spec: String) -> String {
    var metadata = "{name: \(name), namespace: \(namespace)"
    if let created { metadata += ", creationTimestamp: \"\(created)\"" }
    if let annotations { metadata += ", annotations: \(annotations)" }
    return "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: \(metadata)}\nspec: \(spec)\n---\n"
}

/// A spec with one rule for `host`: each path is "PATH TYPE SERVICE:PORT".
func ingressRule(host: String, _ paths: String..., className: String? = nil, defaultBackend: String? = nil) -> String {
    let written = paths.map { line -> String in
        let parts = line.split(separator: " ").map(String.init)
        return "{path: \"\(parts[0])\", pathType: \(parts[1]), backend: \(backendYAML(parts[2]))}"
    }
    var spec = "{rules: [{host: \"\(host)\", http: {paths: [\(written.joined(separator: ", "))]}}]"
    if let className { spec += ", ingressClassName: \(className)" }
    if let defaultBackend { spec += ", defaultBackend: \(backendYAML(defaultBackend))" }
    return spec + "}"
}

/// `web:80` or `web:http` as a service backend.
func backendYAML(_ written: String) -> String {
    let parts = written.split(separator: ":").map(String.init)
    let port = Int(parts[1]).map { "{number: \($0)}" } ?? "{name: \(parts[1])}"
    return "{service: {name: \(parts[0]), port: \(port)}}"
}

func ingressClassYAML(_ name: String, controller: String, isDefault: Bool = false) -> String {
    let annotations = isDefault ? ", annotations: {ingressclass.kubernetes.io/is-default-class: \"true\"}" : ""
    return "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: \(name)\(annotations)}\nspec: {controller: \(controller)}\n---\n"
}

extension Result where Success == LoadedPlan, Failure == ConfigErrors {
    /// The hosts the plan routes (one per served Ingress in these tests), sorted.
    var servedHosts: [String] {
        guard case .success(let loaded) = self else { return ["failed: \(self)"] }
        return (loaded.plan.ingress?.virtualHosts ?? []).map(\.host.description).sorted()
    }

    var notes: [String] {
        guard case .success(let loaded) = self else { return [] }
        return loaded.notes
    }
}
