// The reload invariants, stated on plain values: what PlanDiff says a reload opens,
// closes, keeps and rebuilds.
import Testing
@testable import ServiceConfig

private func ip(_ text: String) -> IPAddress { IPAddress(text)! }

private func servicePort(_ name: String, port: String = "http", transport: TransportProtocol = .tcp,
                         listen: [(String, Int, ListenAddress.Kind)], endpoints: [String] = ["10.0.0.1"],
                         affinity: SessionAffinity = .none, maxConnections: Int? = nil) -> ServicePortPlan {
    ServicePortPlan(name: ServicePortName(service: ObjectKey(namespace: "default", name: name), port: port), protocol: transport,
                    listenAddresses: listen.map { ListenAddress(ip: ip($0.0), port: $0.1, kind: $0.2, transport: transport) },
                    endpoints: endpoints.map { Endpoint(ip: ip($0), port: 8080) }, sessionAffinity: affinity,
                    maxConnections: maxConnections, udpTimeout: transport == .udp ? .seconds(30) : nil)
}

private func name(_ service: String, _ port: String = "http") -> ServicePortName {
    ServicePortName(service: ObjectKey(namespace: "default", name: service), port: port)
}

@Suite struct PlanDiffTests {
    let web = servicePort("web", listen: [("127.0.0.1", 30080, .nodePort), ("10.96.0.10", 80, .clusterIP)])
    let api = servicePort("api", listen: [("127.0.0.1", 30081, .nodePort), ("10.96.0.11", 80, .clusterIP)])

    @Test func atStartEverythingOpensAndEveryRouteIsNew() {
        let diff = PlanDiff(from: nil, to: ProxyPlan(servicePorts: [web, api]))
        #expect(diff.opened.count == 4 && diff.kept.isEmpty && diff.closed.isEmpty)
        #expect(diff.newRoutes == [name("web"), name("api")])
        #expect(diff.addedServiceAddresses == [ip("10.96.0.10"), ip("10.96.0.11")], "node addresses are not service addresses")
    }

    @Test func anUnchangedPlanChangesNothing() {
        let plan = ProxyPlan(servicePorts: [web, api])
        let diff = PlanDiff(from: plan, to: plan)
        #expect(diff.opened.isEmpty && diff.closed.isEmpty && diff.newRoutes.isEmpty && diff.removedServicePorts.isEmpty)
        #expect(diff.removedEndpoints.isEmpty && diff.addedServiceAddresses.isEmpty && diff.removedServiceAddresses.isEmpty)
        #expect(diff.kept.count == 4 && diff.keptRoutes == [name("web"), name("api")])
    }

    @Test func aKeptListenerIsNeverClosedWhatEverElseChanges() {
        let old = ProxyPlan(servicePorts: [web, api])
        let movedEndpoints = servicePort("web", listen: [("127.0.0.1", 30080, .nodePort), ("10.96.0.10", 80, .clusterIP)],
                                         endpoints: ["10.0.0.2", "10.0.0.3"])
        let diff = PlanDiff(from: old, to: ProxyPlan(servicePorts: [movedEndpoints]))
        let kept = Set(diff.kept.map(\.address.socketKey))
        #expect(kept == Set(movedEndpoints.listenAddresses.map(\.socketKey)))
        #expect(Set(diff.closed) == Set(api.listenAddresses.map(\.socketKey)))
        #expect(diff.newRoutes == [name("web")], "its endpoints changed")
        #expect(diff.removedServicePorts == [name("api")])
        #expect(diff.removedEndpoints == [name("web"): [Endpoint(ip: ip("10.0.0.1"), port: 8080)]])
        #expect(diff.removedServiceAddresses == [ip("10.96.0.11")])
    }

    @Test func aListenerThatMovesToAnotherServicePortStaysOpenAndServesTheNewOne() {
        let old = ProxyPlan(servicePorts: [web])
        let takeover = servicePort("zeta", listen: [("127.0.0.1", 30080, .nodePort)])
        let diff = PlanDiff(from: old, to: ProxyPlan(servicePorts: [takeover]))
        #expect(diff.kept.map(\.target) == [.servicePort(name("zeta"))])
        #expect(diff.opened.isEmpty)
    }

    @Test func oneSocketPerAddressAndPortWhateverItsKind() {
        let external = servicePort("ext", listen: [("127.0.0.1", 30080, .externalIP)])
        let diff = PlanDiff(from: nil, to: ProxyPlan(servicePorts: [web, external]))
        #expect(diff.opened.filter { $0.address.socketKey == SocketKey(ip: ip("127.0.0.1"), port: 30080) }.count == 1)
    }

    @Test func routesChangeWithTheirRulesAndTheNodeSettingsButNotWithTheirAddresses() {
        let old = ProxyPlan(servicePorts: [web, api])
        let pinned = servicePort("web", listen: [("127.0.0.1", 30080, .nodePort)], affinity: .clientIP(timeoutSeconds: 10))
        let limited = servicePort("api", listen: [("127.0.0.1", 30099, .nodePort), ("10.96.0.11", 80, .clusterIP)],
                                  maxConnections: 5)
        var diff = PlanDiff(from: old, to: ProxyPlan(servicePorts: [pinned, limited]))
        #expect(diff.newRoutes == [name("web"), name("api")])
        let moved = servicePort("api", listen: [("127.0.0.1", 30099, .nodePort)])
        diff = PlanDiff(from: old, to: ProxyPlan(servicePorts: [web, moved]))
        #expect(diff.keptRoutes == [name("web"), name("api")], "a new address is a new listener, not a new route")
        #expect(diff.opened.map(\.address.port) == [30099])
        let strict = ProxyPlan(servicePorts: [web, api], connections: ConnectionSettings(maxConnections: 10))
        diff = PlanDiff(from: old, to: strict)
        #expect(diff.newRoutes == [name("web"), name("api")] && diff.opened.isEmpty && diff.closed.isEmpty)
    }

    @Test func listenAddressesThatFailedAreTriedAgainByTheNextReload() {
        let plan = ProxyPlan(servicePorts: [web])
        let failed = SocketKey(ip: ip("10.96.0.10"), port: 80)
        let served = plan.removingListenAddresses([failed])
        let diff = PlanDiff(from: served, to: plan)
        #expect(diff.opened.map(\.address.socketKey) == [failed])
        #expect(diff.keptRoutes == [name("web")])
    }

    @Test func aTCPAndAUDPListenerOnOneNumberAreTwoSockets() {
        let tcp = servicePort("dns", port: "dns-tcp", listen: [("10.96.0.10", 53, .clusterIP)])
        let udp = servicePort("dns", port: "dns", transport: .udp, listen: [("10.96.0.10", 53, .clusterIP)])
        let diff = PlanDiff(from: nil, to: ProxyPlan(servicePorts: [tcp, udp]))
        #expect(diff.opened.map(\.address.socketKey.description) == ["10.96.0.10:53/UDP", "10.96.0.10:53"])
        #expect(diff.opened.map(\.target) == [.servicePort(name("dns", "dns")), .servicePort(name("dns", "dns-tcp"))])
    }

    @Test func anEndpointThatOnlyTheLocalPolicyStillReachesIsNotGone() {
        let listen: [(String, Int, ListenAddress.Kind)] = [("10.96.0.10", 53, .clusterIP)]
        let before = servicePort("dns", transport: .udp, listen: listen, endpoints: ["10.0.0.1"])
        // 10.0.0.1 now terminates on this node: Local traffic keeps it, ready 10.0.0.2 takes the rest.
        let after = ServicePortPlan(name: before.name, protocol: .udp, listenAddresses: before.listenAddresses,
                                    endpoints: [Endpoint(ip: ip("10.0.0.2"), port: 8080)], localEndpoints: [Endpoint(ip: ip("10.0.0.1"), port: 8080)],
                                    servingTerminating: [Endpoint(ip: ip("10.0.0.1"), port: 8080)], udpTimeout: .seconds(30))
        let diff = PlanDiff(from: ProxyPlan(servicePorts: [before]), to: ProxyPlan(servicePorts: [after]))
        #expect(diff.removedEndpoints.isEmpty, "its flows go on")
        #expect(diff.newRoutes == [before.name])
    }

    @Test func changingOnlyTheUDPEndpointsKeepsBothSocketsAndDropsTheGoneEndpoints() {
        let tcp = servicePort("dns", port: "dns-tcp", listen: [("10.96.0.10", 53, .clusterIP)], endpoints: ["10.0.0.1", "10.0.0.2"])
        let udp = servicePort("dns", port: "dns", transport: .udp, listen: [("10.96.0.10", 53, .clusterIP)], endpoints: ["10.0.0.1", "10.0.0.2"])
        let moved = servicePort("dns", port: "dns", transport: .udp, listen: [("10.96.0.10", 53, .clusterIP)], endpoints: ["10.0.0.2", "10.0.0.3"])
        let diff = PlanDiff(from: ProxyPlan(servicePorts: [tcp, udp]), to: ProxyPlan(servicePorts: [tcp, moved]))
        #expect(diff.opened.isEmpty && diff.closed.isEmpty)
        #expect(Set(diff.kept.map(\.address.socketKey)) == [SocketKey(ip: ip("10.96.0.10"), port: 53),
                                                            SocketKey(ip: ip("10.96.0.10"), port: 53, transport: .udp)])
        #expect(diff.newRoutes == [name("dns", "dns")] && diff.keptRoutes == [name("dns", "dns-tcp")])
        #expect(diff.removedEndpoints == [name("dns", "dns"): [Endpoint(ip: ip("10.0.0.1"), port: 8080)]])
    }

    @Test func aUDPPortGoneClosesOnlyItsSocket() {
        let tcp = servicePort("dns", port: "dns-tcp", listen: [("10.96.0.10", 53, .clusterIP)])
        let udp = servicePort("dns", port: "dns", transport: .udp, listen: [("10.96.0.10", 53, .clusterIP)])
        let diff = PlanDiff(from: ProxyPlan(servicePorts: [tcp, udp]), to: ProxyPlan(servicePorts: [tcp]))
        #expect(diff.closed == [SocketKey(ip: ip("10.96.0.10"), port: 53, transport: .udp)])
        #expect(diff.kept.map(\.address.socketKey) == [SocketKey(ip: ip("10.96.0.10"), port: 53)])
        #expect(diff.removedServicePorts == [name("dns", "dns")])
        #expect(diff.removedServiceAddresses.isEmpty, "the ClusterIP still serves TCP")
    }
}
