// The Local traffic policies at accept: a listener under one (by its kind) reaches only
// the endpoints on this node, or is refused when there are none; other listeners of the
// same route reach every endpoint.
import LinuxIO
import ServiceConfig
import Testing
@testable import ProxyEngine

private func route(endpoints: [String], local: [String], external: TrafficPolicy = .local, internalPolicy: TrafficPolicy = .cluster,
                   ingress: [String: IngressAdmission] = [:], nodeAddresses: [String] = []) throws -> ServicePortRoute {
    let name = ServicePortName(service: ObjectKey(namespace: "default", name: "web"), port: "http")
    func endpoint(_ text: String) throws -> Endpoint { Endpoint(ip: try #require(IPAddress(text)), port: 80) }
    var admissions: [Endpoint: IngressAdmission] = [:]
    for (address, admission) in ingress { admissions[try endpoint(address)] = admission }
    let plan = ServicePortPlan(name: name, protocol: .tcp, listenAddresses: [], endpoints: try endpoints.map(endpoint),
                               localEndpoints: try local.map(endpoint), externalTrafficPolicy: external,
                               internalTrafficPolicy: internalPolicy, ingress: admissions)
    let connections = ConnectionSettings(nodeAddresses: Set(try nodeAddresses.map { try #require(IPAddress($0)) }))
    return ServicePortRoute(plan: plan, connections: connections, statistics: ServicePortStatistics(name: name, workers: 1),
                            budget: ConnectionBudget(), shared: ServicePortShared())
}

@Suite struct LocalTrafficPolicyTests {
    @Test func eachListenerKindAsksItsOwnPolicy() throws {
        let web = try route(endpoints: ["10.0.0.1"], local: [], external: .local, internalPolicy: .cluster)
        #expect(web.rules.isLocalOnly(.nodePort) && web.rules.isLocalOnly(.externalIP) && web.rules.isLocalOnly(.loadBalancer))
        #expect(!web.rules.isLocalOnly(.clusterIP))
        let internalOnly = try route(endpoints: ["10.0.0.1"], local: [], external: .cluster, internalPolicy: .local)
        #expect(internalOnly.rules.isLocalOnly(.clusterIP) && !internalOnly.rules.isLocalOnly(.nodePort))
    }

    @Test func clientsOnTheNodeAreNotBoundByTheExternalPolicy() throws {
        let web = try route(endpoints: ["10.0.0.1"], local: [], internalPolicy: .local, nodeAddresses: ["127.0.0.1", "192.0.2.10", "::1"])
        func from(_ ip: String) throws -> SocketAddress { try #require(SocketAddress(ip: ip, port: 40000)) }
        for kind in [ListenAddress.Kind.nodePort, .externalIP, .loadBalancer] {
            #expect(!web.rules.isLocalOnly(kind, client: try from("127.0.0.1")), "the node itself (loopback)")
            #expect(!web.rules.isLocalOnly(kind, client: try from("192.0.2.10")), "the node itself")
            #expect(!web.rules.isLocalOnly(kind, client: try from("::1")))
            #expect(web.rules.isLocalOnly(kind, client: try from("127.0.0.2")), "not a node address")
            #expect(web.rules.isLocalOnly(kind, client: try from("198.51.100.7")), "off the node")
            #expect(web.rules.isLocalOnly(kind), "an unknown client is taken as off the node")
        }
        #expect(web.rules.isLocalOnly(.clusterIP, client: try from("127.0.0.1")), "the internal policy binds the node's clients too")
    }

    @Test func aLocalListenerGoesOnlyToLocalEndpointsAndOthersToAll() throws {
        let web = try route(endpoints: ["10.0.0.1", "10.0.0.2", "10.0.0.3"], local: ["10.0.0.2"])
        for _ in 0..<4 {
            let choice = try web.decide(for: nil, now: 0, localOnly: true).get()
            #expect(choice.candidates == [1], "only the local endpoint, retries included")
        }
        let everywhere = try (0..<3).map { _ in try web.decide(for: nil, now: 0).get().start }
        #expect(Set(everywhere) == [0, 1, 2])
    }

    @Test func noLocalEndpointIsARefusalOfItsOwn() throws {
        let web = try route(endpoints: ["10.0.0.1"], local: [])
        #expect(web.decide(for: nil, now: 0, localOnly: true) == .failure(.noLocalEndpoints))
        #expect((try? web.decide(for: nil, now: 0).get()) != nil)
        #expect(try route(endpoints: [], local: []).decide(for: nil, now: 0, localOnly: true) == .failure(.noEndpoints))
    }

    @Test func aLocalTerminatingEndpointServesOnlyLocalTrafficWhileReadyOnesElsewhereServeTheRest() throws {
        // The plan's Local set holds this node's terminating endpoint; the Cluster set the ready one elsewhere.
        let web = try route(endpoints: ["10.0.0.1"], local: ["10.0.0.9"])
        #expect(web.endpoints.map(\.endpoint.ip.description) == ["10.0.0.1", "10.0.0.9"])
        for _ in 0..<4 {
            #expect(try web.decide(for: nil, now: 0, localOnly: true).get().candidates == [1])
            let choice = try web.decide(for: nil, now: 0).get()
            #expect(web.endpoint(start: choice.start, attempt: 0, candidates: choice.candidates).endpoint.ip.description == "10.0.0.1")
            #expect(web.endpoint(start: choice.start, attempt: 1, candidates: choice.candidates).endpoint.ip.description == "10.0.0.1",
                    "a retry stays in the Cluster set")
        }
        let open = IngressAdmission(policies: [ObjectKey(namespace: "default", name: "allow")], peers: [.anyone])
        let isolated = try route(endpoints: ["10.0.0.1"], local: ["10.0.0.9"], ingress: ["10.0.0.9": open])
        let client = try #require(IPAddress("192.0.2.1"))
        #expect(try isolated.decide(for: client, now: 0).get().candidates == [0], "admission does not widen the Cluster set")
    }

    @Test func policyAdmissionIsNarrowedToTheLocalEndpoints() throws {
        let closed = IngressAdmission(policies: [ObjectKey(namespace: "default", name: "deny")], peers: [])
        let web = try route(endpoints: ["10.0.0.1", "10.0.0.2"], local: ["10.0.0.1"], ingress: ["10.0.0.1": closed])
        let client = try #require(IPAddress("192.0.2.1"))
        #expect(web.decide(for: client, now: 0, localOnly: true) == .failure(.policy("default/deny")))
        #expect(try web.decide(for: client, now: 0).get().candidates == [1])
    }
}
