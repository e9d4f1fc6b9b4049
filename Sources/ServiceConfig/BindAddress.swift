// Where an admin endpoint listens, as kube-proxy's --metrics-bind-address and
// --healthz-bind-address write it: "127.0.0.1:10249" or "[::]:10256". One parser for the
// flags, the ProxyConfiguration document and the admin server that binds it.

/// An IP address and port to listen on.
public struct BindAddress: Sendable, Hashable, CustomStringConvertible {
    public let ip: IPAddress
    public let port: UInt16

    /// "127.0.0.1:10249" or "[::1]:10256", which `SettingsSyntax.bindAddress` reads back.
    public var description: String { ip.withPort(port) }
}

extension SettingsSyntax {
    /// `IP:PORT` or `[IPv6]:PORT`, as kube-proxy's bind addresses are written; an IPv6
    /// address without brackets is read up to its last colon ("::1:10249").
    public static func bindAddress(_ text: String) -> Result<BindAddress, SettingsSyntaxError> {
        let bad = SettingsSyntaxError("'\(text)' is not an address and port (e.g. 127.0.0.1:10249 or [::]:10256)")
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
            return .failure(bad)
        }
        var host = text[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard let ip = IPAddress(String(host)) else { return .failure(bad) }
        return .success(BindAddress(ip: ip, port: port))
    }
}
