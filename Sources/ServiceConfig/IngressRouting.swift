// The routing table of the Ingresses of our class: their rules merged by host, each path
// with its backend resolved to a service port and its ready endpoints. Ingresses are taken
// oldest first (`metadata.creationTimestamp`, then namespace/name), so that on a conflict
// (the same host, path and type in two Ingresses) and for the one default backend the
// oldest wins, as ingress-nginx decides it, and a note names the one that lost.
import Foundation

struct IngressRouting {
    private let servicesByKey: [ObjectKey: Service]
    private let join: EndpointJoin
    private let allocations: Allocations
    private(set) var notes: [String] = []

    /// What makes two paths the same route: a host, a path as it matches, and `Exact`
    /// apart from the prefix types (`ImplementationSpecific` is served as `Prefix`, and a
    /// prefix's trailing slash does not change what it matches).
    private struct RouteKey: Hashable {
        let host: IngressHostMatch
        let path: String
        let exact: Bool
    }

    init(objects: ConfigObjects, join: EndpointJoin, allocations: Allocations) {
        servicesByKey = Dictionary(objects.services.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        self.join = join
        self.allocations = allocations
    }

    /// The plan of `ingresses` (those of our class), or nil when there are none.
    mutating func plan(for ingresses: [Ingress], settings: NodeSettings) -> IngressPlan? {
        guard !ingresses.isEmpty else { return nil }
        var paths: [IngressHostMatch: [IngressPath]] = [:]
        var owners: [RouteKey: ObjectKey] = [:]
        var defaultBackend: (backend: IngressBackend?, ingress: ObjectKey)?
        for ingress in ingresses.sorted(by: Ingress.isOlder) {
            if let reference = ingress.defaultBackend {
                if let winner = defaultBackend?.ingress {
                    note(ingress, "spec.defaultBackend", "not used: Ingress \"\(winner)\" is older and its default backend is the one served")
                } else {
                    defaultBackend = (resolve(reference, of: ingress, at: "spec.defaultBackend"), ingress.key)
                }
            }
            for (r, rule) in ingress.rules.enumerated() {
                let host = IngressHostMatch(written: rule.host)
                guard let rulePaths = rule.paths else {
                    note(ingress, "spec.rules[\(r)]", "host \(host) has no `http`: it routes nothing")
                    continue
                }
                for (p, written) in rulePaths.enumerated() {
                    guard let type = written.pathType.flatMap(IngressPathType.init(rawValue:)) else { continue }
                    let field = "spec.rules[\(r)].http.paths[\(p)]"
                    let path = written.path.isEmpty ? "/" : written.path  // an empty ImplementationSpecific path takes all
                    let key = RouteKey(host: host, path: type == .exact ? path : Self.trimmingSlash(path), exact: type == .exact)
                    if let winner = owners[key] {
                        let earlier = winner == ingress.key ? "an earlier path of this Ingress" : "Ingress \"\(winner)\" is older and"
                        note(ingress, field, "\(host) \(path) (\(type.rawValue)) is not served: \(earlier) routes the same host, path and type")
                        continue
                    }
                    owners[key] = ingress.key
                    guard let backend = resolve(written.backend, of: ingress, at: "\(field).backend") else { continue }
                    paths[host, default: []].append(IngressPath(path: path, type: type, backend: backend, ingress: ingress.key))
                }
            }
        }
        let defaultServed = defaultBackend?.backend
        return IngressPlan(listenAddresses: settings.ingressListenAddresses,
                           virtualHosts: paths.map { IngressVirtualHost(host: $0.key, paths: $0.value) },
                           defaultBackend: defaultServed, defaultBackendIngress: defaultServed == nil ? nil : defaultBackend?.ingress,
                           settings: settings.ingressSettings)
    }

    /// `/foo/` → `/foo`; `/` stays.
    private static func trimmingSlash(_ path: String) -> String {
        path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    /// The backend a reference names: the Service of the Ingress's namespace, its port by
    /// number or name, and that port's ready endpoints (as the service port itself gets
    /// them). A backend that cannot be resolved is kept without endpoints, so its requests
    /// get 503, and a note says why. Nil for a resource backend, which is not served.
    private mutating func resolve(_ reference: IngressBackendReference, of ingress: Ingress, at field: String) -> IngressBackend? {
        guard let wanted = reference.service else {
            note(ingress, field, "resource backend \(reference.written) is not served: svcproxy serves Service backends only")
            return nil
        }
        let key = ObjectKey(namespace: ingress.key.namespace, name: wanted.name)
        let byName = !wanted.port.name.isEmpty
        let portWritten = byName ? wanted.port.name : "\(wanted.port.number)"
        func unresolved(_ why: String) -> IngressBackend {
            note(ingress, field, "\(reference.written): \(why): its requests get 503")
            return IngressBackend(servicePort: ServicePortName(service: key, port: portWritten), written: reference.written, endpoints: [])
        }
        guard let service = servicesByKey[key] else { return unresolved("Service \"\(key)\" does not exist") }
        guard service.isProxied else {
            return unresolved("\(service.label) is \(service.type == .externalName ? "an ExternalName" : "a headless") service, which has no endpoints to proxy to")
        }
        let candidates = service.ports.filter { byName ? $0.name == wanted.port.name : $0.port == wanted.port.number }
        guard let port = candidates.first(where: { $0.protocol == .tcp }) ?? candidates.first else {
            return unresolved("\(service.label) has no port \(byName ? "named \"\(portWritten)\"" : portWritten)")
        }
        guard port.protocol == .tcp else {
            return unresolved("port \(portWritten) of \(service.label) is \(port.protocol.rawValue): HTTP goes only to TCP ports")
        }
        let families = PlanBuilder.families(of: allocations.clusterIPs[service.key] ?? [])
        return IngressBackend(servicePort: ServicePortName(service: key, port: port.name), written: reference.written,
                              endpoints: join.endpoints(for: service, port: port, families: families))
    }

    /// "FILE:LINE:COL: Ingress "ns/name" FIELD: what happened".
    private mutating func note(_ ingress: Ingress, _ field: String, _ text: String) {
        notes.append("\(ingress.source.location(of: field)): \(ingress.label) \(field): \(text)")
    }
}

extension IngressHostMatch {
    /// A rule's `host` as written: empty for any host, `*.foo.com`, or a name (lowercased).
    init(written host: String) {
        if host.isEmpty {
            self = .any
        } else if host.hasPrefix("*.") {
            self = .wildcard(suffix: String(host.dropFirst(2)).lowercased())
        } else {
            self = .exact(host.lowercased())
        }
    }
}

extension Ingress {
    /// `metadata.creationTimestamp` as a date; nil when absent or not RFC 3339.
    var creationDate: Date? { CreationTime.date(creationTimestamp) }

    /// Oldest first (CreationTime.swift).
    static func isOlder(_ a: Ingress, _ b: Ingress) -> Bool {
        CreationTime.isOlder((a.creationDate, a.key), (b.creationDate, b.key))
    }
}
