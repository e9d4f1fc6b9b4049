// The answer of a health-check NodePort, as kube-proxy's service health server gives it
// (pkg/proxy/healthcheck/service_health.go): whatever the path, 200 while this node has
// a ready endpoint of the Service and the proxy is healthy, 503 otherwise, so that a
// load balancer sends a `externalTrafficPolicy: Local` Service's traffic only to nodes
// that can serve it. The count is read at answer time, so a reload's change shows at once.
import HTTP1
import ServiceConfig
import Synchronization

/// The local endpoint count of each Service with a health-check NodePort: written by the
/// daemon after each plan, read by the admin thread per request.
public final class ServiceHealthCounts: Sendable {
    private let counts = Mutex<[ObjectKey: Int]>([:])

    public init() {}

    /// The counts of `checks`; a Service not among them counts no endpoint.
    func update(_ checks: [HealthCheckPlan]) {
        let table = Dictionary(checks.map { ($0.service, $0.localEndpoints) }, uniquingKeysWith: { first, _ in first })
        counts.withLock { $0 = table }
    }

    func count(for service: ObjectKey) -> Int { counts.withLock { $0[service] ?? 0 } }
}

struct ServiceHealthPage {
    let service: ObjectKey
    let localEndpoints: Int
    /// kube-proxy's `serviceProxyHealthy`: not draining and no event loop stalled.
    let proxyHealthy: Bool

    func response() -> HTTPResponse {
        let healthy = localEndpoints > 0 && proxyHealthy
        // kube-proxy's layout: a dedented, tab-indented object, no final newline.
        let body = """
            {
            \t"service": {
            \t\t"namespace": \(Self.quoted(service.namespace)),
            \t\t"name": \(Self.quoted(service.name))
            \t},
            \t"localEndpoints": \(localEndpoints),
            \t"serviceProxyHealthy": \(proxyHealthy)
            }
            """
        return HTTPResponse(status: healthy ? .ok : .serviceUnavailable, contentType: "application/json", body: body, fields: [
            HTTPField(name: "X-Content-Type-Options", value: "nosniff"),
            // Newer kube-proxies tell weighted load balancers how many endpoints are here.
            HTTPField(name: "X-Load-Balancing-Endpoint-Weight", value: "\(localEndpoints)"),
        ])
    }

    /// A JSON string; names are DNS labels, but nothing here relies on it.
    private static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
