// What the admin endpoints answer: /metrics, /healthz, /livez, the status report and the
// health-check NodePorts, from the daemon's shared state, the engine's statistics, the
// Services' local endpoint counts and the log pipeline's drop count.
// The server owns the sockets; this owns the content.
import HTTP1
import LinuxIO
import ProxyEngine
import ServiceConfig

struct AdminPages: Sendable {
    let version: String
    let state: DaemonState
    let statistics: StatisticsRegistry
    let monitor: EngineMonitor
    let logMessagesDropped: @Sendable () -> UInt64
    let serviceHealth: ServiceHealthCounts

    /// The bytes to send for what the parser made of a request so far; nil while it needs more.
    func response(to parsed: HTTPHeadParseResult, on endpoint: AdminServer.Endpoint = .http) -> [UInt8]? {
        switch parsed {
        case .needMore:
            return nil
        case .invalid(_, let status):
            return Self.closing(.error(status))
        case .complete(let head, _):
            if case .serviceHealth(let service) = endpoint {
                // Any method and path, as kube-proxy's handler answers them.
                return Self.closing(serviceHealthPage(for: service).response(), includeBody: head.method != "HEAD")
            }
            // GET and HEAD only: the admin endpoints take no bodies and change nothing.
            guard head.method == "GET" || head.method == "HEAD" else {
                return Self.closing(.error(.methodNotAllowed, fields: [HTTPField(name: "Allow", value: "GET, HEAD")]))
            }
            return Self.closing(page(at: head.path), includeBody: head.method == "GET")
        }
    }

    func statusReport() -> StatusReport {
        StatusReport(version: version, state: state.read(), draining: state.draining.load(ordering: .relaxed),
                     statistics: statistics.snapshot(), ingress: statistics.ingressSnapshot(),
                     certificates: statistics.servedCertificates)
    }

    private func serviceHealthPage(for service: ObjectKey) -> ServiceHealthPage {
        let now = MonotonicClock.now()
        let oldest = monitor.oldestCheckIn
        let stalled = (now > oldest ? now - oldest : 0) > HealthPage.stallThreshold
        return ServiceHealthPage(service: service, localEndpoints: serviceHealth.count(for: service),
                                 proxyHealthy: !stalled && !state.draining.load(ordering: .relaxed))
    }

    private func page(at path: Substring) -> HTTPResponse {
        switch path {
        case "/metrics":
            let page = MetricsPage(services: statistics.snapshot(), ingress: statistics.ingressSnapshot(), tls: statistics.tlsSnapshot(),
                                   dns: statistics.dnsSnapshot(), loops: statistics.loopSnapshot(),
                                   certificates: statistics.servedCertificates, state: state.read(),
                                   listeners: monitor.listeners.load(ordering: .relaxed), startTime: state.startTime,
                                   logMessagesDropped: logMessagesDropped())
            return HTTPResponse(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: page.render())
        case "/healthz", "/livez":
            let now = MonotonicClock.now()
            let oldest = monitor.oldestCheckIn
            let snapshot = state.read()
            return HealthPage(kind: path == "/healthz" ? .healthz : .livez, draining: state.draining.load(ordering: .relaxed),
                              sinceCheckIn: now > oldest ? now - oldest : 0, lastApplied: snapshot.lastApplied,
                              sourceProblem: snapshot.sourceProblem).response()
        default:
            return .error(.notFound)
        }
    }

    /// Every answer ends its connection, and says so.
    private static func closing(_ response: HTTPResponse, includeBody: Bool = true) -> [UInt8] {
        var response = response
        response.fields.append(HTTPField(name: "Connection", value: "close"))
        return response.serialized(includeBody: includeBody)
    }
}
