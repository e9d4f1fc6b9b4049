// Allocation is stable: every surviving service keeps its NodePort and ClusterIP across
// restarts (derived from its name) and reloads (the previous plan's values are kept),
// with services added and removed around it.
import Testing
@testable import ServiceConfig

private func service(_ name: String, type: String = "NodePort", extra: String = "") -> String {
    """
    apiVersion: v1
    kind: Service
    metadata: {name: \(name)}
    spec:
      type: \(type)
      ports: [{name: http, port: 80}]\(extra)

    """
}

/// The node settings of these tests, with a NodePort or ClusterIP range of the test's own.
private func settings(nodePorts: ClosedRange<Int>? = nil, clusterIPs: [CIDR]? = nil) -> NodeSettings {
    var settings = NodeSettings(nodeAddresses: [IPAddress("127.0.0.1")].compactMap { $0 })
    if let nodePorts { settings.nodePortRange = nodePorts }
    if let clusterIPs { settings.serviceClusterIPRanges = clusterIPs }
    return settings
}

private func loadServices(_ names: [String], previous: Allocations? = nil, range: ClosedRange<Int> = 30000...32767) throws -> LoadedPlan {
    let text = names.map { service($0) }.joined(separator: "---\n")
    let (objects, errors) = ConfigLoader.load(text: text, file: "svc.yaml")
    return try Configuration.plan(objects: objects, settings: settings(nodePorts: range), previous: previous, loadErrors: errors).get()
}

@Suite struct AllocationTests {
    @Test func restartGivesEverySurvivingServiceTheSameValues() throws {
        let first = try loadServices(["a", "b", "c", "d"])
        let restarted = try loadServices(["b", "d", "e", "f"])  // a and c removed, e and f added, no memory
        for name in ["b", "d"] {
            let key = ObjectKey(namespace: "default", name: name)
            #expect(first.allocations.clusterIPs[key] == restarted.allocations.clusterIPs[key])
            let port = ServicePortName(service: key, port: "http")
            #expect(first.allocations.nodePorts[port] == restarted.allocations.nodePorts[port])
        }
    }

    @Test func reloadKeepsValuesEvenWhenANewServiceWouldCollide() throws {
        // A range of 3 ports makes collisions certain: only the previous plan can keep them.
        let first = try loadServices(["b", "c"], range: 30000...30002)
        let reloaded = try loadServices(["a", "b", "c"], previous: first.allocations, range: 30000...30002)
        for name in ["b", "c"] {
            let port = ServicePortName(service: ObjectKey(namespace: "default", name: name), port: "http")
            #expect(first.allocations.nodePorts[port] == reloaded.allocations.nodePorts[port])
        }
        #expect(Set(reloaded.allocations.nodePorts.values).count == 3)
        let again = try loadServices(["a", "c"], previous: reloaded.allocations, range: 30000...30002)
        for name in ["a", "c"] {
            let port = ServicePortName(service: ObjectKey(namespace: "default", name: name), port: "http")
            #expect(again.allocations.nodePorts[port] == reloaded.allocations.nodePorts[port])
        }
    }

    @Test func allocatedValuesLieInTheirRangesAndAreDistinct() throws {
        let names = (0..<200).map { "svc-\($0)" }
        let loaded = try loadServices(names)
        let ips = loaded.allocations.clusterIPs.values.flatMap { $0 }
        #expect(ips.count == 200)
        #expect(Set(ips).count == 200)
        #expect(ips.allSatisfy { Allocator.isAllocatable($0, in: CIDR("10.96.0.0/12")!) })
        let ports = Array(loaded.allocations.nodePorts.values)
        #expect(Set(ports).count == 200)
        #expect(ports.allSatisfy { (30000...32767).contains($0) })
    }

    @Test func fullRangeIsAnErrorNotAHang() throws {
        #expect(throws: ConfigErrors.self) { try loadServices(["a", "b", "c"], range: 30000...30001) }
    }

    @Test func aFullNodePortRangeIsAnErrorAtThePortThatFoundNone() throws {
        let third = """
            apiVersion: v1
            kind: Service
            metadata: {name: c}
            spec:
              type: NodePort
              ports:
              - {name: a, port: 80, nodePort: 30000}
              - {name: b, port: 81, nodePort: 30001}
              - name: c
                port: 82

            """
        let fixture = try ConfigFixture(["svc.yaml": third])
        #expect(fixture.errors(settings: settings(nodePorts: 30000...30001)) == [
            "\(fixture.path("svc.yaml")):9:5: Service \"default/c\" is invalid: spec.ports[2].nodePort: Invalid value: 0: "
                + "failed to allocate a nodePort: range is full (the range of valid ports is 30000-30001)",
        ])
    }

    @Test func aFullHealthCheckRangeIsAnErrorAtThePolicyThatAskedForIt() throws {
        let lb = """
            apiVersion: v1
            kind: Service
            metadata: {name: lb}
            spec:
              type: LoadBalancer
              ports: [{name: http, port: 80, nodePort: 30000}]
              externalTrafficPolicy: Local

            """
        let fixture = try ConfigFixture(["svc.yaml": lb])
        #expect(fixture.errors(settings: settings(nodePorts: 30000...30000)) == [
            "\(fixture.path("svc.yaml")):7:26: Service \"default/lb\" is invalid: spec.healthCheckNodePort: Invalid value: 0: "
                + "failed to allocate a HealthCheck NodePort 0: range is full (the range of valid ports is 30000-30000)",
        ])
    }

    @Test func aFullClusterIPRangeIsAnErrorAtTheAddressItsFamilyNeeded() throws {
        let text = ["a", "b", "c"].map { name in
            """
            apiVersion: v1
            kind: Service
            metadata: {name: \(name)}
            spec:
              ipFamilies: [IPv4]
              ports: [{port: 80}]

            """
        }.joined(separator: "---\n")
        let fixture = try ConfigFixture(["svc.yaml": text])
        // Two usable addresses.
        guard case .failure(let errors) = fixture.plan(settings: settings(clusterIPs: [CIDR("10.96.0.0/30")!])) else {
            Issue.record("three ClusterIPs fitted in a /30")
            return
        }
        let error = try #require(errors.errors.first)
        #expect(errors.errors.count == 1)
        #expect(error.object == "Service \"default/c\"")
        #expect(error.field == "spec.clusterIPs[0]")
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(error.location?.line == 1 + (lines.lastIndex { $0.contains("ipFamilies") } ?? 0), "at what asked for the address")
        #expect(error.description.hasSuffix("Invalid value: \"\": failed to allocate a serviceIP: range is full (the range of valid IPs is 10.96.0.0/30)"))
    }

    @Test func requireDualStackOnASingleStackClusterReportsThePolicyAndEachFamilyInTheAPIServersWords() throws {
        let yaml = service("dual", type: "ClusterIP", extra: "\n  ipFamilyPolicy: RequireDualStack\n  ipFamilies: [IPv6, IPv4]")
        let errors = try ConfigFixture(["svc.yaml": yaml]).errors()
        #expect(errors.count == 2)
        #expect(errors.first?.hasSuffix("Service \"default/dual\" is invalid: spec.ipFamilyPolicy: Invalid value: \"RequireDualStack\": "
            + "this cluster is not configured for dual-stack services") == true)
        #expect(errors.last?.hasSuffix("Service \"default/dual\" is invalid: spec.ipFamilies[0]: Invalid value: \"IPv6\": "
            + "not configured on this cluster") == true)
    }

    @Test func aHeadlessServiceWithASelectorHasItsFamiliesCheckedAndOneWithoutNot() throws {
        let families = "\n  clusterIP: None\n  ipFamilyPolicy: RequireDualStack\n  ipFamilies: [IPv6]"
        let selected = service("h", type: "ClusterIP", extra: families + "\n  selector: {app: h}")
        let errors = try ConfigFixture(["svc.yaml": selected]).errors()
        #expect(errors.count == 2)
        #expect(errors.first?.contains("spec.ipFamilyPolicy: Invalid value: \"RequireDualStack\"") == true)
        #expect(errors.last?.contains("spec.ipFamilies[0]: Invalid value: \"IPv6\": not configured on this cluster") == true)
        let unselected = service("h", type: "ClusterIP", extra: families)
        #expect(try ConfigFixture(["svc.yaml": unselected]).errors().isEmpty)
    }

    @Test func writtenValuesWinOverAllocation() throws {
        let yaml = service("late", extra: "\n  clusterIP: 10.96.0.10") + "---\n" + service("early")
        let (objects, errors) = ConfigLoader.load(text: yaml, file: "svc.yaml")
        let loaded = try Configuration.plan(objects: objects, settings: NodeSettings(), loadErrors: errors).get()
        #expect(loaded.allocations.clusterIPs[ObjectKey(namespace: "default", name: "late")] == [IPAddress("10.96.0.10")!])
    }

    @Test func duplicateClusterIPsAcrossServicesAreRejected() throws {
        let yaml = service("a", extra: "\n  clusterIP: 10.96.0.10") + "---\n" + service("b", extra: "\n  clusterIP: 10.96.0.10")
        let errors = try ConfigFixture(["svc.yaml": yaml]).errors()
        #expect(errors.count == 1)
        #expect(errors.first?.hasSuffix(":15:14: Service \"default/b\" is invalid: spec.clusterIPs[0]: Invalid value: \"10.96.0.10\": "
            + "failed to allocate IP 10.96.0.10: provided IP is already allocated to Service \"default/a\"") == true)
    }

    @Test func dualStackServiceGetsOneAddressPerFamily() throws {
        var settings = NodeSettings()
        settings.serviceClusterIPRanges = ["10.96.0.0/12", "fd00:10:96::/112"].compactMap(CIDR.init)
        let yaml = service("dual", type: "ClusterIP", extra: "\n  ipFamilyPolicy: PreferDualStack\n  ipFamilies: [IPv6]")
        let (objects, errors) = ConfigLoader.load(text: yaml, file: "svc.yaml")
        let loaded = try Configuration.plan(objects: objects, settings: settings, loadErrors: errors).get()
        let ips = loaded.allocations.clusterIPs[ObjectKey(namespace: "default", name: "dual")] ?? []
        #expect(ips.map(\.family) == [.ipv6, .ipv4])
    }
}

@Suite struct SettingsTests {
    @Test func proxyConfigurationIsOverriddenByFlags() throws {
        let yaml = """
            apiVersion: svcproxy.io/v1alpha1
            kind: ProxyConfiguration
            serviceNodePortRange: 20000-20010
            serviceClusterIPRange: 127.0.0.0/8
            nodePortAddresses: [127.0.0.1/32]
            workers: 3
            connectTimeout: 1m30s
            idleTimeout: 250ms
            metricsBindAddress: 127.0.0.1:10249
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec: {type: NodePort, ports: [{port: 80, nodePort: 20005}]}
            """
        let fixture = try ConfigFixture(["all.yaml": yaml])
        let loaded = try fixture.plan().get()
        #expect(loaded.settings.nodePortRange == 20000...20010)
        #expect(loaded.settings.workers == 3)
        #expect(loaded.settings.connectTimeout == .seconds(90))
        #expect(loaded.settings.idleTimeout == .milliseconds(250))
        #expect(loaded.settings.metricsBindAddress?.description == "127.0.0.1:10249")
        #expect(loaded.allocations.clusterIPs.values.flatMap { $0 }.allSatisfy { $0.bytes[0] == 127 })
        #expect(loaded.plan.servicePorts.first?.listenAddresses.filter { $0.kind == .nodePort }.map(\.description) == ["127.0.0.1:20005"])
        var flags = NodeSettingsOverrides()
        flags.nodePortRange = 30000...32767
        let overridden = withExtendedLifetime(fixture) { Configuration.plan(paths: [fixture.directory], settings: NodeSettings(), overrides: flags) }
        guard case .failure(let errors) = overridden else {
            Issue.record("the flag's range must apply")
            return
        }
        #expect(errors.description.contains("spec.ports[0].nodePort: Invalid value: 20005: provided port is not in the valid range. The range of valid ports is 30000-32767"))
    }

    @Test func settingsSyntaxIsCheckedInWords() {
        #expect((try? SettingsSyntax.portRange("30000-32767").get()) == 30000...32767)
        #expect((try? SettingsSyntax.portRange("32767-30000").get()) == nil)
        #expect((try? SettingsSyntax.clusterIPRanges("10.96.0.0/12,fd00::/108").get())?.count == 2)
        #expect((try? SettingsSyntax.clusterIPRanges("10.96.0.0/12,10.0.0.0/8").get()) == nil)
        #expect((try? SettingsSyntax.duration("1h2m3s").get()) == .seconds(3723))
        #expect((try? SettingsSyntax.duration("5 minutes").get()) == nil)
        #expect((try? SettingsSyntax.bindAddress("[::]:10256").get())?.description == "[::]:10256")
        #expect((try? SettingsSyntax.bindAddress("localhost:10256").get()) == nil)
    }

    @Test func unknownProxyConfigurationFieldsAreErrors() throws {
        let yaml = "apiVersion: svcproxy.io/v1alpha1\nkind: ProxyConfiguration\nnodeportAddresses: [127.0.0.1/32]\n"
        let errors = try ConfigFixture(["c.yaml": yaml]).errors()
        #expect(errors.first?.hasSuffix(":3:1: ProxyConfiguration is invalid: nodeportAddresses: Unknown field: did you mean nodePortAddresses?") == true)
    }
}
