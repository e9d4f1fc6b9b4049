// What `svcproxy status` shows: the daemon's answer on its status socket (JSON), and the
// table a person reads.
import Foundation
import ProxyEngine
import ServiceConfig
import TLS

public struct StatusReport: Codable, Sendable {
    public struct EndpointRow: Codable, Sendable {
        let endpoint: String
        let health: EndpointSnapshot.Health
        let active: UInt64
        let connections: UInt64
        let connectErrors: UInt64
        let bytesSent: UInt64
        let bytesReceived: UInt64
    }

    /// An Ingress path (or the default backend) and the requests it answered.
    public struct IngressRouteRow: Codable, Sendable {
        let host: String
        let path: String
        let ingress: String
        let backend: String
        let endpoints: Int
        let requests: UInt64
        let errors: UInt64
    }

    /// A certificate the HTTPS listeners serve.
    public struct CertificateRow: Codable, Sendable {
        let secret: String
        let names: [String]
        let notAfter: String
        let isDefault: Bool
    }

    public struct ServicePortRow: Codable, Sendable {
        let name: String
        let listen: [String]
        let accepted: UInt64
        let refused: UInt64
        let endpoints: [EndpointRow]
        /// UDP service ports: flows open now, and datagrams each way.
        let udpFlows: UInt64?
        let udpDatagrams: String?
    }

    let version: String
    let state: String
    let summary: String
    let lastApplied: String
    let reloads: UInt64
    let reloadFailures: UInt64
    let lastReloadSucceeded: Bool
    let lastReloadErrors: [String]
    let listenFailures: [String]
    let services: [ServicePortRow]
    let ingressListen: [String]
    let ingressRoutes: [IngressRouteRow]
    let certificates: [CertificateRow]
    /// One line per LoadBalancer Service of our class: its address and pool, or why it
    /// waits. Optional so that a daemon older than the client still decodes.
    let loadBalancers: [String]?

    init(version: String, state: DaemonState.Snapshot, draining: Bool, statistics: [ServicePortSnapshot], ingress: IngressSnapshot,
         certificates: [ServedCertificate]) {
        self.certificates = certificates.map { certificate in
            CertificateRow(secret: certificate.secret.map { "\($0)" } ?? "(self-signed)", names: certificate.names,
                           notAfter: HealthPage.timestamp(Date(timeIntervalSince1970: certificate.notAfter)), isDefault: certificate.isDefault)
        }
        let byName = Dictionary(statistics.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.version = version
        self.state = draining ? "draining" : "serving"
        summary = state.plan.summary
        lastApplied = HealthPage.timestamp(Date(timeIntervalSince1970: state.lastApplied))
        reloads = state.reloads
        reloadFailures = state.reloadFailures
        lastReloadSucceeded = state.lastReloadSucceeded
        lastReloadErrors = state.lastReloadErrors
        listenFailures = state.listenFailures + state.healthCheckFailures.map(\.description)
        services = state.plan.servicePorts.map { servicePort in
            let counts = byName[servicePort.name]
            let endpointCounts = Dictionary((counts?.endpoints ?? []).map { ($0.endpoint, $0) }, uniquingKeysWith: { first, _ in first })
            return ServicePortRow(
                name: servicePort.name.description,
                listen: servicePort.listenAddresses.map(\.description),
                accepted: counts?.accepted ?? 0,
                refused: (counts?.refusedNoEndpoints ?? 0) + (counts?.refusedNoLocalEndpoints ?? 0) + (counts?.connectsExhausted ?? 0) + (counts?.refusedNodeLimit ?? 0)
                    + (counts?.refusedServiceLimit ?? 0) + (counts?.deniedByPolicy ?? 0) + (counts?.deniedByEgressPolicy ?? 0),
                endpoints: servicePort.reachableEndpoints.map { endpoint in
                    let count = endpointCounts[endpoint]
                    return EndpointRow(endpoint: endpoint.description, health: count?.health ?? .unknown,
                                       active: count?.active ?? 0, connections: count?.established ?? 0,
                                       connectErrors: count?.connectErrors ?? 0, bytesSent: count?.bytesSent ?? 0,
                                       bytesReceived: count?.bytesReceived ?? 0)
                },
                udpFlows: servicePort.protocol == .udp ? counts?.udp.activeFlows ?? 0 : nil,
                udpDatagrams: servicePort.protocol == .udp
                    ? "\(counts?.udp.datagramsIn ?? 0) in, \(counts?.udp.datagramsOut ?? 0) out" : nil)
        }
        ingressListen = ((state.plan.ingress?.listenAddresses ?? []) + (state.plan.ingress?.tls?.listenAddresses ?? [])).map(\.description)
        ingressRoutes = state.plan.ingress.map { Self.routes(of: $0, counts: ingress) } ?? []
        loadBalancers = state.plan.loadBalancers.map(\.summary)
    }

    /// Every path of every host, then the default backend, with their counts.
    private static func routes(of plan: IngressPlan, counts: IngressSnapshot) -> [IngressRouteRow] {
        let byKey = Dictionary(counts.routes.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        func row(host: String, path: String, type: String, ingress: ObjectKey, backend: IngressBackend) -> IngressRouteRow {
            let key = IngressRouteKey(namespace: ingress.namespace, ingress: ingress.name, host: host == "(default)" ? "" : host,
                                      path: path, service: backend.servicePort.service.name)
            let count = byKey[key]
            return IngressRouteRow(host: host, path: path.isEmpty ? "" : "\(path) (\(type))", ingress: ingress.description,
                                   backend: "\(backend.servicePort)", endpoints: backend.endpoints.count,
                                   requests: count?.requests ?? 0,
                                   errors: count?.errors ?? 0)
        }
        var rows = plan.virtualHosts.flatMap { virtualHost in
            virtualHost.paths.map { path in
                row(host: virtualHost.host.description, path: path.path, type: path.type.rawValue, ingress: path.ingress, backend: path.backend)
            }
        }
        if let backend = plan.defaultBackend, let ingress = plan.defaultBackendIngress {
            rows.append(row(host: "(default)", path: "", type: "", ingress: ingress, backend: backend))
        }
        return rows
    }

    func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) + "\n" } ?? "{}\n"
    }

    /// The report as a person reads it.
    public func table() -> String {
        var lines = ["svcproxy \(version): \(state), \(summary)"]
        var reload = "last applied \(lastApplied); \(reloads) reloads, \(reloadFailures) failed"
        if !lastReloadSucceeded { reload += "; THE LAST RELOAD FAILED, the previous configuration is serving" }
        lines.append(reload)
        lines += lastReloadErrors.map { "  \($0)" }
        lines += listenFailures.map { "  \($0)" }
        if !ingressRoutes.isEmpty {
            lines.append("")
            lines.append("Ingress   listen " + (ingressListen.isEmpty ? "(nothing)" : ingressListen.joined(separator: ", ")))
            let header = ["HOST", "PATH", "BACKEND", "ENDPOINTS", "REQUESTS", "4XX/5XX", "INGRESS"]
            let rows = ingressRoutes.map { [$0.host, $0.path, $0.backend, "\($0.endpoints)", "\($0.requests)", "\($0.errors)", $0.ingress] }
            lines += Self.align([header] + rows).map { "  " + $0 }
        }
        if let loadBalancers, !loadBalancers.isEmpty {
            lines.append("")
            lines.append("LoadBalancers")
            lines += loadBalancers.map { "  " + $0 }
        }
        if !certificates.isEmpty {
            lines.append("")
            lines.append("Certificates (HTTPS)")
            let header = ["SECRET", "NAMES", "EXPIRES", "DEFAULT"]
            let rows = certificates.map { [$0.secret, $0.names.joined(separator: ","), $0.notAfter, $0.isDefault ? "yes" : ""] }
            lines += Self.align([header] + rows).map { "  " + $0 }
        }
        for service in services {
            lines.append("")
            if let flows = service.udpFlows {
                lines.append("\(service.name) (UDP)   \(flows) flows open, datagrams \(service.udpDatagrams ?? "")")
            } else {
                lines.append("\(service.name)   accepted \(service.accepted), refused \(service.refused)")
            }
            lines.append("  listen  " + (service.listen.isEmpty ? "(nothing)" : service.listen.joined(separator: ", ")))
            if service.endpoints.isEmpty {
                lines.append("  no ready endpoints: connections are refused")
                continue
            }
            let header = ["ENDPOINT", "HEALTH", "ACTIVE", "CONNECTIONS", "CONNECT ERRORS", "BYTES OUT", "BYTES IN"]
            let rows = service.endpoints.map {
                [$0.endpoint, $0.health.rawValue, "\($0.active)", "\($0.connections)", "\($0.connectErrors)",
                 "\($0.bytesSent)", "\($0.bytesReceived)"]
            }
            lines += Self.align([header] + rows).map { "  " + $0 }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func align(_ rows: [[String]]) -> [String] {
        let widths = (0..<(rows.first?.count ?? 0)).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }
    }
}
