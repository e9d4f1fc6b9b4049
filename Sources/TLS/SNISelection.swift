// Which certificate answers a ClientHello's server name: exact names first, then wildcards
// for one label, else the default, as ingress-nginx and the Ingress specification's TLS
// section lead users to expect. Built once per plan and read-only afterwards, so the SNI
// callback can read it from any worker thread without a lock.

/// The server-name → certificate table of one TLSServerContext.
final class SNISelection: @unchecked Sendable {
    /// A certificate, the names it carries and the hosts `spec.tls` lists for it. Listed
    /// hosts win over the names of certificates listed without hosts; among equals the
    /// first (plan order, by Secret) wins. The default serves what no one else does.
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
        for candidate in candidates where !candidate.isDefault {
            // A certificate serves the hosts `spec.tls` lists for it, as ingress-nginx
            // serves each host with its own Ingress's Secret: a certificate whose names
            // merely cover another Ingress's host does not take it over. A certificate
            // listed without hosts serves the names it carries.
            let names = candidate.listedHosts.isEmpty ? candidate.names : candidate.listedHosts
            let rank = candidate.listedHosts.isEmpty ? 1 : 0
            for name in names {
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
