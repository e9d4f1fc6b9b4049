// The cluster DNS's part of a plan: off without an address; UDP and TCP on each; every
// Service by name (ClusterIPs, headless endpoints with their hostnames from Endpoints,
// EndpointSlices or Pods, ExternalName targets); the settings layered as every node
// setting is; upstreams from resolv.conf less our own address; and the errors.
import Testing
@testable import ServiceConfig

private let headless = """
    apiVersion: v1
    kind: Service
    metadata: {name: db, namespace: data}
    spec:
      clusterIP: None
      ports: [{name: pg, port: 5432, targetPort: 5432}]
    ---
    apiVersion: discovery.k8s.io/v1
    kind: EndpointSlice
    metadata: {name: db-abc, namespace: data, labels: {kubernetes.io/service-name: db}}
    addressType: IPv4
    endpoints:
    - {addresses: [10.1.0.1], hostname: db-0}
    - {addresses: [10.1.0.2], hostname: db-1, conditions: {ready: false}}
    - {addresses: [10.1.0.3]}
    ports: [{name: pg, port: 15432, protocol: TCP}]
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: mail, namespace: data}
    spec: {type: ExternalName, externalName: smtp.example.com.}
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: web, namespace: data}
    spec:
      clusterIP: 10.96.0.20
      ports: [{name: http, port: 80}, {name: stats, port: 81, protocol: UDP}]
    """

private let selectedPods = """
    apiVersion: v1
    kind: Service
    metadata: {name: workers, namespace: jobs}
    spec:
      clusterIP: None
      selector: {app: worker}
      ports: [{name: rpc, port: 7000, targetPort: rpc}]
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: worker-0, namespace: jobs, labels: {app: worker}}
    spec:
      hostname: worker-0
      subdomain: workers
      containers: [{name: w, image: w, ports: [{name: rpc, containerPort: 7001}]}]
    status: {podIP: 10.2.0.1, conditions: [{type: Ready, status: "True"}]}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: worker-1, namespace: jobs, labels: {app: worker}}
    spec:
      hostname: worker-1
      subdomain: someone-else
      containers: [{name: w, image: w, ports: [{name: rpc, containerPort: 7002}]}]
    status: {podIP: 10.2.0.2, conditions: [{type: Ready, status: "True"}]}
    """

private func plan(_ files: [String: String], flags: NodeSettingsOverrides = NodeSettingsOverrides(),
                  resolvConf: [IPAddress] = []) -> Result<LoadedPlan, ConfigErrors> {
    guard let fixture = try? ConfigFixture(files) else { return .failure(ConfigErrors([])) }
    var settings = NodeSettings(nodeAddresses: [IPAddress("127.0.0.1")!])
    settings.resolvConfNameservers = resolvConf
    return withExtendedLifetime(fixture) { Configuration.plan(paths: [fixture.directory], settings: settings, overrides: flags) }
}

private func dnsFlags(_ addresses: [String] = ["127.0.0.53:53"]) -> NodeSettingsOverrides {
    var flags = NodeSettingsOverrides()
    flags.dnsBindAddresses = addresses.compactMap { try? SettingsSyntax.dnsBindAddress($0).get() }
    return flags
}

private func service(_ dns: DNSPlan, _ name: String) throws -> ClusterNames.Service {
    try #require(dns.names.services.first { $0.name == name })
}

@Suite struct DNSPlanTests {
    @Test func withoutAnAddressThereIsNoDNS() throws {
        let loaded = try plan(["a.yaml": headless]).get()
        #expect(loaded.plan.dns == nil)
    }

    @Test func eachAddressServesUDPAndTCP() throws {
        let dns = try #require(try plan(["a.yaml": headless], flags: dnsFlags(["127.0.0.53:53", "[::1]:5353"])).get().plan.dns)
        #expect(dns.listenAddresses.map(\.description) == ["127.0.0.53:53/UDP", "127.0.0.53:53", "[::1]:5353/UDP", "[::1]:5353"])
        #expect(dns.listenAddresses.allSatisfy { $0.kind == .dns })
        #expect(dns.clusterDomain == "cluster.local" && dns.ttl == .seconds(5) && dns.udpSize == 1232)
    }

    @Test func aHeadlessServiceHasItsReadyEndpointsWithTheirHostnamesAndPortNumbers() throws {
        let dns = try #require(try plan(["a.yaml": headless], flags: dnsFlags()).get().plan.dns)
        let db = try service(dns, "db")
        guard case .headless(let endpoints) = db.target else { Issue.record("db is not headless: \(db.target)"); return }
        #expect(endpoints.map(\.ip.description) == ["10.1.0.1", "10.1.0.3"])
        #expect(endpoints.map(\.hostname) == ["db-0", nil])
        #expect(endpoints[0].ports == [ClusterNames.Port(name: "pg", protocol: .tcp, number: 15432)])
        #expect(db.ports == [ClusterNames.Port(name: "pg", protocol: .tcp, number: 5432)])
    }

    @Test func anExternalNameLosesItsFinalDotAndAProxiedServiceKeepsItsClusterIPAndEveryPort() throws {
        let dns = try #require(try plan(["a.yaml": headless], flags: dnsFlags()).get().plan.dns)
        #expect(try service(dns, "mail").target == .externalName("smtp.example.com"))
        let web = try service(dns, "web")
        #expect(web.target == .clusterIPs([IPAddress("10.96.0.20")!]))
        #expect(web.ports.map(\.name) == ["http", "stats"])
        #expect(web.ports.map(\.protocol) == [.tcp, .udp])
    }

    @Test func aPodIsNamedUnderTheServiceItsSubdomainNames() throws {
        let dns = try #require(try plan(["p.yaml": selectedPods], flags: dnsFlags()).get().plan.dns)
        guard case .headless(let endpoints) = try service(dns, "workers").target else { Issue.record("not headless"); return }
        #expect(endpoints.map(\.ip.description) == ["10.2.0.1", "10.2.0.2"])
        #expect(endpoints.map(\.hostname) == ["worker-0", nil])
        #expect(endpoints.map { $0.ports.map(\.number) } == [[7001], [7002]])
    }

    @Test func theDocumentSetsTheZoneAndTheFlagsWin() throws {
        let document = """
            apiVersion: svcproxy.io/v1alpha1
            kind: ProxyConfiguration
            dnsBindAddresses: ["127.0.0.53:53"]
            clusterDomain: cluster.example.
            dnsTTL: 30s
            dnsUDPSize: 4096
            dnsUpstreams: ["127.0.0.1:5300"]
            """
        let documented = try #require(try plan(["a.yaml": headless, "c.yaml": document]).get().plan.dns)
        #expect(documented.clusterDomain == "cluster.example" && documented.ttl == .seconds(30) && documented.udpSize == 4096)
        #expect(documented.upstreams.map(\.description) == ["127.0.0.1:5300"])
        var flags = NodeSettingsOverrides()
        flags.clusterDomain = "k8s.internal"
        flags.dnsUpstreams = DNSUpstreams.none
        let flagged = try #require(try plan(["a.yaml": headless, "c.yaml": document], flags: flags).get().plan.dns)
        #expect(flagged.clusterDomain == "k8s.internal" && flagged.upstreams.isEmpty && flagged.ttl == .seconds(30))
    }

    @Test func resolvConfNameserversAreTheDefaultUpstreamsLessOurOwnAddress() throws {
        let resolvers = [IPAddress("127.0.0.53")!, IPAddress("192.0.2.1")!]
        let dns = try #require(try plan(["a.yaml": headless], flags: dnsFlags(), resolvConf: resolvers).get().plan.dns)
        #expect(dns.upstreams.map(\.description) == ["192.0.2.1:53"])
    }

    @Test func aDNSAddressAServicePortHoldsIsAnError() throws {
        let flags = dnsFlags(["10.96.0.20:80"])
        let errors = plan(["a.yaml": headless], flags: flags).failureDescriptions
        #expect(errors.contains { $0.contains("--dns-bind-address") && $0.contains("10.96.0.20:80") && $0.contains("data/web:http listens there") })
    }

    @Test func settingsSyntaxSaysWhatIsAllowed() throws {
        #expect(SettingsSyntax.dnsBindAddress("0.0.0.0:53").failureText?.contains("wildcard") == true)
        #expect(SettingsSyntax.dnsBindAddress("127.0.0.53:53").failureText == nil)
        #expect(SettingsSyntax.clusterDomain("Cluster_Local").failureText?.contains("not a domain name") == true)
        #expect(SettingsSyntax.dnsTTL("2h").failureText?.contains("between 0s and 1h") == true)
        #expect(SettingsSyntax.dnsUDPSize(100).failureText?.contains("512") == true)
        #expect(try SettingsSyntax.dnsUpstreams(["127.0.0.1", "[::1]:5353"]).get() == .servers([
            IPPort(ip: IPAddress("127.0.0.1")!, port: 53), IPPort(ip: IPAddress("::1")!, port: 5353),
        ]))
        #expect(try SettingsSyntax.dnsUpstreams(["none"]).get() == DNSUpstreams.none)
        #expect(SettingsSyntax.dnsUpstreams(["none", "127.0.0.1"]).failureText?.contains("cannot be given with") == true)
        #expect(SettingsSyntax.dnsUpstream("resolver.example").failureText?.contains("not a nameserver address") == true)
    }

    @Test func anInvalidHostnameIsAnErrorAtItsField() {
        let bad = headless.replacingOccurrences(of: "hostname: db-0", with: "hostname: DB_0")
        let errors = plan(["a.yaml": bad]).failureDescriptions
        #expect(errors.contains { $0.contains("endpoints[0].hostname") && $0.contains("RFC 1123 label") })
    }

    @Test func aChangedZoneIsADNSChangeAndTheSameOneIsNot() throws {
        let before = try plan(["a.yaml": headless], flags: dnsFlags()).get().plan
        let same = try plan(["a.yaml": headless], flags: dnsFlags()).get().plan
        let after = try plan(["a.yaml": headless.replacingOccurrences(of: "10.96.0.20", with: "10.96.0.21")], flags: dnsFlags()).get().plan
        #expect(!PlanDiff(from: before, to: same).dnsChanged)
        let diff = PlanDiff(from: before, to: after)
        #expect(diff.dnsChanged)
        #expect(diff.kept.filter { $0.target == .dns }.count == 2)
    }
}

extension Result where Failure == ConfigErrors {
    var failureDescriptions: [String] {
        if case .failure(let errors) = self { return errors.errors.map(\.description) }
        return []
    }
}

extension Result where Failure == SettingsSyntaxError {
    var failureText: String? {
        if case .failure(let error) = self { return error.description }
        return nil
    }
}
