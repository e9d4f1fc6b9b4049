// What `svcproxy status` shows: the daemon's answer on its status socket (JSON), and the
// table a person reads.
import Foundation
import ProxyEngine
import ServiceConfig

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

    public struct ServicePortRow: Codable, Sendable {
        let name: String
        let listen: [String]
        let accepted: UInt64
        let refused: UInt64
        let endpoints: [EndpointRow]
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

    init(version: String, state: DaemonState.Snapshot, draining: Bool, statistics: [ServicePortSnapshot]) {
        let byName = Dictionary(statistics.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.version = version
        self.state = draining ? "draining" : "serving"
        summary = state.plan.summary
        lastApplied = HealthPage.timestamp(Date(timeIntervalSince1970: state.lastApplied))
        reloads = state.reloads
        reloadFailures = state.reloadFailures
        lastReloadSucceeded = state.lastReloadSucceeded
        lastReloadErrors = state.lastReloadErrors
        listenFailures = state.listenFailures
        services = state.plan.servicePorts.map { servicePort in
            let counts = byName[servicePort.name]
            let endpointCounts = Dictionary((counts?.endpoints ?? []).map { ($0.endpoint, $0) }, uniquingKeysWith: { first, _ in first })
            return ServicePortRow(
                name: servicePort.name.description,
                listen: servicePort.listenAddresses.map(\.description),
                accepted: counts?.accepted ?? 0,
                refused: (counts?.refusedNoEndpoints ?? 0) + (counts?.connectsExhausted ?? 0) + (counts?.refusedNodeLimit ?? 0)
                    + (counts?.refusedServiceLimit ?? 0) + (counts?.deniedByPolicy ?? 0),
                endpoints: servicePort.endpoints.map { endpoint in
                    let count = endpointCounts[endpoint]
                    return EndpointRow(endpoint: endpoint.description, health: count?.health ?? .unknown,
                                       active: count?.active ?? 0, connections: count?.established ?? 0,
                                       connectErrors: count?.connectErrors ?? 0, bytesSent: count?.bytesSent ?? 0,
                                       bytesReceived: count?.bytesReceived ?? 0)
                })
        }
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
        for service in services {
            lines.append("")
            lines.append("\(service.name)   accepted \(service.accepted), refused \(service.refused)")
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
