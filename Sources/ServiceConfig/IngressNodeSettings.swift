// The node settings of the Ingress controller: which class is ours, where HTTP and HTTPS
// are accepted, the default certificate, and its timeouts. Defaults here; the ProxyConfiguration document and the
// flags (`--ingress-class`, `--ingress-http-bind-address`, ...) override them in the
// layers NodeSettings.swift describes, each value read by one parser below.

extension NodeSettings {
    /// The class svcproxy serves unless told otherwise, and the name an IngressClass of
    /// ours usually has.
    public static let defaultIngressClass = "svcproxy"
    /// Every IPv4 and IPv6 address, port 80, as an Ingress controller's Service would expose.
    public static let defaultIngressHTTPBindAddresses = ["0.0.0.0:80", "[::]:80"].compactMap {
        try? SettingsSyntax.bindAddress($0).get()
    }
    /// Every IPv4 and IPv6 address, port 443.
    public static let defaultIngressHTTPSBindAddresses = ["0.0.0.0:443", "[::]:443"].compactMap {
        try? SettingsSyntax.bindAddress($0).get()
    }
    /// How long a client may take to complete a TLS handshake, as Go's net/http servers
    /// commonly set it (`http.Transport.TLSHandshakeTimeout`).
    public static let defaultIngressTLSHandshakeTimeout: Duration = .seconds(10)
    /// ingress-nginx's default for both client-header and upstream timeouts.
    public static let defaultIngressTimeout: Duration = .seconds(60)

    /// The Ingress controller's part of a plan.
    public var ingressSettings: IngressSettings {
        IngressSettings(clientHeaderTimeout: ingressClientHeaderTimeout, upstreamTimeout: ingressUpstreamTimeout)
    }

    /// `ingressHTTPBindAddresses` as the plan's listen addresses, without repeats.
    var ingressListenAddresses: [ListenAddress] {
        PlanBuilder.uniqued(ingressHTTPBindAddresses).map { ListenAddress(ip: $0.ip, port: Int($0.port), kind: .ingressHTTP) }
    }

    /// `ingressHTTPSBindAddresses` as the plan's listen addresses, without repeats.
    var ingressHTTPSListenAddresses: [ListenAddress] {
        PlanBuilder.uniqued(ingressHTTPSBindAddresses).map { ListenAddress(ip: $0.ip, port: Int($0.port), kind: .ingressHTTPS) }
    }
}

extension SettingsSyntax {
    /// A class name, as `spec.ingressClassName` may write it: a DNS subdomain.
    public static func ingressClassName(_ text: String) -> Result<String, SettingsSyntaxError> {
        let problems = NameFormat.dns1123Subdomain(text)
        guard problems.isEmpty else { return .failure(SettingsSyntaxError("'\(text)' is not a class name: " + problems.joined(separator: "; "))) }
        return .success(text)
    }

    /// A timeout that must pass at some point: a duration above zero.
    public static func timeout(_ text: String) -> Result<Duration, SettingsSyntaxError> {
        duration(text).flatMap { value in
            value > .zero ? .success(value) : .failure(SettingsSyntaxError("'\(text)' must be more than 0s"))
        }
    }

    /// `NAMESPACE/NAME` of a Secret, as ingress-nginx's `--default-ssl-certificate` takes it.
    public static func secretReference(_ text: String) -> Result<ObjectKey, SettingsSyntaxError> {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 else { return .failure(SettingsSyntaxError("'\(text)' must be NAMESPACE/NAME of a Secret")) }
        let problems = NameFormat.dns1123Label(parts[0]).map { "namespace: \($0)" } + NameFormat.dns1123Subdomain(parts[1]).map { "name: \($0)" }
        guard problems.isEmpty else { return .failure(SettingsSyntaxError("'\(text)' is not NAMESPACE/NAME: " + problems.joined(separator: "; "))) }
        return .success(ObjectKey(namespace: parts[0], name: parts[1]))
    }

    /// An Ingress HTTP or HTTPS listen address; port 0 would bind a port no client knows.
    public static func ingressBindAddress(_ text: String) -> Result<BindAddress, SettingsSyntaxError> {
        bindAddress(text).flatMap { address in
            address.port == 0 ? .failure(SettingsSyntaxError("'\(text)' needs a port between 1 and 65535")) : .success(address)
        }
    }
}
