// `--udp-timeout` and `--udp-max-flows`, layered as every node setting is: the default,
// then the ProxyConfiguration document, then the flags, and the service's annotation over
// all of them for its own flows.
import Testing
@testable import ServiceConfig

private let proxyConfiguration = """
    apiVersion: svcproxy.io/v1alpha1
    kind: ProxyConfiguration
    udpTimeout: 45s
    udpMaxFlows: 1000
    """

private func plan(_ files: [String: String], flags: NodeSettingsOverrides = NodeSettingsOverrides()) throws -> LoadedPlan {
    let fixture = try ConfigFixture(files)
    return try withExtendedLifetime(fixture) {
        try Configuration.plan(paths: [fixture.directory], settings: NodeSettings(nodeAddresses: [IPAddress("127.0.0.1")!]),
                               overrides: flags).get()
    }
}

private func udpTimeout(of loaded: LoadedPlan) -> Duration? {
    loaded.plan.servicePorts.first { $0.protocol == .udp }?.udpTimeout
}

@Suite struct UDPSettingsTests {
    @Test func withoutSettingsFlowsIdleOutAfter30sAndTheEngineBoundsThem() throws {
        let loaded = try plan(["dns.yaml": dnsService])
        #expect(loaded.settings.udpTimeout == .seconds(30) && loaded.settings.udpMaxFlows == nil)
        #expect(udpTimeout(of: loaded) == .seconds(30))
        #expect(loaded.plan.connections.maxUDPFlows == nil)
    }

    @Test func theDocumentSetsThemTheFlagsWinAndTheAnnotationWinsForItsService() throws {
        let documented = try plan(["dns.yaml": dnsService, "config.yaml": proxyConfiguration])
        #expect(udpTimeout(of: documented) == .seconds(45))
        #expect(documented.plan.connections.maxUDPFlows == 1000)

        var flags = NodeSettingsOverrides()
        flags.udpTimeout = .seconds(120)
        flags.udpMaxFlows = 500
        let flagged = try plan(["dns.yaml": dnsService, "config.yaml": proxyConfiguration], flags: flags)
        #expect(udpTimeout(of: flagged) == .seconds(120))
        #expect(flagged.plan.connections.maxUDPFlows == 500)

        let annotated = dnsService.replacingOccurrences(
            of: "metadata: {name: dns, namespace: default}\nspec:",
            with: "metadata: {name: dns, namespace: default, annotations: {svcproxy.io/udp-timeout: 5s}}\nspec:")
        #expect(udpTimeout(of: try plan(["dns.yaml": annotated, "config.yaml": proxyConfiguration], flags: flags)) == .seconds(5))
    }

    @Test func aChangedFlowBoundIsANewRouteForEveryServicePort() throws {
        let before = try plan(["dns.yaml": dnsService])
        var flags = NodeSettingsOverrides()
        flags.udpMaxFlows = 10
        let after = try plan(["dns.yaml": dnsService], flags: flags)
        let diff = PlanDiff(from: before.plan, to: after.plan)
        #expect(diff.newRoutes.count == 2 && diff.opened.isEmpty && diff.closed.isEmpty)
    }

    @Test func theDocumentsValuesAreCheckedAtTheirLines() throws {
        let bad = "apiVersion: svcproxy.io/v1alpha1\nkind: ProxyConfiguration\nudpTimeout: 0s\nudpMaxFlows: 0\n"
        let fixture = try ConfigFixture(["config.yaml": bad])
        #expect(fixture.errors() == [
            "\(fixture.path("config.yaml")):3:13: ProxyConfiguration is invalid: udpTimeout: Invalid value: \"0s\": "
                + "'0s' must be more than 0s: a UDP flow ends only when it times out",
            "\(fixture.path("config.yaml")):4:14: ProxyConfiguration is invalid: udpMaxFlows: Invalid value: 0: "
                + "must be between 1 and 16777216, inclusive",
        ])
        let misspelled = try ConfigFixture(["config.yaml": "apiVersion: svcproxy.io/v1alpha1\nkind: ProxyConfiguration\nudpTimeOut: 1m\n"])
        #expect(misspelled.errors().first?.hasSuffix("udpTimeOut: Unknown field: did you mean udpTimeout?") == true, "\(misspelled.errors())")
    }

    @Test func theFlagsParsersRefuseWhatTheDocumentRefuses() {
        #expect((try? SettingsSyntax.udpTimeout("1m30s").get()) == .seconds(90))
        #expect((try? SettingsSyntax.udpTimeout("0s").get()) == nil)
        #expect((try? SettingsSyntax.udpTimeout("-1s").get()) == nil)
        #expect((try? SettingsSyntax.udpMaxFlows(1).get()) == 1)
        #expect((try? SettingsSyntax.udpMaxFlows(1 << 24).get()) == 1 << 24)
        #expect((try? SettingsSyntax.udpMaxFlows(0).get()) == nil)
        #expect((try? SettingsSyntax.udpMaxFlows((1 << 24) + 1).get()) == nil)
    }
}
