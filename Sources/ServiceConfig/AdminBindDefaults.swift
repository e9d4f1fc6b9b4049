// Where the admin endpoints listen when no flag or ProxyConfiguration says, kube-proxy's
// defaults. Here rather than in the Admin module, which uses them, because planning needs
// them too: a LoadBalancer Service on the node's addresses must not take their sockets
// (LoadBalancerTakenSockets.swift).

extension NodeSettings {
    /// 127.0.0.1:10249, kube-proxy's `--metrics-bind-address`.
    public static let defaultMetricsBindAddress = BindAddress(ip: IPAddress(family: .ipv4, high: 0, low: IPAddress.ipv4Mapped | 0x7f00_0001),
                                                              port: 10249)
    /// 127.0.0.1:10256, kube-proxy's `--healthz-bind-address`.
    public static let defaultHealthzBindAddress = BindAddress(ip: IPAddress(family: .ipv4, high: 0, low: IPAddress.ipv4Mapped | 0x7f00_0001),
                                                              port: 10256)

    /// Where the metrics endpoint listens.
    public var effectiveMetricsBindAddress: BindAddress { metricsBindAddress ?? Self.defaultMetricsBindAddress }
    /// Where the health endpoint listens.
    public var effectiveHealthzBindAddress: BindAddress { healthzBindAddress ?? Self.defaultHealthzBindAddress }
}
