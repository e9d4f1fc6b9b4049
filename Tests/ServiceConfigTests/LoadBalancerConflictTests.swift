// LoadBalancer assignment where other things hold addresses and ports: svcproxy's own
// addresses on the node (ClusterIPs, external IPs, marked ones) are never node-mode
// addresses and a conflict leaves a Service pending rather than failing the plan; the
// admin endpoints hold their ports; a pool never hands out an address something else has;
// a Service that holds an address or port keeps it against a newcomer.
import Foundation
import Testing
@testable import ServiceConfig

private let nodeIP = IPAddress("192.0.2.10")!

private func service(_ name: String, type: String = "LoadBalancer", port: Int = 80, created: String? = nil, spec: String = "") -> String {
    let stamp = created.map { ", creationTimestamp: \"\($0)\"" } ?? ""
    return """
    apiVersion: v1
    kind: Service
    metadata: {name: \(name)\(stamp)}
    spec:
      type: \(type)
      ports: [{name: http, port: \(port)}]\(spec)

    """
}

private func load(_ documents: [String], nodeAddresses: [String] = ["192.0.2.10"], pools: [String] = [], previous: Allocations? = nil,
                  _ adjust: (inout NodeSettings) -> Void = { _ in }) -> Result<LoadedPlan, ConfigErrors> {
    var settings = NodeSettings(nodeAddresses: nodeAddresses.compactMap(IPAddress.init))
    settings.loadBalancerIPPools = pools.enumerated().map { index, text in
        LoadBalancerPool(name: index == 0 ? "default" : "pool\(index)", cidrs: text.split(separator: ",").compactMap { CIDR(String($0)) })
    }
    adjust(&settings)
    let (objects, errors) = ConfigLoader.load(text: documents.joined(separator: "---\n"), file: "svc.yaml")
    return Configuration.plan(objects: objects, settings: settings, previous: previous, loadErrors: errors)
}

private func state(_ loaded: LoadedPlan, _ name: String) -> LoadBalancerState? {
    loaded.plan.loadBalancers.first { $0.service == ObjectKey(namespace: "default", name: name) }
}

private func listens(_ loaded: LoadedPlan, _ name: String) -> [String] {
    loaded.plan.servicePorts.filter { $0.name.service.name == name }.flatMap(\.listenAddresses)
        .filter { $0.kind == .loadBalancer }.map(\.description)
}

@Suite struct LoadBalancerNodeConflictTests {
    @Test func aClusterIPAmongTheNodeAddressesDoesNotBreakThePlan() throws {
        // --cluster-ip-interface put 10.96.0.10 on the node: a restart lists it as a node address.
        let dns = service("dns", type: "ClusterIP", spec: "\n  clusterIP: 10.96.0.10")
        let loaded = try load([dns, service("web")], nodeAddresses: ["192.0.2.10", "10.96.0.10"]).get()
        #expect(listens(loaded, "web") == ["192.0.2.10:80"])
        #expect(state(loaded, "web")?.addresses == [nodeIP])
    }

    @Test func externalIPsPoolAddressesAndMarkedAddressesAreNotNodeAddresses() throws {
        let external = service("ext", type: "ClusterIP", port: 8080, spec: "\n  externalIPs: [198.51.100.1]")
        let loaded = try load([external, service("web")], nodeAddresses: ["192.0.2.10", "198.51.100.1", "198.51.100.2"]) {
            $0.markedAddresses = MarkedNodeAddresses(serviceAddresses: [IPAddress("198.51.100.2")!])
        }.get()
        #expect(listens(loaded, "web") == ["192.0.2.10:80"])
        var settings = NodeSettings(nodeAddresses: [nodeIP, IPAddress("10.9.0.1")!])
        settings.loadBalancerIPPools = [LoadBalancerPool(name: "default", cidrs: [CIDR("10.9.0.0/24")!])]
        settings.markedAddresses.loadBalancerAddresses = [IPAddress("192.0.2.77")!]
        settings.nodeAddresses.append(IPAddress("192.0.2.77")!)
        #expect(settings.selectedLoadBalancerAddresses == [nodeIP])
    }

    @Test func everyClusterIPSocketIsHeld() throws {
        let loaded = try load([service("dns", type: "ClusterIP", spec: "\n  clusterIP: 10.96.0.10")]).get()
        let (objects, _) = ConfigLoader.load(text: service("dns", type: "ClusterIP", spec: "\n  clusterIP: 10.96.0.10"), file: "svc.yaml")
        let owners = LoadBalancerAssignment.sockets(heldBy: objects.services, settings: loaded.settings, allocations: loaded.allocations)
        #expect(owners[SocketKey(ip: IPAddress("10.96.0.10")!, port: 80, transport: .tcp)] == ObjectKey(namespace: "default", name: "dns"))
    }

    @Test func theAdminEndpointsHoldTheirPorts() throws {
        let loaded = try load([service("metrics", port: 10249), service("health", port: 10256), service("other", port: 10250)],
                              nodeAddresses: ["127.0.0.1", "192.0.2.10"]).get()
        #expect(state(loaded, "metrics")?.pendingReason == "127.0.0.1:10249 is taken by the metrics endpoint (--metrics-bind-address)")
        #expect(state(loaded, "health")?.pendingReason == "127.0.0.1:10256 is taken by the health endpoint (--healthz-bind-address)")
        #expect(state(loaded, "other")?.isPending == false)
        let wildcard = try load([service("web", port: 9100)]) { $0.metricsBindAddress = try? SettingsSyntax.bindAddress("0.0.0.0:9100").get() }.get()
        #expect(state(wildcard, "web")?.pendingReason == "192.0.2.10:9100 is taken by the metrics endpoint (--metrics-bind-address)")
    }

    @Test func aServedServiceKeepsItsPortAgainstANewcomerWithoutTimestamps() throws {
        let first = try load([service("b")]).get()
        #expect(state(first, "b")?.isPending == false)
        let reloaded = try load([service("b"), service("a")], previous: first.allocations).get()
        #expect(state(reloaded, "b")?.isPending == false)
        #expect(state(reloaded, "a")?.pendingReason == "192.0.2.10:80 is taken by default/b")
        // Equal timestamps are a tie too; an older one still wins.
        let stamp = "2024-05-01T00:00:00Z"
        let tied = try load([service("b", created: stamp), service("a", created: stamp)], previous: first.allocations).get()
        #expect(state(tied, "a")?.isPending == true)
        let older = try load([service("b", created: stamp), service("a", created: "2020-01-01T00:00:00Z")], previous: first.allocations).get()
        #expect(state(older, "a")?.isPending == false && state(older, "b")?.isPending == true)
    }

    @Test func aSingleStackServiceListensOnNodeAddressesOfItsFamily() throws {
        let addresses = ["192.0.2.10", "2001:db8::10"]
        let dualRanges: (inout NodeSettings) -> Void = { $0.serviceClusterIPRanges = [CIDR("10.96.0.0/12")!, CIDR("fd00:96::/108")!] }
        let four = try load([service("four")], nodeAddresses: addresses, dualRanges).get()
        #expect(listens(four, "four") == ["192.0.2.10:80"])
        let six = try load([service("six", spec: "\n  ipFamilies: [IPv6]")], nodeAddresses: addresses, dualRanges).get()
        #expect(listens(six, "six") == ["[2001:db8::10]:80"])
        let dual = try load([service("dual", spec: "\n  ipFamilyPolicy: RequireDualStack")], nodeAddresses: addresses, dualRanges).get()
        #expect(Set(listens(dual, "dual")) == ["192.0.2.10:80", "[2001:db8::10]:80"])
        let none = try load([service("four")], nodeAddresses: ["2001:db8::10"], dualRanges).get()
        #expect(state(none, "four")?.pendingReason == "no node address of the Service's IP family lies in --load-balancer-addresses")
    }

    @Test func aPendingServiceIsNoNoteToLogAtEveryReload() throws {
        let loaded = try load([service("a", created: "2024-01-01T00:00:00Z"), service("b", created: "2023-01-01T00:00:00Z")]).get()
        #expect(state(loaded, "a")?.isPending == true)
        #expect(!loaded.notes.contains { $0.contains("pending") })
    }

    @Test func aListenerThatFailedToBindMakesTheServicePending() throws {
        let loaded = try load([service("web"), service("other", port: 81)], nodeAddresses: ["127.0.0.1", "192.0.2.10"]) {
            $0.loadBalancerAddresses = [CIDR("0.0.0.0/0")!]
        }.get()
        let web = ObjectKey(namespace: "default", name: "web")
        let failure = { (ip: String) in
            (service: web, address: ListenAddress(ip: IPAddress(ip)!, port: 80, kind: .loadBalancer), error: "Address already in use")
        }
        let partly = loaded.plan.withUnboundLoadBalancers([failure("127.0.0.1")])
        let partlyState = partly.loadBalancers.first { $0.service == web }
        #expect(partlyState?.addresses == [nodeIP] && partlyState?.isPending == false)
        let wholly = loaded.plan.withUnboundLoadBalancers([failure("127.0.0.1"), failure("192.0.2.10")])
        #expect(wholly.loadBalancers.first { $0.service == web }?.pendingReason == "failed to listen on 127.0.0.1:80: Address already in use")
        #expect(wholly.loadBalancers.filter { $0.service != web } == loaded.plan.loadBalancers.filter { $0.service != web })
    }
}

@Suite struct LoadBalancerPoolConflictTests {
    @Test func aPoolNeverHandsOutANodeAddressAClusterIPAnExternalIPOrAnotherClassesAddress() throws {
        let one = { (text: String) in [text] }
        let node = try load([service("web")], pools: one("192.0.2.10/32")).get()
        #expect(state(node, "web")?.pendingReason == "no free address in pool default")
        let ours = try load([service("web")], nodeAddresses: ["192.0.2.10", "10.9.0.5"], pools: one("10.9.0.5/32")) {
            $0.markedAddresses.loadBalancerAddresses = [IPAddress("10.9.0.5")!]
        }.get()
        #expect(state(ours, "web")?.addresses == [IPAddress("10.9.0.5")!])
        let clusterIP = try load([service("web")], pools: one("10.96.0.10/32")).get()
        let web = try #require(clusterIP.allocations.clusterIPs[ObjectKey(namespace: "default", name: "web")]?.first)
        let collides = try load([service("web")], pools: one("\(web)/32")).get()
        #expect(state(collides, "web")?.isPending == true)
        let external = try load([service("ext", type: "ClusterIP", port: 81, spec: "\n  externalIPs: [10.9.0.7]"), service("web")],
                                pools: one("10.9.0.7/32")).get()
        #expect(state(external, "web")?.pendingReason == "no free address in pool default")
        let theirs = service("theirs", port: 81, spec: "\n  loadBalancerClass: example.com/lb\nstatus: {loadBalancer: {ingress: [{ip: 10.9.0.7}]}}")
        let written = try load([theirs, service("web")], pools: one("10.9.0.7/32")).get()
        #expect(state(written, "web")?.pendingReason == "no free address in pool default")
        let asks = try load([theirs, service("web", spec: "\n  loadBalancerIP: 10.9.0.7")], pools: one("10.9.0.0/24")).get()
        #expect(state(asks, "web")?.pendingReason == "10.9.0.7 is taken by default/theirs (its written load-balancer address)")
    }

    @Test func aRememberedAddressStaysWithItsHolderAgainstARequest() throws {
        let first = try load([service("holder")], pools: ["10.9.0.0/24"]).get()
        let address = try #require(state(first, "holder")?.addresses.first)
        let newcomer = service("newcomer", created: "2000-01-01T00:00:00Z", spec: "\n  loadBalancerIP: \(address)")
        let reloaded = try load([service("holder"), newcomer], pools: ["10.9.0.0/24"], previous: first.allocations).get()
        #expect(state(reloaded, "holder")?.addresses == [address])
        #expect(state(reloaded, "newcomer")?.pendingReason == "\(address) is taken by default/holder")
    }

    @Test func aServicePendingOnSeveralPoolsIsLabelledWithThem() throws {
        let loaded = try load([service("one", created: "2020-01-01T00:00:00Z"), service("two")], pools: ["10.9.0.1/32", "10.8.0.1/32"]).get()
        let two = try load([service("a", created: "2020-01-01T00:00:00Z"), service("b", created: "2021-01-01T00:00:00Z"),
                            service("c")], pools: ["10.9.0.1/32", "10.8.0.1/32"]).get()
        #expect(state(loaded, "two")?.isPending == false)
        #expect(state(two, "c")?.poolLabel == "default,pool1")
        #expect(state(two, "c")?.pendingReason == "no free address in pools default, pool1")
    }

    @Test func addingABlockToAPoolMovesNoAddress() throws {
        let names = ["a", "b", "c", "d", "e"]
        let before = try load(names.map { service($0) }, pools: ["10.9.0.0/24"]).get()
        let after = try load(names.map { service($0) }, pools: ["10.9.0.0/24,10.8.0.0/24"]).get()
        for name in names { #expect(state(before, name)?.addresses == state(after, name)?.addresses) }
    }

    @Test func hugeIPv6BlocksDoNotWrapTheCount() throws {
        let blocks = ["fd00:1::/64", "fd00:2::/64", "fd00:3::/64", "fd00:4::/64"].joined(separator: ",")
        let loaded = try load([service("six")], pools: [blocks]).get()
        let address = try #require(state(loaded, "six")?.addresses.first)
        #expect(CIDR("fd00:1::/64")!.contains(address))
    }
}
