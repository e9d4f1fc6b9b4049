// Which certificate answers a ClientHello's server name: exact names first, then wildcards
// for one label, else the default, as ingress-nginx and the Ingress specification's TLS
// section lead users to expect. Built once per plan and read-only afterwards, so the SNI
// callback can read it from any worker thread without a lock.

/// The server-name → certificate table of one TLSServerContext.
final class SNISelection: @unchecked Sendable {
    /// A certificate's claim on its names. Lower `rank` wins a name two certificates share:
    /// 0 for a certificate whose Secret `spec.tls` lists for that very host, 1 for other
    /// plan certificates, 2 for the default; among equals, the first (plan order) wins.
    struct Candidate {
        let names: [String]
        let listedHosts: [String]
        let isDefault: Bool
        let context: OpaquePointer
    }

    /// The default certificate's SSL_CTX: every connection starts on it.
    let defaultContext: OpaquePointer
    private let exact: [String: OpaquePointer]
    /// Keyed by the part after `*`: `.foo.com` for `*.foo.com`.
    private let wildcard: [String: OpaquePointer]

    init(defaultContext: OpaquePointer, candidates: [Candidate]) {
        self.defaultContext = defaultContext
        var exact: [String: (rank: Int, context: OpaquePointer)] = [:]
        var wildcard: [String: (rank: Int, context: OpaquePointer)] = [:]
        for candidate in candidates {
            for name in candidate.names {
                let rank = candidate.isDefault ? 2 : candidate.listedHosts.contains(name) ? 0 : 1
                if name.hasPrefix("*.") {
                    let suffix = String(name.dropFirst())
                    if (wildcard[suffix]?.rank ?? Int.max) > rank { wildcard[suffix] = (rank, candidate.context) }
                } else if (exact[name]?.rank ?? Int.max) > rank {
                    exact[name] = (rank, candidate.context)
                }
            }
        }
        self.exact = exact.mapValues(\.context)
        self.wildcard = wildcard.mapValues(\.context)
    }

    /// The context for `serverName` as the client sent it (any case, perhaps a trailing dot).
    func context(for serverName: String) -> OpaquePointer {
        var host = serverName.lowercased()
        if host.hasSuffix(".") { host.removeLast() }
        if let context = exact[host] { return context }
        if let dot = host.firstIndex(of: "."), dot != host.startIndex, let context = wildcard[String(host[dot...])] {
            return context
        }
        return defaultContext
    }
}
