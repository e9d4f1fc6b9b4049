// The routing table the Ingresses of our class make: rules merged by host, conflicts and
// the default backend won by the oldest Ingress, backends resolved to service ports and
// endpoints as the service ports get them, listeners checked against the service ports',
// and the table as `check --print-plan` prints it.
import Testing
@testable import ServiceConfig

private func load(_ documents: String..., settings: NodeSettings = NodeSettings()) throws -> Result<LoadedPlan, ConfigErrors> {
    try ConfigFixture(["all.yaml": webService + "\n---\n" + documents.joined()]).plan(settings: settings)
}

private func paths(_ plan: IngressPlan?, host: String) -> [String] {
    let virtualHost = plan?.virtualHosts.first { $0.host.description == host }
    return (virtualHost?.paths ?? []).map { "\($0.path) \($0.type.rawValue) \($0.backend.written) \($0.ingress.name)" }
}

@Suite struct IngressPlanTests {
    @Test func rulesOfOneHostMergeAcrossIngressesAndTheOldestWinsAConflict() throws {
        let older = ingressYAML("a", created: "2024-01-01T00:00:00Z",
                                spec: ingressRule(host: "shop.example.com", "/api Prefix web:80", defaultBackend: "web:http"))
        let newer = ingressYAML("b", created: "2024-02-01T00:00:00Z",
                                spec: ingressRule(host: "shop.example.com", "/api/ ImplementationSpecific web:metrics", "/static Prefix web:9090",
                                                  "/api Exact web:metrics", defaultBackend: "web:metrics"))
        let loaded = try load(newer, older).get()
        let ingress = try #require(loaded.plan.ingress)
        #expect(paths(ingress, host: "shop.example.com") == [
            "/static Prefix web:9090 b", "/api Exact web:metrics b", "/api Prefix web:80 a",
        ])
        #expect(ingress.defaultBackend?.written == "web:http")
        #expect(ingress.defaultBackendIngress == ObjectKey(namespace: "shop", name: "a"))
        #expect(loaded.notes.contains { $0.hasSuffix("Ingress \"shop/b\" spec.rules[0].http.paths[0]: shop.example.com /api/ (ImplementationSpecific) "
                + "is not served: Ingress \"shop/a\" is older and routes the same host, path and type") })
        #expect(loaded.notes.contains { $0.hasSuffix("Ingress \"shop/b\" spec.defaultBackend: not used: Ingress \"shop/a\" is older "
                + "and its default backend is the one served") })
    }

    @Test func withinOneIngressTheFirstOfTwoEqualPathsIsServed() throws {
        let loaded = try load(ingressYAML("a", spec: ingressRule(host: "x.example.com", "/ Prefix web:80", "/ Prefix web:metrics"))).get()
        #expect(paths(loaded.plan.ingress, host: "x.example.com") == ["/ Prefix web:80 a"])
        #expect(loaded.notes.contains { $0.hasSuffix("spec.rules[0].http.paths[1]: x.example.com / (Prefix) is not served: "
                + "an earlier path of this Ingress routes the same host, path and type") })
    }

    @Test func withoutCreationTimesNamespaceAndNameDecideAndATimeComesFirst() throws {
        let first = ingressYAML("a", spec: ingressRule(host: "x.example.com", "/ Prefix web:80"))
        let second = ingressYAML("b", spec: ingressRule(host: "x.example.com", "/ Prefix web:metrics"))
        #expect(paths(try load(second, first).get().plan.ingress, host: "x.example.com") == ["/ Prefix web:80 a"])
        let dated = ingressYAML("z", created: "2030-01-01T00:00:00Z", spec: ingressRule(host: "x.example.com", "/ Prefix web:metrics"))
        #expect(paths(try load(first, dated).get().plan.ingress, host: "x.example.com") == ["/ Prefix web:metrics z"])
    }

    @Test func backendsResolveByPortNumberAndNameToTheServicePortAndItsEndpoints() throws {
        let loaded = try load(ingressYAML("a", spec: ingressRule(host: "x.example.com", "/a Prefix web:80", "/b Prefix web:metrics",
                                                                    "/c Prefix web:9090"))).get()
        let backends = try #require(loaded.plan.ingress).virtualHosts.flatMap(\.paths).map(\.backend)
        #expect(backends.map { "\($0.written) \($0.servicePort) \($0.endpoints.map(\.description))" } == [
            "web:80 shop/web:http [\"10.0.0.1:8080\", \"10.0.0.2:8080\"]",
            "web:metrics shop/web:metrics [\"10.0.0.1:9100\", \"10.0.0.2:9100\"]",
            "web:9090 shop/web:metrics [\"10.0.0.1:9100\", \"10.0.0.2:9100\"]",
        ])
        let servicePort = try #require(loaded.plan.servicePorts.first { $0.name.port == "http" })
        #expect(backends[0].endpoints == servicePort.endpoints, "the same endpoints as the service port")
    }

    @Test func aNamedTargetPortResolvesPerPodAsForTheServicePort() throws {
        let api = """
            apiVersion: v1
            kind: Service
            metadata: {name: api, namespace: shop}
            spec: {clusterIP: 10.96.0.20, selector: {app: api}, ports: [{name: http, port: 80, targetPort: web}]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: api-1, namespace: shop, labels: {app: api}}
            spec: {containers: [{name: c, ports: [{name: web, containerPort: 8081}]}]}
            status: {podIP: 10.1.0.5, conditions: [{type: Ready, status: "True"}]}
            ---

            """
        let loaded = try load(api, ingressYAML("a", spec: ingressRule(host: "x.example.com", "/ Prefix api:80"))).get()
        let backend = try #require(loaded.plan.ingress?.virtualHosts.first?.paths.first?.backend)
        #expect(backend.servicePort.description == "shop/api:http")
        #expect(backend.endpoints.map(\.description) == ["10.1.0.5:8081"])
    }

    @Test func anUnresolvableBackendIsKeptWithoutEndpointsAndANoteSaysWhy() throws {
        let external = """
            apiVersion: v1
            kind: Service
            metadata: {name: ext, namespace: shop}
            spec: {type: ExternalName, externalName: example.org}
            ---

            """
        let loaded = try load(external, ingressYAML("a", spec: ingressRule(
            host: "x.example.com", "/gone Prefix gone:80", "/port Prefix web:81", "/name Prefix web:grpc", "/ext Prefix ext:80"))).get()
        let backends = try #require(loaded.plan.ingress).virtualHosts.flatMap(\.paths).map(\.backend)
        #expect(backends.map(\.servicePort.description).sorted() == ["shop/ext:80", "shop/gone:80", "shop/web:81", "shop/web:grpc"])
        #expect(backends.allSatisfy { $0.endpoints.isEmpty })
        let notes = loaded.notes.joined(separator: "\n")
        #expect(notes.contains("Ingress \"shop/a\" spec.rules[0].http.paths[0].backend: gone:80: Service \"shop/gone\" does not exist: its requests get 503"))
        #expect(notes.contains("paths[1].backend: web:81: Service \"shop/web\" has no port 81: its requests get 503"))
        #expect(notes.contains("paths[2].backend: web:grpc: Service \"shop/web\" has no port named \"grpc\": its requests get 503"))
        #expect(notes.contains("paths[3].backend: ext:80: Service \"shop/ext\" is an ExternalName service, which has no endpoints to proxy to"))
    }

    @Test func aServiceOfAnotherNamespaceIsNotFound() throws {
        let loaded = try load(ingressYAML("a", namespace: "blog", spec: ingressRule(host: "x.example.com", "/ Prefix web:80"))).get()
        #expect(loaded.notes.contains { $0.contains("Service \"blog/web\" does not exist") })
    }

    @Test func resourceBackendsAndRulesWithoutHTTPAreNotedAndRouteNothing() throws {
        let spec = "{rules: [{host: a.example.com}, {http: {paths: [{path: /, pathType: Prefix, backend: {resource: {kind: Bucket, name: b}}}]}}]}"
        let loaded = try load(ingressYAML("a", spec: spec)).get()
        #expect(loaded.plan.ingress?.virtualHosts == [])
        #expect(loaded.notes.contains { $0.hasSuffix("Ingress \"shop/a\" spec.rules[0]: host a.example.com has no `http`: it routes nothing") })
        #expect(loaded.notes.contains { $0.hasSuffix("spec.rules[1].http.paths[0].backend: resource backend Bucket/b is not served: svcproxy serves Service backends only") })
    }

    @Test func anIngressListenerOnAServicePortsAddressIsAnErrorNamingBoth() throws {
        var settings = NodeSettings(nodeAddresses: [IPAddress("127.0.0.1")!])
        settings.ingressHTTPBindAddresses = [try SettingsSyntax.bindAddress("10.96.0.10:80").get()]
        let ours = ingressYAML("a", spec: ingressRule(host: "x.example.com", "/ Prefix web:80"))
        let fixture = try ConfigFixture(["web.yaml": webService, "ing.yaml": ours])
        guard case .failure(let errors) = fixture.plan(settings: settings) else {
            Issue.record("an Ingress listener on a ClusterIP's port must be refused")
            return
        }
        #expect(errors.description == "\(fixture.path("web.yaml")):10:5: Service \"shop/web\" is invalid: spec.ports[0]: "
                + "Duplicate value: 10.96.0.10:80: the Ingress controller listens there (--ingress-http-bind-address)")
        let theirs = ingressYAML("a", spec: ingressRule(host: "x.example.com", "/ Prefix web:80", className: "nginx"))
        #expect(throws: Never.self) { try ConfigFixture(["web.yaml": webService, "ing.yaml": theirs]).plan(settings: settings).get() }
    }

    @Test func tlsWithoutItsSecretLeavesTheHostsToTheDefaultCertificate() throws {
        let spec = "{tls: [{hosts: [x.example.com], secretName: x-tls}], defaultBackend: {service: {name: web, port: {number: 80}}}}"
        let loaded = try load(ingressYAML("a", spec: spec)).get()
        #expect(loaded.notes.contains { $0.hasSuffix("Ingress \"shop/a\" spec.tls[0].secretName: Secret \"shop/x-tls\" does not exist: "
                + "x.example.com gets the default certificate") })
        #expect(!loaded.notes.contains { $0.contains("not served yet") })
    }

    @Test func removedIngressVersionsNameNetworkingV1() throws {
        for version in ["extensions/v1beta1", "networking.k8s.io/v1beta1"] {
            let old = "apiVersion: \(version)\nkind: Ingress\nmetadata: {name: old, namespace: shop}\nspec: {backend: {serviceName: web, servicePort: 80}}\n"
            let errors = try ConfigFixture(["old.yaml": old]).errors()
            #expect(errors.count == 1)
            #expect(errors.first?.hasSuffix("old.yaml:1:13: Ingress \"shop/old\" is invalid: apiVersion: Invalid value: \"\(version)\": "
                    + "Ingress \(version) was removed in Kubernetes 1.22: write it as networking.k8s.io/v1 (`spec.defaultBackend`, "
                    + "backends as `service: {name, port: {number}}`, a `pathType` on every path)") == true, "\(errors)")
        }
    }

    @Test func printPlanShowsTheRoutingTableAfterTheServicePorts() throws {
        let spec = "{defaultBackend: \(backendYAML("web:http")), rules: [{host: shop.example.com, http: {paths: ["
            + "{path: /, pathType: Prefix, backend: \(backendYAML("web:80"))}, {path: /gone, pathType: Exact, backend: \(backendYAML("gone:80"))}]}},"
            + " {host: \"*.example.com\", http: {paths: [{path: /, pathType: ImplementationSpecific, backend: \(backendYAML("web:metrics"))}]}},"
            + " {http: {paths: [{path: /, pathType: Prefix, backend: \(backendYAML("web:9090"))}]}}]}"
        let printed = try load(ingressYAML("a", spec: spec)).get().plan.printed
        #expect(printed.hasSuffix("""
            Ingress HTTP (client header timeout 60s, upstream timeout 60s)
              listen   0.0.0.0:80 (Ingress HTTP)
              listen   [::]:80 (Ingress HTTP)
              host shop.example.com
                path /gone (Exact) -> shop/gone:80 (gone:80, Ingress shop/a)
                  no ready endpoints: requests get 503
                path / (Prefix) -> shop/web:http (web:80, Ingress shop/a)
                  endpoint 10.0.0.1:8080
                  endpoint 10.0.0.2:8080
              host *.example.com
                path / (ImplementationSpecific) -> shop/web:metrics (web:metrics, Ingress shop/a)
                  endpoint 10.0.0.1:9100
                  endpoint 10.0.0.2:9100
              host * (any host)
                path / (Prefix) -> shop/web:metrics (web:9090, Ingress shop/a)
                  endpoint 10.0.0.1:9100
                  endpoint 10.0.0.2:9100
              default backend -> shop/web:http (web:http, Ingress shop/a)
                endpoint 10.0.0.1:8080
                endpoint 10.0.0.2:8080

            """), "\(printed)")
        #expect(printed.hasPrefix("shop/web:http (TCP)"))
    }

    @Test func kubectlOutputOfAnIngressLoadsAsItIs() throws {
        let loaded = try loadFixture("ingress").get()
        let ingress = try #require(loaded.plan.ingress)
        #expect(paths(ingress, host: "shop.example.com") == ["/metrics Exact web:9090 shop", "/ Prefix web:http shop"])
        #expect(ingress.virtualHosts.first?.paths.first?.backend.endpoints.map(\.description) == ["10.244.1.7:9100"])
        #expect(ingress.defaultBackend == nil)
        #expect(!loaded.notes.contains { $0.contains("default certificate") }, "its Secret is in the fixture")
        #expect(ingress.printed.contains("no default backend: requests that match no rule get 404"))
    }
}
