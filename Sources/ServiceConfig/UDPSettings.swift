// The settings only UDP service ports have. A UDP "connection" is a flow: the datagrams
// between one client address and port and the service port, relayed through one socket to
// one endpoint. Nothing on the wire ends a flow, so it ends when it has been silent both
// ways for its timeout, as conntrack's UDP entries do (nf_conntrack_udp_timeout, 30 s).
// The timeout comes from the service's annotation, else the node's `--udp-timeout`; the
// node's `--udp-max-flows` bounds the flows open at once. Parsed and checked here; the
// engine enforces them.

extension NodeSettings {
    /// conntrack's timeout for a UDP flow that has seen no reply stream, which kube-proxy's
    /// UDP services live by.
    public static let defaultUDPTimeout: Duration = .seconds(30)
    /// The most `--udp-max-flows` may be, as `--max-connections`.
    public static let udpMaxFlowsLimit = 1 << 24
}

extension Service {
    /// How long a flow to one of the service's UDP ports may stay silent both ways.
    public static let udpTimeoutAnnotation = "svcproxy.io/udp-timeout"

    /// The flow timeout for the service's UDP ports: its annotation, else the node's.
    func udpTimeout(nodeDefault: Duration) -> Duration {
        guard let text = annotations[Self.udpTimeoutAnnotation], case .success(let value) = SettingsSyntax.udpTimeout(text) else {
            return nodeDefault
        }
        return value
    }
}

extension SettingsSyntax {
    /// A UDP flow timeout: a duration above zero, since a flow has no other end.
    public static func udpTimeout(_ text: String) -> Result<Duration, SettingsSyntaxError> {
        duration(text).flatMap { value in
            value > .zero
                ? .success(value)
                : .failure(SettingsSyntaxError("'\(text)' must be more than 0s: a UDP flow ends only when it times out"))
        }
    }

    /// `--udp-max-flows`: a count between 1 and `NodeSettings.udpMaxFlowsLimit`.
    public static func udpMaxFlows(_ value: Int) -> Result<Int, SettingsSyntaxError> {
        (1...NodeSettings.udpMaxFlowsLimit).contains(value)
            ? .success(value)
            : .failure(SettingsSyntaxError("must be between 1 and \(NodeSettings.udpMaxFlowsLimit), inclusive"))
    }
}

extension Validation {
    /// The value of `svcproxy.io/udp-timeout`, whether or not the service has a UDP port.
    static func validateUDPAnnotations(_ service: Service, into errors: inout ObjectErrors) {
        guard let text = service.annotations[Service.udpTimeoutAnnotation], case .failure(let error) = SettingsSyntax.udpTimeout(text)
        else { return }
        errors.add("metadata.annotations[\(Service.udpTimeoutAnnotation)]", .invalid(value: "\"\(text)\"", detail: error.description))
    }
}
