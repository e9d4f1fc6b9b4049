// The traffic policies in the plan: which endpoints are local (by nodeName against
// --hostname-override, from each endpoint source), the health-check NodePort's allocation
// and its errors with Kubernetes' field paths, NodePorts on node addresses of the
// Service's families only, and the upper band NodePorts are derived in first.
import Testing
@testable import ServiceConfig

private let node = "node-a"

private func plan(_ text: String, nodeName: String = node, addresses: [String] = ["127.0.0.1", "::1"],
                  range: ClosedRange<Int> = 30000...32767, previous: Allocations? = nil) -> Result<LoadedPlan, ConfigErrors> {
    var settings = NodeSettings(nodeAddresses: addresses.compactMap(IPAddress.init))
    settings.nodeName = nodeName
    settings.nodePortRange = range
    settings.serviceClusterIPRanges = ["10.96.0.0/12", "fd00::/108"].compactMap(CIDR.init)
    let (objects, errors) = ConfigLoader.load(text: text, file: "svc.yaml")
    return Configuration.plan(objects: objects, settings: settings, previous: previous, loadErrors: errors)
}

private func service(_ name: String = "web", type: String = "NodePort", extra: String = "") -> String {
    """
    apiVersion: v1
    kind: Service
    metadata: {name: \(name)}
    spec:
      type: \(type)
      selector: {app: \(name)}
      ports: [{name: http, port: 80, targetPort: 8080}]\(extra)

    """
}

/// A slice of `web` with one endpoint on this node, one on another and one with no node.
private let slice = """
    apiVersion: discovery.k8s.io/v1
    kind: EndpointSlice
    metadata: {name: web-1, labels: {kubernetes.io/service-name: web}}
    addressType: IPv4
    ports: [{name: http, port: 8080}]
    endpoints:
    - {addresses: [127.0.0.2], nodeName: node-a}
    - {addresses: [127.0.0.3], nodeName: node-b}
    - {addresses: [127.0.0.4]}

    """

private func endpoint(_ ip: String, _ port: Int = 8080) -> Endpoint {
    Endpoint(ip: IPAddress(ip)!, port: port)
}

@Suite struct TrafficPolicyPlanTests {
    @Test func sliceEndpointsOnThisNodeAreLocalAndOnesWithoutANodeAreNot() throws {
        let loaded = try plan(service(extra: "\n  externalTrafficPolicy: Local") + "---\n" + slice).get()
        let port = try #require(loaded.plan.servicePorts.first)
        #expect(port.endpoints == [endpoint("127.0.0.2"), endpoint("127.0.0.3"), endpoint("127.0.0.4")])
        #expect(port.localEndpoints == [endpoint("127.0.0.2")])
        #expect(port.externalTrafficPolicy == .local)
    }

    @Test func listenerKindsChooseThePolicyThatCoversThem() throws {
        let loaded = try plan(service(extra: "\n  externalTrafficPolicy: Local\n  externalIPs: [192.0.2.10]") + "---\n" + slice).get()
        let port = try #require(loaded.plan.servicePorts.first)
        #expect(port.isLocalOnly(.nodePort))
        #expect(port.isLocalOnly(.externalIP))
        #expect(port.isLocalOnly(.loadBalancer))
        #expect(!port.isLocalOnly(.clusterIP), "internalTrafficPolicy is Cluster")
        let internalOnly = try plan(service(type: "ClusterIP", extra: "\n  internalTrafficPolicy: Local") + "---\n" + slice).get()
        let internalPort = try #require(internalOnly.plan.servicePorts.first)
        #expect(internalPort.isLocalOnly(.clusterIP))
        #expect(!internalPort.isLocalOnly(.nodePort))
    }

    @Test func anotherNodeNameMakesOtherEndpointsLocal() throws {
        let loaded = try plan(service() + "---\n" + slice, nodeName: "node-b").get()
        #expect(loaded.plan.servicePorts.first?.localEndpoints == [endpoint("127.0.0.3")])
        let none = try plan(service() + "---\n" + slice, nodeName: "").get()
        #expect(none.plan.servicePorts.first?.localEndpoints == [], "with no node name nothing is local")
    }

    @Test func endpointsAndPodsCarryTheirNodeNames() throws {
        let endpoints = """
            apiVersion: v1
            kind: Endpoints
            metadata: {name: web}
            subsets:
            - addresses: [{ip: 127.0.0.2, nodeName: node-a}, {ip: 127.0.0.3, nodeName: node-b}]
              ports: [{name: http, port: 8080}]

            """
        let fromEndpoints = try plan(service() + "---\n" + endpoints).get()
        #expect(fromEndpoints.plan.servicePorts.first?.localEndpoints == [endpoint("127.0.0.2")])
        let pods = ["node-a", "node-b"].enumerated().map { index, nodeName in
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: web-\(index), labels: {app: web}}
            spec: {nodeName: \(nodeName), containers: [{name: c, image: x}]}
            status: {podIP: 127.0.0.\(index + 2), conditions: [{type: Ready, status: "True"}]}

            """
        }
        let fromPods = try plan(([service()] + pods).joined(separator: "---\n")).get()
        #expect(fromPods.plan.servicePorts.first?.endpoints.count == 2)
        #expect(fromPods.plan.servicePorts.first?.localEndpoints == [endpoint("127.0.0.2")])
    }

    @Test func hostnameOverrideInTheProxyConfigurationNamesTheNode() throws {
        let config = """
            apiVersion: svcproxy.io/v1alpha1
            kind: ProxyConfiguration
            hostnameOverride: Node-B

            """
        let loaded = try plan(config + "---\n" + service() + "---\n" + slice).get()
        #expect(loaded.settings.nodeName == "node-b", "lowercased, as kube-proxy does")
        #expect(loaded.plan.servicePorts.first?.localEndpoints == [endpoint("127.0.0.3")])
    }

    // MARK: Health-check NodePorts

    @Test func aLocalLoadBalancerGetsAHealthCheckNodePortCountingLocalIPs() throws {
        let lb = """
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec:
              type: LoadBalancer
              externalTrafficPolicy: Local
              ports: [{name: http, port: 80, targetPort: 8080}, {name: alt, port: 81, targetPort: 8081}]

            """
        let twoPorts = """
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: web-1, labels: {kubernetes.io/service-name: web}}
            addressType: IPv4
            ports: [{name: http, port: 8080}, {name: alt, port: 8081}]
            endpoints:
            - {addresses: [127.0.0.2], nodeName: node-a}
            - {addresses: [127.0.0.3], nodeName: node-b}

            """
        let loaded = try plan(lb + "---\n" + twoPorts).get()
        let key = ObjectKey(namespace: "default", name: "web")
        let port = try #require(loaded.allocations.healthCheckNodePorts[key])
        #expect((30000...32767).contains(port))
        #expect(!loaded.allocations.nodePorts.values.contains(port))
        let check = try #require(loaded.plan.healthChecks.first)
        #expect(check.port == port)
        #expect(check.localEndpoints == 1, "one IP on two ports is one endpoint")
        #expect(check.addresses == [IPAddress("127.0.0.1")!], "the Service is IPv4 only")
        #expect(loaded.notes.contains { $0.contains("allocated healthCheckNodePort \(port)") })
        // Kept over a reload, and by a restart (derived from the name).
        #expect(try plan(lb + "---\n" + twoPorts, previous: loaded.allocations).get().allocations.healthCheckNodePorts[key] == port)
        #expect(try plan(lb).get().allocations.healthCheckNodePorts[key] == port)
    }

    @Test func clusterPolicyAndNodePortServicesGetNoHealthCheckNodePort() throws {
        let loaded = try plan(service(type: "LoadBalancer") + "---\n" + service("np", extra: "\n  externalTrafficPolicy: Local")).get()
        #expect(loaded.allocations.healthCheckNodePorts.isEmpty)
        #expect(loaded.plan.healthChecks.isEmpty)
    }

    @Test func aWrittenHealthCheckNodePortIsKeptAndZeroMeansAllocate() throws {
        let written = try plan(service(type: "LoadBalancer", extra: "\n  externalTrafficPolicy: Local\n  healthCheckNodePort: 30555")).get()
        #expect(written.allocations.healthCheckNodePorts[ObjectKey(namespace: "default", name: "web")] == 30555)
        let zero = try plan(service(type: "LoadBalancer", extra: "\n  externalTrafficPolicy: Local\n  healthCheckNodePort: 0")).get()
        #expect(zero.allocations.healthCheckNodePorts[ObjectKey(namespace: "default", name: "web")] != nil)
    }

    @Test func aHealthCheckNodePortOnAServiceThatNeedsNoneIsTheAPIServersError() throws {
        let errors = try #require(plan(service(type: "LoadBalancer", extra: "\n  healthCheckNodePort: 30555")).failure).errors
        #expect(errors.map(\.field) == ["spec.healthCheckNodePort"])
        #expect(errors.first?.description.contains(
            "Invalid value: 30555: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'") == true)
    }

    @Test func aHealthCheckNodePortOutOfRangeIsAnErrorAtItsField() throws {
        let errors = try #require(plan(service(type: "LoadBalancer", extra: "\n  externalTrafficPolicy: Local\n  healthCheckNodePort: 40000"))
            .failure).errors
        #expect(errors.map(\.field) == ["spec.healthCheckNodePort"])
        #expect(errors.first?.description.contains("provided port is not in the valid range") == true)
    }

    @Test func aHealthCheckNodePortOnAnotherServicesNodePortNamesIt() throws {
        let first = service("a", extra: "\n  ports: [{name: http, port: 80, nodePort: 30600}]").replacingOccurrences(
            of: "  ports: [{name: http, port: 80, targetPort: 8080}]\n", with: "")
        let second = service("b", type: "LoadBalancer", extra: "\n  externalTrafficPolicy: Local\n  healthCheckNodePort: 30600")
        let errors = try #require(plan(first + "---\n" + second).failure).errors
        #expect(errors.map(\.field) == ["spec.healthCheckNodePort"])
        #expect(errors.first?.description.contains("provided port is already allocated to Service \"default/a\"") == true)
        #expect(errors.first?.object == "Service \"default/b\"")
    }

    @Test func aFullRangeIsAnErrorAtTheHealthCheckField() throws {
        let errors = try #require(plan(service(type: "LoadBalancer", extra: "\n  externalTrafficPolicy: Local"), range: 30000...30000)
            .failure).errors
        #expect(errors.map(\.field) == ["spec.healthCheckNodePort"])
    }

    // MARK: NodePort addresses and bands

    @Test func nodePortsListenOnlyOnNodeAddressesOfTheServicesFamilies() throws {
        let single = try plan(service()).get()
        let nodePorts = try #require(single.plan.servicePorts.first).listenAddresses.filter { $0.kind == .nodePort }
        #expect(nodePorts.map(\.ip) == [IPAddress("127.0.0.1")!])
        let dual = try plan(service(extra: "\n  ipFamilyPolicy: RequireDualStack")).get()
        let dualPorts = try #require(dual.plan.servicePorts.first).listenAddresses.filter { $0.kind == .nodePort }
        #expect(Set(dualPorts.map(\.ip)) == [IPAddress("127.0.0.1")!, IPAddress("::1")!])
        let six = try plan(service(extra: "\n  ipFamilies: [IPv6]")).get()
        #expect(try #require(six.plan.servicePorts.first).listenAddresses.filter { $0.kind == .nodePort }.map(\.ip) == [IPAddress("::1")!])
    }

    @Test func theLowerBandIsTheAPIServersOffset() {
        #expect(Allocator.lowerBandSize(of: 30000...32767) == 86)  // 2768 / 32
        #expect(Allocator.lowerBandSize(of: 30000...30099) == 16)
        #expect(Allocator.lowerBandSize(of: 1...65535) == 128)
        #expect(Allocator.lowerBandSize(of: 30000...30009) == 0)
        #expect(Allocator.lowerBandSize(of: 30000...30015) == 0, "16 ports: a band of 16 would be the whole range")
        #expect(Allocator.lowerBandSize(of: 30000...30016) == 16)
    }

    @Test(arguments: [30015, 30016])
    func smallRangesAllocateEveryPort(upper: Int) throws {
        let count = upper - 30000 + 1
        let names = (0..<count).map { "svc-\($0)" }
        let loaded = try plan(names.map { service($0) }.joined(separator: "---\n"), range: 30000...upper).get()
        #expect(Set(loaded.allocations.nodePorts.values) == Set(30000...upper))
        #expect(try #require(plan(names.map { service($0) }.joined(separator: "---\n") + "---\n" + service("one-more"), range: 30000...upper)
            .failure).errors.map(\.field) == ["spec.ports[0].nodePort"])
    }

    @Test func aSeventeenPortRangeDerivesItsOneUpperPortFirst() throws {
        let loaded = try plan(service(), range: 30000...30016).get()
        #expect(Array(loaded.allocations.nodePorts.values) == [30016])
    }

    @Test func derivedPortsOutsideTheLowerBandStayWhereTheyWereBeforeTheBands() throws {
        let range = 30000...32767
        let band = Allocator.lowerBandSize(of: range)
        var kept = 0, moved = 0
        for index in 0..<200 {
            let name = "svc-\(index)"
            let loaded = try plan(service(name), range: range).get()
            let port = try #require(loaded.allocations.nodePorts.values.first)
            // The name derivation hashes, as `derive` is given it.
            let before = Allocator.unbandedStart(for: "\(try #require(loaded.allocations.nodePorts.keys.first))", in: range)
            if before >= range.lowerBound + band {
                #expect(port == before, "\(name) kept its port")
                kept += 1
            } else {
                #expect(port >= range.lowerBound + band, "\(name) moved out of the lower band")
                moved += 1
            }
        }
        #expect(kept > 180 && moved > 0)
    }

    @Test func aHealthCheckNodePortOnTheServicesOwnRememberedNodePortMovesTheNodePort() throws {
        let key = ObjectKey(namespace: "default", name: "web")
        let lb = service(type: "LoadBalancer", extra: "\n  externalTrafficPolicy: Local")
        let first = try plan(lb).get()
        let nodePort = try #require(first.allocations.nodePorts.values.first)
        let second = try plan(service(type: "LoadBalancer", extra: "\n  externalTrafficPolicy: Local\n  healthCheckNodePort: \(nodePort)"),
                              previous: first.allocations).get()
        #expect(second.allocations.healthCheckNodePorts[key] == nodePort)
        #expect(second.allocations.nodePorts.values.first != nodePort, "one port cannot serve both")
    }

    @Test func derivedNodePortsTakeTheUpperBandFirstThenTheLower() throws {
        let names = (0..<84).map { "svc-\($0)" }
        let upper = try plan(names.map { service($0) }.joined(separator: "---\n"), range: 30000...30099).get()
        #expect(upper.allocations.nodePorts.values.allSatisfy { $0 >= 30016 }, "84 of the upper band's 84 ports")
        let more = (0..<90).map { "svc-\($0)" }
        let spilled = try plan(more.map { service($0) }.joined(separator: "---\n"), range: 30000...30099).get()
        #expect(spilled.allocations.nodePorts.values.filter { $0 < 30016 }.count == 6)
        #expect(Set(spilled.allocations.nodePorts.values).count == 90)
    }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
