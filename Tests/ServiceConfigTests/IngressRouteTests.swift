// Every routing rule of the Ingress specification (and the Kubernetes documentation's
// table of path matches), proven on IngressPlan.route(host:path:) without a socket.
import Testing
@testable import ServiceConfig

private let owner = ObjectKey(namespace: "shop", name: "web")

private func backend(_ name: String) -> IngressBackend {
    IngressBackend(servicePort: ServicePortName(service: ObjectKey(namespace: "shop", name: name), port: "http"),
                   written: "\(name):http", endpoints: [])
}

private func path(_ path: String, _ type: IngressPathType, to service: String) -> IngressPath {
    IngressPath(path: path, type: type, backend: backend(service), ingress: owner)
}

/// The service a request goes to, "default" for the default backend, or "404".
private func routed(_ plan: IngressPlan, _ host: String, _ path: String) -> String {
    switch plan.route(host: Substring(host), path: Substring(path)) {
    case .path(let match): match.backend.servicePort.service.name
    case .defaultBackend: "default"
    case .none: "404"
    }
}

private func plan(_ hosts: [IngressVirtualHost], defaultBackend: Bool = false) -> IngressPlan {
    IngressPlan(listenAddresses: [], virtualHosts: hosts, defaultBackend: defaultBackend ? backend("fallback") : nil,
                defaultBackendIngress: defaultBackend ? owner : nil)
}

@Suite struct IngressRouteTests {
    /// The Kubernetes documentation's "Examples" table: kind, path(s), request, match.
    static let documentationTable: [(IngressPathType, String, String, Bool)] = [
        (.prefix, "/", "/", true), (.prefix, "/", "/anything/at/all", true),
        (.exact, "/foo", "/foo", true), (.exact, "/foo", "/bar", false),
        (.exact, "/foo", "/foo/", false), (.exact, "/foo/", "/foo", false),
        (.prefix, "/foo", "/foo", true), (.prefix, "/foo", "/foo/", true),
        (.prefix, "/foo/", "/foo", true), (.prefix, "/foo/", "/foo/", true),
        (.prefix, "/aaa/bb", "/aaa/bbb", false), (.prefix, "/aaa/bbb", "/aaa/bbb", true),
        (.prefix, "/aaa/bbb/", "/aaa/bbb", true), (.prefix, "/aaa/bbb", "/aaa/bbb/", true),
        (.prefix, "/aaa/bbb", "/aaa/bbb/ccc", true), (.prefix, "/aaa/bbb", "/aaa/bbbxyz", false),
        (.implementationSpecific, "/aaa", "/aaa/ccc", true), (.implementationSpecific, "/aaa", "/aaaccc", false),
    ]

    @Test(arguments: documentationTable)
    func pathMatchesAsTheDocumentationTableSays(_ row: (IngressPathType, String, String, Bool)) {
        let (type, written, request, expected) = row
        #expect(path(written, type, to: "x").matches(Substring(request)) == expected, "\(type) \(written) vs \(request)")
    }

    @Test func pathsAreCaseSensitive() {
        #expect(!path("/Foo", .exact, to: "x").matches("/foo"))
        #expect(!path("/foo", .prefix, to: "x").matches("/FOO/bar"))
        #expect(path("/Foo", .prefix, to: "x").matches("/Foo/bar"))
    }

    @Test func theLongestMatchingPathWins() {
        let table = plan([IngressVirtualHost(host: .exact("shop.example.com"), paths: [
            path("/", .prefix, to: "root"), path("/aaa", .prefix, to: "aaa"), path("/aaa/bbb", .prefix, to: "bbb"),
        ])])
        #expect(routed(table, "shop.example.com", "/aaa/bbb/ccc") == "bbb")
        #expect(routed(table, "shop.example.com", "/aaa/bbc") == "aaa")
        #expect(routed(table, "shop.example.com", "/other") == "root")
    }

    @Test func onEqualPathsExactWinsOverPrefixWhateverTheTrailingSlash() {
        for prefix in ["/foo", "/foo/"] {
            let table = plan([IngressVirtualHost(host: .any, paths: [path(prefix, .prefix, to: "prefix"), path("/foo", .exact, to: "exact")])])
            #expect(routed(table, "a", "/foo") == "exact", "Prefix \(prefix)")
            #expect(routed(table, "a", "/foo/bar") == "prefix", "Prefix \(prefix)")
        }
    }

    @Test func aWildcardTakesExactlyOneLabel() {
        let table = plan([IngressVirtualHost(host: .wildcard(suffix: "example.com"), paths: [path("/", .prefix, to: "wild")])])
        #expect(routed(table, "shop.example.com", "/") == "wild")
        #expect(routed(table, "example.com", "/") == "404")
        #expect(routed(table, "a.shop.example.com", "/") == "404")
        #expect(routed(table, "shopexample.com", "/") == "404")
    }

    @Test func anExactHostBeforeAWildcardBeforeAnyHost() {
        let table = plan([
            IngressVirtualHost(host: .any, paths: [path("/", .prefix, to: "any")]),
            IngressVirtualHost(host: .wildcard(suffix: "example.com"), paths: [path("/", .prefix, to: "wild")]),
            IngressVirtualHost(host: .exact("shop.example.com"), paths: [path("/", .prefix, to: "exact")]),
        ])
        #expect(routed(table, "shop.example.com", "/x") == "exact")
        #expect(routed(table, "blog.example.com", "/x") == "wild")
        #expect(routed(table, "example.org", "/x") == "any")
        #expect(routed(table, "", "/x") == "any", "a request without Host takes the rules without host")
    }

    @Test func theHostIsComparedWithoutPortCaseOrFinalDot() {
        let table = plan([IngressVirtualHost(host: .exact("shop.example.com"), paths: [path("/", .prefix, to: "shop")])])
        #expect(routed(table, "shop.example.com:8080", "/") == "shop")
        #expect(routed(table, "SHOP.Example.COM", "/") == "shop")
        #expect(routed(table, "Shop.Example.Com:80", "/") == "shop")
        #expect(routed(table, "shop.example.com.", "/") == "shop")
        #expect(IngressPlan.hostName("[fd00::1]:80") == "[fd00::1]")
        #expect(IngressPlan.hostName("[fd00::1]") == "[fd00::1]")
        #expect(IngressPlan.hostName("shop.example.com.:8443") == "shop.example.com")
        #expect(IngressPlan.hostName("caf\u{e9}.example:80") == "caf\u{e9}.example")
        #expect(IngressPlan.hostName(".") == "")
        #expect(IngressPlan.hostName("") == "")
    }

    @Test func unmatchedRequestsGoToTheDefaultBackendElse404() {
        let hosts = [IngressVirtualHost(host: .exact("shop.example.com"), paths: [path("/api", .prefix, to: "api")])]
        #expect(routed(plan(hosts, defaultBackend: true), "shop.example.com", "/other") == "default")
        #expect(routed(plan(hosts, defaultBackend: true), "elsewhere.example.com", "/api") == "default")
        #expect(routed(plan(hosts), "shop.example.com", "/other") == "404")
        let onlyDefault = plan([], defaultBackend: true)
        #expect(routed(onlyDefault, "anything", "/") == "default")
    }

    @Test func aMatchedHostDoesNotFallThroughToTheRulesWithoutHost() {
        // ingress-nginx serves each host as a server of its own: its unmatched paths go to
        // the default backend, not to the catch-all server's paths.
        let table = plan([
            IngressVirtualHost(host: .exact("shop.example.com"), paths: [path("/api", .prefix, to: "api")]),
            IngressVirtualHost(host: .any, paths: [path("/", .prefix, to: "any")]),
        ], defaultBackend: true)
        #expect(routed(table, "shop.example.com", "/web") == "default")
    }
}
