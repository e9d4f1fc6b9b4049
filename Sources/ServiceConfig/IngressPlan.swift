// The Ingress part of a plan: where the node accepts HTTP for the Ingresses of its class,
// and the routing table those Ingresses make, as values. Choosing a route for a request
// (host, then path, as the Ingress specification says) is a pure function here, so that
// every routing rule is tested without a socket.

/// How an Ingress path is compared with a request's path.
public enum IngressPathType: String, Hashable, Sendable, CaseIterable {
    case exact = "Exact"
    case prefix = "Prefix"
    /// Served as `Prefix`; kept apart only so that `check --print-plan` shows what was written.
    case implementationSpecific = "ImplementationSpecific"
}

/// Which requests' `Host` a rule takes.
public enum IngressHostMatch: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// A rule without `host`: any host.
    case any
    /// `*.foo.com`, holding `foo.com`: exactly one more label in front.
    case wildcard(suffix: String)
    /// A host written out, lowercased.
    case exact(String)

    /// `foo.com`, `*.foo.com`, or `*` for any host.
    public var description: String {
        switch self {
        case .any: "*"
        case .wildcard(let suffix): "*.\(suffix)"
        case .exact(let host): host
        }
    }

    /// Whether `host` (without port; any case) is taken by this rule. Compared as bytes,
    /// without a lowercased copy: this runs for every request.
    public func matches(_ host: Substring) -> Bool {
        switch self {
        case .any:
            return true
        case .exact(let name):
            return Self.equalIgnoringCase(host.utf8, name.utf8[...])
        case .wildcard(let suffix):
            let bytes = host.utf8
            guard bytes.count > suffix.utf8.count + 1 else { return false }
            let tail = bytes.suffix(suffix.utf8.count)
            let label = bytes.dropLast(suffix.utf8.count)
            guard label.last == UInt8(ascii: "."), Self.equalIgnoringCase(tail, suffix.utf8[...]) else { return false }
            let first = label.dropLast()
            return !first.isEmpty && !first.contains(UInt8(ascii: "."))
        }
    }

    /// Hosts are written lowercase (validation sees to it); requests may use any case.
    private static func equalIgnoringCase(_ request: Substring.UTF8View, _ written: Substring.UTF8View) -> Bool {
        request.count == written.count && zip(request, written).allSatisfy { (65...90).contains($0) ? $0 | 0x20 == $1 : $0 == $1 }
    }

    /// Exact hosts before wildcards before the catch-all: the order in which hosts are tried.
    public static func < (lhs: IngressHostMatch, rhs: IngressHostMatch) -> Bool {
        switch (lhs, rhs) {
        case (.exact(let a), .exact(let b)): a < b
        case (.wildcard(let a), .wildcard(let b)): a < b
        case (.exact, _): true
        case (.wildcard, .any): true
        default: false
        }
    }
}

/// Where a matched request goes: a service port and its ready endpoints, in the order
/// round-robin walks them (per request).
public struct IngressBackend: Hashable, Sendable, CustomStringConvertible {
    /// The service port the backend names (`default/web:http`).
    public let servicePort: ServicePortName
    /// The backend as written: the port's number or name (`web:80`, `web:http`).
    public let written: String
    public let endpoints: [Endpoint]

    public init(servicePort: ServicePortName, written: String, endpoints: [Endpoint]) {
        self.servicePort = servicePort
        self.written = written
        self.endpoints = endpoints
    }

    public var description: String { written }
}

/// One path of one host: what a request whose path matches is sent to.
public struct IngressPath: Hashable, Sendable {
    public let path: String
    public let type: IngressPathType
    public let backend: IngressBackend
    /// The Ingress that wrote it, for metrics, logs and conflicts.
    public let ingress: ObjectKey

    public init(path: String, type: IngressPathType, backend: IngressBackend, ingress: ObjectKey) {
        self.path = path
        self.type = type
        self.backend = backend
        self.ingress = ingress
    }

    /// Whether a request for `requestPath` (without its query) matches.
    public func matches(_ requestPath: Substring) -> Bool {
        switch type {
        case .exact:
            return requestPath == path
        case .prefix, .implementationSpecific:
            // Element-wise on `/`-separated segments; a trailing slash on either side is
            // ignored (`/aaa/bbb/` matches `/aaa/bbb`, `/aaa` does not match `/aaaccc`):
            // the request is the prefix itself, or the prefix and a `/`. Compared as bytes,
            // without splitting: this runs for every request.
            var prefix = path.utf8[...]
            if prefix.count > 1, prefix.last == UInt8(ascii: "/") { prefix = prefix.dropLast() }
            guard prefix.count > 1 else { return true }  // "/" matches every path
            let request = requestPath.utf8
            guard request.starts(with: prefix) else { return false }
            let rest = request.dropFirst(prefix.count)
            return rest.isEmpty || rest.first == UInt8(ascii: "/")
        }
    }

    /// Longer paths first; on equal paths `Exact` before `Prefix`: the order in which paths
    /// are tried, so the first match is the one the specification picks. A prefix's
    /// trailing slash does not count: `/foo/` matches just what `/foo` does, so `Exact /foo`
    /// still comes first for a request for `/foo`.
    static func precedes(_ a: IngressPath, _ b: IngressPath) -> Bool {
        if a.matchedLength != b.matchedLength { return a.matchedLength > b.matchedLength }
        if (a.type == .exact) != (b.type == .exact) { return a.type == .exact }
        return a.path < b.path
    }

    /// The length of the path as it matches: a prefix without its trailing slash.
    private var matchedLength: Int {
        type != .exact && path.utf8.count > 1 && path.hasSuffix("/") ? path.utf8.count - 1 : path.utf8.count
    }
}

/// The paths of one host, merged from every Ingress that names it.
public struct IngressVirtualHost: Hashable, Sendable {
    public let host: IngressHostMatch
    /// In the order they are tried (`IngressPath.precedes`).
    public let paths: [IngressPath]

    public init(host: IngressHostMatch, paths: [IngressPath]) {
        self.host = host
        self.paths = paths.sorted(by: IngressPath.precedes)
    }
}

/// The result of routing one request.
public enum IngressRouteMatch: Hashable, Sendable {
    /// A rule's path matched.
    case path(IngressPath)
    /// No rule matched: the default backend, from the Ingress that wrote it.
    case defaultBackend(IngressBackend, ingress: ObjectKey)
    /// No rule matched and there is no default backend: 404.
    case none
}

/// The Ingress controller's timeouts and limits, node-wide.
public struct IngressSettings: Hashable, Sendable {
    /// How long a client may take to send a complete request head (408 after).
    public var clientHeaderTimeout: Duration = .seconds(60)
    /// How long an endpoint may take to start answering (504 after), and the longest
    /// silence in either direction while a request is in flight.
    public var upstreamTimeout: Duration = .seconds(60)

    public init() {}

    public init(clientHeaderTimeout: Duration, upstreamTimeout: Duration) {
        self.clientHeaderTimeout = clientHeaderTimeout
        self.upstreamTimeout = upstreamTimeout
    }
}

public struct IngressPlan: Hashable, Sendable {
    /// Where HTTP is accepted (kind `.ingressHTTP`). Settable only here, so that a plan
    /// diff can compare and copy the plan without its addresses.
    public internal(set) var listenAddresses: [ListenAddress]
    /// In the order hosts are tried: exact hosts, wildcards, then the rules without host.
    public let virtualHosts: [IngressVirtualHost]
    /// What takes requests that match no rule: the oldest Ingress's `spec.defaultBackend`.
    public let defaultBackend: IngressBackend?
    /// The Ingress that wrote `defaultBackend`.
    public let defaultBackendIngress: ObjectKey?
    /// Both of the above are there: asked of every request that no rule takes, without a
    /// copy of either (their strings cost a retain and a release each).
    private let hasDefaultBackend: Bool
    public let settings: IngressSettings
    /// HTTPS, while an Ingress of ours has `spec.tls`.
    public internal(set) var tls: IngressTLSPlan?

    public init(listenAddresses: [ListenAddress], virtualHosts: [IngressVirtualHost], defaultBackend: IngressBackend? = nil,
                defaultBackendIngress: ObjectKey? = nil, settings: IngressSettings = IngressSettings(), tls: IngressTLSPlan? = nil) {
        self.tls = tls
        self.listenAddresses = listenAddresses
        self.virtualHosts = virtualHosts.sorted { $0.host < $1.host }
        self.defaultBackend = defaultBackend
        self.defaultBackendIngress = defaultBackendIngress
        hasDefaultBackend = defaultBackend != nil && defaultBackendIngress != nil
        self.settings = settings
    }

    /// Routes a request for `host` (as sent in `Host`: any case, perhaps with a port) and
    /// `path` (without query). The most specific host that matches takes the request: an
    /// exact host, else a wildcard, else the rules without host; if none of its paths
    /// match, the request goes to the default backend, as ingress-nginx serves each host
    /// as a server of its own.
    public func route(host: Substring, path: Substring) -> IngressRouteMatch {
        switch locate(host: host, path: path) {
        case .path(let host, let path): .path(virtualHosts[host].paths[path])
        case .defaultBackend:
            if let defaultBackend, let defaultBackendIngress { .defaultBackend(defaultBackend, ingress: defaultBackendIngress) } else { .none }
        case .none: .none
        }
    }

    /// Where `route` finds a request's path: indexes into `virtualHosts` and its `paths`,
    /// so that the engine keeps its own per-path state in arrays of the same shape; or the
    /// default backend, which the engine keeps beside them (the backend is not copied out
    /// of the plan for every request: its strings cost a retain and a release each).
    public enum Location: Hashable, Sendable {
        case path(host: Int, path: Int)
        case defaultBackend
        case none
    }

    public func locate(host: Substring, path: Substring) -> Location {
        let name = Self.hostName(host)
        if let hostIndex = virtualHosts.firstIndex(where: { $0.host.matches(name) }),
           let pathIndex = virtualHosts[hostIndex].paths.firstIndex(where: { $0.matches(path) }) {
            return .path(host: hostIndex, path: pathIndex)
        }
        return hasDefaultBackend ? .defaultBackend : .none
    }

    /// Every backend a request can reach: each has a route of its own in the engine.
    public var backends: [IngressBackend] {
        var seen = Set<IngressBackend>()
        let all = virtualHosts.flatMap { $0.paths.map(\.backend) } + (defaultBackend.map { [$0] } ?? [])
        return all.filter { seen.insert($0).inserted }
    }

    /// `Host` without its port or a final dot; an IPv6 literal keeps its brackets.
    /// Over its bytes, not its characters: every request is routed by it, and the marks
    /// looked for are ASCII, so they never sit inside a character of another script.
    /// Over the string's UTF-8 buffer, not its UTF8View, whose index steps cost 500
    /// instructions a request.
    public static func hostName(_ host: Substring) -> Substring {
        var host = host
        let length = host.withUTF8 { bytes in
            var end = bytes.count
            if bytes.first == UInt8(ascii: "[") {
                if let close = bytes.firstIndex(of: UInt8(ascii: "]")) { end = close + 1 }
            } else if let colon = bytes.lastIndex(of: UInt8(ascii: ":")) {
                end = colon
            }
            return end > 0 && bytes[end - 1] == UInt8(ascii: ".") ? end - 1 : end
        }
        return host[..<host.utf8.index(host.startIndex, offsetBy: length)]
    }
}
