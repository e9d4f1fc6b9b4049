// LoadBalancer Services without a cloud: in node mode the oldest Service wins a node
// address and port and a younger one waits until it frees; in pool mode every Service
// gets a stable address of its own (requested, remembered, else derived from its name),
// a full pool leaves the youngest pending, and Services of another class are left alone.
import Testing
@testable import ServiceConfig

private func balancer(_ name: String, port: Int = 80, created: String? = nil, spec: String = "", annotations: String = "") -> String {
    let stamp = created.map { ", creationTimestamp: \"\($0)\"" } ?? ""
    let annotated = annotations.isEmpty ? "" : ", annotations: {\(annotations)}"
    return """
    apiVersion: v1
    kind: Service
    metadata: {name: \(name)\(stamp)\(annotated)}
    spec:
      type: LoadBalancer
      ports: [{name: http, port: \(port)}]\(spec)

    """
}

private let nodeIP = IPAddress("192.0.2.10")!

private func plan(_ documents: [String], pools: [String] = [], previous: Allocations? = nil) throws -> LoadedPlan {
    var settings = NodeSettings(nodeAddresses: [nodeIP])
    settings.loadBalancerIPPools = pools.enumerated().map { index, text in
        LoadBalancerPool(name: index == 0 ? "default" : "pool\(index)", cidrs: text.split(separator: ",").compactMap { CIDR(String($0)) })
    }
    let (objects, errors) = ConfigLoader.load(text: documents.joined(separator: "---\n"), file: "svc.yaml")
    return try Configuration.plan(objects: objects, settings: settings, previous: previous, loadErrors: errors).get()
}

private func state(_ loaded: LoadedPlan, _ name: String) -> LoadBalancerState? {
    loaded.plan.loadBalancers.first { $0.service == ObjectKey(namespace: "default", name: name) }
}

private func loadBalancerListens(_ loaded: LoadedPlan, _ name: String) -> [String] {
    loaded.plan.servicePorts.filter { $0.name.service.name == name }.flatMap(\.listenAddresses)
        .filter { $0.kind == .loadBalancer }.map(\.description)
}

@Suite struct LoadBalancerAssignmentTests {
    // MARK: Node mode

    @Test func nodeModeServesOnTheNodeAddressAtThePort() throws {
        let loaded = try plan([balancer("web")])
        #expect(loadBalancerListens(loaded, "web") == ["192.0.2.10:80"])
        #expect(state(loaded, "web")?.addresses == [nodeIP])
        #expect(state(loaded, "web")?.pool == nil)
    }

    @Test func theOldestServiceWinsANodePortAndTheOtherIsPending() throws {
        // The younger is first in the file and first by name: only age decides.
        let loaded = try plan([balancer("a-young", created: "2024-05-01T00:00:00Z"), balancer("b-old", created: "2023-01-01T00:00:00Z")])
        #expect(loadBalancerListens(loaded, "b-old") == ["192.0.2.10:80"])
        #expect(loadBalancerListens(loaded, "a-young").isEmpty)
        #expect(state(loaded, "a-young")?.pendingReason == "192.0.2.10:80 is taken by default/b-old")
        // Not a note: check warns of it and the daemon logs it when it changes.
        #expect(!loaded.notes.contains { $0.contains("a-young") && $0.contains("pending") })
        #expect(loaded.plan.printed.contains("default/a-young: pending: 192.0.2.10:80 is taken by default/b-old"))
    }

    @Test func withoutTimestampsTheNameDecidesAndAStampedServiceComesFirst() throws {
        let loaded = try plan([balancer("b"), balancer("a")])
        #expect(state(loaded, "a")?.isPending == false)
        #expect(state(loaded, "b")?.isPending == true)
        let stamped = try plan([balancer("a"), balancer("b", created: "2024-05-01T00:00:00Z")])
        #expect(state(stamped, "b")?.isPending == false)
        #expect(state(stamped, "a")?.isPending == true)
    }

    @Test func thePendingServiceTakesOverWhenTheOwnerIsDeleted() throws {
        let loaded = try plan([balancer("second", created: "2024-05-01T00:00:00Z")])
        #expect(loadBalancerListens(loaded, "second") == ["192.0.2.10:80"])
    }

    @Test func servicesOnDifferentPortsOrTransportsShareTheNodeAddress() throws {
        let udp = balancer("dns", port: 53).replacingOccurrences(of: "port: 53}", with: "port: 53, protocol: UDP}")
        let loaded = try plan([balancer("web"), balancer("other", port: 8080), udp, balancer("dns-tcp", port: 53)])
        #expect(loaded.plan.loadBalancers.allSatisfy { !$0.isPending })
    }

    @Test func aNodePortOfAnotherServiceHoldsItsSocket() throws {
        let nodePort = """
        apiVersion: v1
        kind: Service
        metadata: {name: np}
        spec:
          type: NodePort
          ports: [{name: http, port: 80, nodePort: 30080}]

        """
        let loaded = try plan([nodePort, balancer("web", port: 30080, created: "2020-01-01T00:00:00Z")])
        #expect(state(loaded, "web")?.pendingReason == "192.0.2.10:30080 is taken by default/np")
    }

    @Test func aServiceWithAnAddressOfItsOwnIsServedThereAsBefore() throws {
        let loaded = try plan([balancer("web", spec: "\n  loadBalancerIP: 198.51.100.7")])
        #expect(loadBalancerListens(loaded, "web") == ["198.51.100.7:80"])
        #expect(state(loaded, "web") == nil)
    }

    @Test func anotherClassIsLeftToItsController() throws {
        let loaded = try plan([balancer("theirs", spec: "\n  loadBalancerClass: example.com/lb"),
                               balancer("ours", spec: "\n  loadBalancerClass: svcproxy.io/lb")])
        #expect(state(loaded, "theirs") == nil)
        #expect(loadBalancerListens(loaded, "theirs").isEmpty)
        #expect(loadBalancerListens(loaded, "ours") == ["192.0.2.10:80"])
        let pooled = try plan([balancer("theirs", spec: "\n  loadBalancerClass: example.com/lb")], pools: ["10.9.0.0/30"])
        #expect(pooled.plan.loadBalancers.isEmpty)
    }

    @Test func withoutNodePortsTheLoadBalancerAddressIsStillServed() throws {
        let loaded = try plan([balancer("web", spec: "\n  allocateLoadBalancerNodePorts: false")])
        #expect(loadBalancerListens(loaded, "web") == ["192.0.2.10:80"])
        #expect(loaded.allocations.nodePorts.isEmpty)
    }

    // MARK: Pool mode

    @Test func poolAllocationIsStableAcrossRestartsWhateverElseIsThere() throws {
        let first = try plan(["a", "b", "c"].map { balancer($0) }, pools: ["10.9.0.0/24"])
        let restarted = try plan(["c", "x", "a", "y"].map { balancer($0) }, pools: ["10.9.0.0/24"])
        for name in ["a", "c"] {
            #expect(state(first, name)?.addresses == state(restarted, name)?.addresses)
        }
        let addresses = first.plan.loadBalancers.flatMap(\.addresses)
        #expect(Set(addresses).count == 3)
        #expect(addresses.allSatisfy { CIDR("10.9.0.0/24")!.contains($0) && $0 != IPAddress("10.9.0.0") && $0 != IPAddress("10.9.0.255") })
        #expect(first.plan.loadBalancerPoolAddresses == Set(addresses))
        #expect(loadBalancerListens(first, "a") == [state(first, "a")?.addresses.first?.withPort(80)])
    }

    @Test func aReloadKeepsAddressesEvenWhereANewServiceWouldHashThere() throws {
        // A pool of two: collisions are certain, only the previous plan keeps them apart.
        let first = try plan([balancer("b")], pools: ["10.9.0.0/31"])
        let reloaded = try plan([balancer("a", created: "2020-01-01T00:00:00Z"), balancer("b")], pools: ["10.9.0.0/31"],
                                previous: first.allocations)
        #expect(state(reloaded, "b")?.addresses == state(first, "b")?.addresses)
        #expect(state(reloaded, "a")?.isPending == false)
    }

    @Test func aRequestedAddressInThePoolIsHonouredAndOneOutsideIsServedAsWritten() throws {
        let loaded = try plan([balancer("asks", spec: "\n  loadBalancerIP: 10.9.0.7"),
                               balancer("outside", spec: "\n  loadBalancerIP: 198.51.100.7")], pools: ["10.9.0.0/24"])
        #expect(state(loaded, "asks")?.addresses == [IPAddress("10.9.0.7")!])
        #expect(state(loaded, "asks")?.pool == "default")
        #expect(state(loaded, "outside") == nil)
        #expect(loadBalancerListens(loaded, "outside") == ["198.51.100.7:80"])
        #expect(!loaded.plan.loadBalancerPoolAddresses.contains(IPAddress("198.51.100.7")!))
    }

    @Test func aRequestedAddressTakenByAnOlderServiceLeavesTheYoungerPending() throws {
        let loaded = try plan([balancer("young", created: "2024-01-01T00:00:00Z", spec: "\n  loadBalancerIP: 10.9.0.7"),
                               balancer("old", created: "2023-01-01T00:00:00Z", spec: "\n  loadBalancerIP: 10.9.0.7")],
                              pools: ["10.9.0.0/24"])
        #expect(state(loaded, "old")?.addresses == [IPAddress("10.9.0.7")!])
        #expect(state(loaded, "young")?.pendingReason == "10.9.0.7 is taken by default/old")
        #expect(loadBalancerListens(loaded, "young").isEmpty)
    }

    @Test func aFullPoolLeavesTheYoungestPendingAndADeletionFreesItsAddress() throws {
        let services = [balancer("one", created: "2020-01-01T00:00:00Z"), balancer("two", created: "2021-01-01T00:00:00Z"),
                        balancer("three", created: "2022-01-01T00:00:00Z")]
        let full = try plan(services, pools: ["10.9.0.8/31"])
        #expect(state(full, "three")?.pendingReason == "no free address in pool default")
        #expect(state(full, "one")?.isPending == false && state(full, "two")?.isPending == false)
        let freed = try plan([services[1], services[2]], pools: ["10.9.0.8/31"], previous: full.allocations)
        #expect(state(freed, "three")?.addresses == state(full, "one")?.addresses)
        #expect(state(freed, "two")?.addresses == state(full, "two")?.addresses)
    }

    @Test func theAnnotationChoosesThePool() throws {
        let loaded = try plan([balancer("picky", annotations: "svcproxy.io/load-balancer-pool: pool1"),
                               balancer("lost", annotations: "svcproxy.io/load-balancer-pool: nowhere")],
                              pools: ["10.9.0.0/24", "10.8.0.0/24"])
        #expect(state(loaded, "picky")?.pool == "pool1")
        #expect(state(loaded, "picky")?.addresses.allSatisfy { CIDR("10.8.0.0/24")!.contains($0) } == true)
        #expect(state(loaded, "lost")?.isPending == true)
    }

    @Test func anIPv6PoolGivesIPv6Addresses() throws {
        let loaded = try plan([balancer("six")], pools: ["fd00:9::/120"])
        let address = try #require(state(loaded, "six")?.addresses.first)
        #expect(address.family == .ipv6 && CIDR("fd00:9::/120")!.contains(address) && address != IPAddress("fd00:9::"))
    }

    @Test func poolsAreReadFromTheProxyConfiguration() throws {
        let document = """
        apiVersion: svcproxy.io/v1alpha1
        kind: ProxyConfiguration
        loadBalancerIPPools:
        - {name: lan, addresses: [10.9.0.0/28]}
        loadBalancerAddresses: [192.0.2.0/24]

        """
        let (objects, errors) = ConfigLoader.load(text: document + "---\n" + balancer("web"), file: "svc.yaml")
        let loaded = try Configuration.plan(objects: objects, settings: NodeSettings(nodeAddresses: [nodeIP]), loadErrors: errors).get()
        #expect(loaded.settings.loadBalancerIPPools == [LoadBalancerPool(name: "lan", cidrs: [CIDR("10.9.0.0/28")!])])
        #expect(loaded.settings.loadBalancerAddresses == [CIDR("192.0.2.0/24")!])
        #expect(state(loaded, "web")?.pool == "lan")
    }
}

@Suite struct LoadBalancerNodeListenerTests {
    @Test func theIngressControllersWildcardPortHoldsItOnEveryNodeAddress() throws {
        let ingress = """
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: site}
        spec:
          ingressClassName: svcproxy
          defaultBackend: {service: {name: web, port: {number: 8080}}}

        """
        let loaded = try plan([ingress, balancer("web", port: 80), balancer("other", port: 8080)])
        #expect(state(loaded, "web")?.pendingReason == "192.0.2.10:80 is taken by the Ingress controller (--ingress-http-bind-address)")
        #expect(state(loaded, "other")?.isPending == false)
        let withoutIngress = try plan([balancer("web", port: 80)])
        #expect(state(withoutIngress, "web")?.isPending == false)
    }
}
