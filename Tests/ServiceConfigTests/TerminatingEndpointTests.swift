// Serving-terminating endpoints, as kube-proxy's CategorizeEndpoints uses them: the
// EndpointSlice conditions `endpoints[].conditions.serving` and `.terminating` (serving
// absent meaning serving), a fallback taken only when a policy's set has no ready
// endpoint, the Cluster and the Local set each on its own, the health-check NodePort
// counting ready local endpoints only, and Pods being deleted as the EndpointSlice
// controller writes them.
import Testing
@testable import ServiceConfig

private func plan(_ text: String) -> Result<LoadedPlan, ConfigErrors> {
    var settings = NodeSettings(nodeAddresses: [IPAddress("127.0.0.1")].compactMap { $0 })
    settings.nodeName = "node-a"
    let (objects, errors) = ConfigLoader.load(text: text, file: "svc.yaml")
    return Configuration.plan(objects: objects, settings: settings, loadErrors: errors)
}

private func service(type: String = "NodePort", protocol transport: String = "TCP", extra: String = "") -> String {
    """
    apiVersion: v1
    kind: Service
    metadata: {name: web}
    spec:
      type: \(type)
      ports: [{name: http, protocol: \(transport), port: 80, targetPort: 8080}]\(extra)

    """
}

/// A slice of `web` whose endpoints are the given flow mappings, each without braces.
private func slice(_ endpoints: String..., name: String = "web-1", protocol transport: String = "TCP") -> String {
    """
    apiVersion: discovery.k8s.io/v1
    kind: EndpointSlice
    metadata: {name: \(name), labels: {kubernetes.io/service-name: web}}
    addressType: IPv4
    ports: [{name: http, protocol: \(transport), port: 8080}]
    endpoints:
    \(endpoints.map { "- {\($0)}" }.joined(separator: "\n"))

    """
}

private let terminating = "conditions: {ready: false, serving: true, terminating: true}"

private func endpoint(_ ip: String) -> Endpoint { Endpoint(ip: IPAddress(ip)!, port: 8080) }

@Suite struct TerminatingEndpointTests {
    @Test func withNothingReadyTheServingTerminatingEndpointsTakeTheTraffic() throws {
        let loaded = try plan(service() + "---\n" + slice("addresses: [10.0.0.1], \(terminating)",
                                                          "addresses: [10.0.0.2], conditions: {ready: false}")).get()
        let port = try #require(loaded.plan.servicePorts.first)
        #expect(port.endpoints == [endpoint("10.0.0.1")])
        #expect(port.servingTerminating == [endpoint("10.0.0.1")])
    }

    @Test func oneReadyEndpointLeavesTheTerminatingOnesOut() throws {
        let loaded = try plan(service() + "---\n" + slice("addresses: [10.0.0.1], \(terminating)", "addresses: [10.0.0.2]")).get()
        let port = try #require(loaded.plan.servicePorts.first)
        #expect(port.endpoints == [endpoint("10.0.0.2")])
        #expect(port.servingTerminating.isEmpty)
    }

    @Test(arguments: [
        ("conditions: {ready: false, terminating: true}", true, "serving absent means serving, as kube-proxy reads it"),
        ("conditions: {ready: false, serving: false, terminating: true}", false, "not serving"),
        ("conditions: {ready: false, serving: true}", false, "serving but not terminating"),
        ("conditions: {ready: false, serving: true, terminating: false}", false, "terminating false"),
        ("conditions: {terminating: true}", true, "ready absent means ready; a ready endpoint is used as one"),
        ("conditions: {serving: true, terminating: true}", true, "ready absent"),
        (terminating, true, "the fallback"),
    ])
    func conditionsDecideWhetherAnEndpointServes(conditions: String, serves: Bool, why: String) throws {
        let loaded = try plan(service() + "---\n" + slice("addresses: [10.0.0.1], \(conditions)")).get()
        #expect(loaded.plan.servicePorts.first?.endpoints == (serves ? [endpoint("10.0.0.1")] : []), "\(why)")
    }

    @Test func conditionsThatAreNotBooleansAreErrorsAtTheirFields() throws {
        let text = service() + "---\n" + slice("addresses: [10.0.0.1], conditions: {ready: false, serving: yes-ish, terminating: 1}")
        guard case .failure(let errors) = plan(text) else {
            Issue.record("a serving that is not a boolean was taken")
            return
        }
        #expect(errors.errors.map(\.field) == ["endpoints[0].conditions.serving", "endpoints[0].conditions.terminating"])
        #expect(errors.errors.first?.description.contains("Invalid value: \"yes-ish\": must be a boolean") == true)
    }

    @Test func theLocalSetFallsBackOnItsOwnWhileTheClusterSetKeepsItsReadyEndpoints() throws {
        let text = service(type: "LoadBalancer", extra: "\n  externalTrafficPolicy: Local") + "---\n"
            + slice("addresses: [10.0.0.1], nodeName: node-a, \(terminating)", "addresses: [10.0.0.2], nodeName: node-b")
        let loaded = try plan(text).get()
        let port = try #require(loaded.plan.servicePorts.first)
        #expect(port.endpoints == [endpoint("10.0.0.2")], "ClusterIP traffic and the node's own clients")
        #expect(port.localEndpoints == [endpoint("10.0.0.1")], "Local traffic goes to this node's terminating endpoint")
        #expect(port.reachableEndpoints == [endpoint("10.0.0.2"), endpoint("10.0.0.1")])
        #expect(port.servingTerminating == [endpoint("10.0.0.1")])
        #expect(loaded.plan.healthChecks.first?.localEndpoints == 0, "the health check counts ready endpoints only: the load balancer drains")
    }

    @Test func aReadyLocalEndpointWinsOverALocalTerminatingOne() throws {
        let text = service(extra: "\n  externalTrafficPolicy: Local") + "---\n"
            + slice("addresses: [10.0.0.1], nodeName: node-a, \(terminating)", "addresses: [10.0.0.3], nodeName: node-a")
        let port = try #require(try plan(text).get().plan.servicePorts.first)
        #expect(port.localEndpoints == [endpoint("10.0.0.3")])
        #expect(port.endpoints == [endpoint("10.0.0.3")])
    }

    @Test func withoutALocalPolicyTheLocalEndpointsAreThoseOfTheClusterSet() throws {
        let text = service() + "---\n"
            + slice("addresses: [10.0.0.1], nodeName: node-a, \(terminating)", "addresses: [10.0.0.2], nodeName: node-b")
        let port = try #require(try plan(text).get().plan.servicePorts.first)
        #expect(port.endpoints == [endpoint("10.0.0.2")])
        #expect(port.localEndpoints == [], "no Local policy falls back to this node's terminating endpoint")
        #expect(port.reachableEndpoints == [endpoint("10.0.0.2")])
        let fallback = try #require(try plan(service() + "---\n" + slice("addresses: [10.0.0.1], nodeName: node-a, \(terminating)"))
            .get().plan.servicePorts.first)
        #expect(fallback.localEndpoints == [endpoint("10.0.0.1")], "the Cluster set's fallback, on this node")
    }

    @Test func udpPortsFallBackToo() throws {
        let loaded = try plan(service(protocol: "UDP") + "---\n" + slice("addresses: [10.0.0.1], \(terminating)", protocol: "UDP")).get()
        #expect(loaded.plan.servicePorts.first?.endpoints == [endpoint("10.0.0.1")])
    }

    @Test func anEndpointInTwoSlicesIsTheOneThatIsNotTerminating() throws {
        let text = service() + "---\n" + slice("addresses: [10.0.0.1], \(terminating)", "addresses: [10.0.0.2], \(terminating)")
            + "---\n" + slice("addresses: [10.0.0.1]", name: "web-2")
        let port = try #require(try plan(text).get().plan.servicePorts.first)
        #expect(port.endpoints == [endpoint("10.0.0.1")], "10.0.0.1 is ready in web-2, so the terminating 10.0.0.2 is not needed")
        #expect(port.servingTerminating.isEmpty)
    }

    @Test func aReadyPodBeingDeletedIsServingAndTerminating() throws {
        func pod(_ name: String, ip: String, deleting: Bool) -> String {
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: \(name), labels: {app: web}\(deleting ? ", deletionTimestamp: \"2024-01-01T00:00:00Z\"" : "")}
            spec: {nodeName: node-a, containers: [{name: c, image: x}]}
            status: {podIP: \(ip), conditions: [{type: Ready, status: "True"}]}

            """
        }
        let selector = "\n  selector: {app: web}"
        let deleting = try plan(service(extra: selector) + "---\n" + pod("a", ip: "10.0.0.1", deleting: true)).get()
        #expect(deleting.plan.servicePorts.first?.endpoints == [endpoint("10.0.0.1")])
        #expect(deleting.plan.servicePorts.first?.servingTerminating == [endpoint("10.0.0.1")])
        let both = try plan([service(extra: selector), pod("a", ip: "10.0.0.1", deleting: true), pod("b", ip: "10.0.0.2", deleting: false)]
            .joined(separator: "---\n")).get()
        #expect(both.plan.servicePorts.first?.endpoints == [endpoint("10.0.0.2")])
        let published = try plan(service(extra: selector + "\n  publishNotReadyAddresses: true") + "---\n"
                                 + pod("a", ip: "10.0.0.1", deleting: true)).get()
        #expect(published.plan.servicePorts.first?.servingTerminating == [], "publishNotReadyAddresses makes it ready, as the controller does")
    }

    @Test func printPlanMarksLocalAndTerminatingEndpointsAndTheHealthCheck() throws {
        let text = service(type: "LoadBalancer", extra: "\n  externalTrafficPolicy: Local\n  clusterIP: 10.96.0.10\n  healthCheckNodePort: 30555"
                                                      + "\n  ports: [{name: http, port: 80, targetPort: 8080, nodePort: 30080}]")
            .replacingOccurrences(of: "  ports: [{name: http, protocol: TCP, port: 80, targetPort: 8080}]", with: "")
            + "---\n" + slice("addresses: [10.0.0.1], nodeName: node-a, \(terminating)", "addresses: [10.0.0.2], nodeName: node-b")
        let printed = try plan(text).get().plan.printed
        #expect(printed == """
            default/web:http (TCP, externalTrafficPolicy Local)
              listen   10.96.0.10:80 (ClusterIP)
              listen   127.0.0.1:30080 (NodePort, Local)
              listen   127.0.0.1:80 (LoadBalancer, Local)
              endpoint 10.0.0.2:8080
              endpoint 10.0.0.1:8080 (local, serving and terminating, Local policy only)
            default/web (health-check NodePort 30555)
              listen   127.0.0.1:30555 (health check)
              0 local ready endpoints: answers 503
            load balancers
              default/web: 127.0.0.1 (node addresses)

            """)
    }

    @Test func printPlanSaysWhenALocalPolicyFindsNoEndpointOnThisNode() throws {
        let text = service(extra: "\n  internalTrafficPolicy: Local") + "---\n" + slice("addresses: [10.0.0.2], nodeName: node-b")
        let printed = try plan(text).get().plan.printed
        #expect(printed.contains("(ClusterIP, Local)\n"))
        #expect(printed.contains("  no endpoints on this node: under the Local policy connections are refused\n"))
        #expect(printed.contains("  endpoint 10.0.0.2:8080\n"))
    }
}
