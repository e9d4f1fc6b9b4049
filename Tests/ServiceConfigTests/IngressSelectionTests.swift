// Which Ingresses are svcproxy's: every rule of IngressSelection.swift, each Ingress
// routing a host of its own name so that the plan shows which were served.
import Testing
@testable import ServiceConfig

private let nginx = ingressClassYAML("nginx", controller: "k8s.io/ingress-nginx")
private let nginxDefault = ingressClassYAML("nginx", controller: "k8s.io/ingress-nginx", isDefault: true)
private let oursDefault = ingressClassYAML("svcproxy", controller: IngressClass.svcproxyController, isDefault: true)

/// An Ingress routing `<name>.example.com` to shop/web.
private func named(_ name: String, className: String? = nil, annotation: String? = nil) -> String {
    ingressYAML(name, annotations: annotation.map { "{kubernetes.io/ingress.class: \($0)}" },
                spec: ingressRule(host: "\(name).example.com", "/ Prefix web:80", className: className))
}

private func plan(_ documents: String..., settings: NodeSettings = NodeSettings()) throws -> Result<LoadedPlan, ConfigErrors> {
    try ConfigFixture(["all.yaml": webService + "\n---\n" + documents.joined()]).plan(settings: settings)
}

@Suite struct IngressSelectionTests {
    @Test func withoutIngressClassesTheClassNameDecides() throws {
        let result = try plan(named("plain"), named("ours", className: "svcproxy"), named("theirs", className: "nginx"))
        #expect(result.servedHosts == ["ours.example.com", "plain.example.com"])
        #expect(result.notes.contains { $0.hasSuffix("Ingress \"shop/theirs\" skipped: its class \"nginx\" is not svcproxy's class "
                + "\"svcproxy\" (--ingress-class), and no IngressClass \"nginx\" names the controller svcproxy.io/ingress-controller") })
    }

    @Test func anIngressClassDecidesByItsController() throws {
        let edge = ingressClassYAML("edge", controller: IngressClass.svcproxyController)
        let taken = ingressClassYAML("svcproxy", controller: "k8s.io/ingress-nginx")
        let result = try plan(edge, taken, named("edge", className: "edge"), named("taken", className: "svcproxy"))
        #expect(result.servedHosts == ["edge.example.com"])
        #expect(result.notes.contains { $0.hasSuffix("Ingress \"shop/taken\" skipped: its class \"svcproxy\" is IngressClass \"svcproxy\" of controller k8s.io/ingress-nginx") })
    }

    @Test func theDeprecatedAnnotationCountsAsTheClassName() throws {
        let result = try plan(named("annotated", annotation: "svcproxy"), named("other", annotation: "nginx"))
        #expect(result.servedHosts == ["annotated.example.com"])
        #expect(result.notes.contains { $0.contains("Ingress \"shop/other\" skipped: its class \"nginx\" (annotation kubernetes.io/ingress.class) is not svcproxy's") })
    }

    @Test func anIngressWithoutClassIsOursUnlessAnotherControllersClassIsTheDefault() throws {
        #expect(try plan(nginx, named("plain")).servedHosts == ["plain.example.com"], "a class that is not the default changes nothing")
        let other = try plan(nginxDefault, named("plain"))
        #expect(other.servedHosts == [])
        #expect(other.notes.contains { $0.hasSuffix("Ingress \"shop/plain\" skipped: it names no class, and the default class is "
                + "IngressClass \"nginx\" of controller k8s.io/ingress-nginx") })
        #expect(try plan(oursDefault, named("plain")).servedHosts == ["plain.example.com"])
        #expect(try plan(oursDefault, nginxDefault, named("plain")).servedHosts == ["plain.example.com"], "ours is a default too")
    }

    @Test func ingressClassFlagChoosesTheClassName() throws {
        var settings = NodeSettings()
        settings.ingressClass = "edge"
        let result = try plan(named("edge", className: "edge"), named("ours", className: "svcproxy"), settings: settings)
        #expect(result.servedHosts == ["edge.example.com"])
        #expect(result.notes.contains { $0.contains("is not svcproxy's class \"edge\" (--ingress-class)") })
    }

    @Test func withoutAnIngressOfOursThePlanHasNoIngress() throws {
        let loaded = try plan(named("theirs", className: "nginx")).get()
        #expect(loaded.plan.ingress == nil)
        #expect(try ConfigFixture(["web.yaml": webService]).plan().get().plan.ingress == nil)
    }
}

@Suite struct IngressSettingsTests {
    private let document = """
        apiVersion: svcproxy.io/v1alpha1
        kind: ProxyConfiguration
        ingressClass: edge
        ingressHTTPBindAddresses: [127.0.0.1:8080, "[::1]:8080"]
        ingressClientHeaderTimeout: 10s
        ingressUpstreamTimeout: 2m
        """

    @Test func defaultsListenOnPort80OfEveryAddressWithOneMinuteTimeouts() throws {
        let loaded = try plan(named("plain")).get()
        let ingress = try #require(loaded.plan.ingress)
        #expect(ingress.listenAddresses.map { "\($0) \($0.kind)" } == ["0.0.0.0:80 ingressHTTP", "[::]:80 ingressHTTP"])
        #expect(ingress.settings == IngressSettings(clientHeaderTimeout: .seconds(60), upstreamTimeout: .seconds(60)))
        #expect(loaded.settings.ingressClass == "svcproxy")
    }

    @Test func theProxyConfigurationSetsThemAndFlagsWin() throws {
        let fixture = try ConfigFixture(["a.yaml": document, "b.yaml": webService + "\n---\n" + named("edge", className: "edge")])
        let fromDocument = try Configuration.plan(paths: [fixture.directory], settings: NodeSettings()).get()
        #expect(fromDocument.settings.ingressClass == "edge")
        let ingress = try #require(fromDocument.plan.ingress)
        #expect(ingress.listenAddresses.map(\.description) == ["127.0.0.1:8080", "[::1]:8080"])
        #expect(ingress.settings == IngressSettings(clientHeaderTimeout: .seconds(10), upstreamTimeout: .seconds(120)))

        var flags = NodeSettingsOverrides()
        flags.ingressClass = "svcproxy"
        flags.ingressHTTPBindAddresses = [try SettingsSyntax.ingressBindAddress("192.0.2.1:80").get()]
        flags.ingressUpstreamTimeout = .seconds(5)
        let fromFlags = try Configuration.plan(paths: [fixture.directory], settings: NodeSettings(), overrides: flags).get()
        #expect(fromFlags.plan.ingress == nil, "the flag's class is not the Ingress's")
        #expect(fromFlags.settings.ingressHTTPBindAddresses.map(\.description) == ["192.0.2.1:80"])
        #expect(fromFlags.settings.ingressClientHeaderTimeout == .seconds(10), "the document's value where no flag is given")
        #expect(fromFlags.settings.ingressUpstreamTimeout == .seconds(5))
    }

    @Test func badValuesInTheDocumentAreErrors() throws {
        let bad = """
            apiVersion: svcproxy.io/v1alpha1
            kind: ProxyConfiguration
            ingressClass: Edge_Class
            ingressHTTPBindAddresses: []
            ingressClientHeaderTimeout: 0s
            ingressUpstreamTimeout: soon
            """
        let errors = try ConfigFixture(["p.yaml": bad]).errors().joined(separator: "\n")
        #expect(errors.contains(":3:15: ProxyConfiguration is invalid: ingressClass: Invalid value: \"Edge_Class\": 'Edge_Class' is not a class name"))
        #expect(errors.contains(":4:27: ProxyConfiguration is invalid: ingressHTTPBindAddresses: Invalid value: []: must hold at least one address"))
        #expect(errors.contains(":5:29: ProxyConfiguration is invalid: ingressClientHeaderTimeout: Invalid value: \"0s\": '0s' must be more than 0s"))
        #expect(errors.contains(":6:25: ProxyConfiguration is invalid: ingressUpstreamTimeout: Invalid value: \"soon\": 'soon' is not a duration"))
    }

    @Test func flagSyntaxRefusesWhatCannotServe() {
        #expect((try? SettingsSyntax.ingressBindAddress("0.0.0.0:0").get()) == nil)
        #expect((try? SettingsSyntax.ingressBindAddress("[::]:8080").get())?.description == "[::]:8080")
        #expect((try? SettingsSyntax.timeout("0").get()) == nil)
        #expect((try? SettingsSyntax.timeout("1.5s").get()) == .milliseconds(1500))
        #expect((try? SettingsSyntax.ingressClassName("nginx.example.com").get()) == "nginx.example.com")
        #expect((try? SettingsSyntax.ingressClassName("-x").get()) == nil)
    }
}
