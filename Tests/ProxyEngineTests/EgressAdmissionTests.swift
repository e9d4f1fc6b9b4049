// NetworkPolicy egress at accept, as a value: a client address that egress rules bind goes
// only to the endpoints they allow (by the endpoint's pod, address, port, protocol and its
// pod's port names) and that admit it; when none is left, the refusal says whether ingress
// or the client's own egress held it back, and names the policies.
import LinuxIO
import ServiceConfig
import Testing
@testable import ProxyEngine

private func ip(_ text: String) throws -> IPAddress { try #require(IPAddress(text)) }

private func key(_ name: String, namespace: String = "x") -> ObjectKey { ObjectKey(namespace: namespace, name: name) }

/// Service port web over `transport` with endpoints 10.0.0.1:80 (pod x/a, port named
/// http) and 10.0.0.2:8080 (pod x/b), and the admissions `ingress` (by endpoint IP).
private func web(_ transport: TransportProtocol = .tcp, ingress: [String: IngressAdmission] = [:]) throws -> ServicePortRoute {
    let name = ServicePortName(service: key("web"), port: "http")
    let a = Endpoint(ip: try ip("10.0.0.1"), port: 80), b = Endpoint(ip: try ip("10.0.0.2"), port: 8080)
    var admissions: [Endpoint: IngressAdmission] = [:]
    for (address, admission) in ingress { admissions[try ip(address) == a.ip ? a : b] = admission }
    let plan = ServicePortPlan(name: name, protocol: transport, listenAddresses: [], endpoints: [a, b], ingress: admissions,
                               pods: [a: EndpointPod(key: key("a"), portNames: ["http"]), b: EndpointPod(key: key("b"))])
    return ServicePortRoute(plan: plan, connections: ConnectionSettings(), statistics: ServicePortStatistics(name: name, workers: 1),
                            budget: ConnectionBudget(), shared: ServicePortShared())
}

/// The egress of client 10.0.9.9 bound by policy x/p with `rules`.
private func client(_ rules: [EgressRule]) throws -> ClientEgress {
    let address = try ip("10.0.9.9")
    let table = CompiledEgress(EgressPlan(clients: [address: EgressIsolation(policies: [key("p")], rules: rules)]))
    return try #require(table.rules(for: SocketAddress(ip: "10.0.9.9", port: 4000)))
}

private func port(_ text: String, _ transport: String = "TCP") -> PolicyPortMatch {
    PolicyPortMatch(NetworkPolicyPort(protocol: transport, port: Int(text).map(IntOrString.int) ?? .string(text)))
}

/// The endpoints (by last address byte) a connection of `egress` over `route` may try.
private func reachable(_ route: ServicePortRoute, _ egress: ClientEgress) throws -> Set<Int> {
    guard case .success(let choice) = route.decide(for: try ip("10.0.9.9"), egress: egress, now: 0) else { return [] }
    return Set((choice.candidates ?? []).map { Int(route.endpoints[$0].endpoint.ip.description.split(separator: ".").last ?? "") ?? 0 })
}

@Suite struct EgressAdmissionTests {
    @Test func podSelectorsMatchTheEndpointsPodAndBlocksItsAddress() throws {
        #expect(try reachable(web(), client([EgressRule(to: [.pods([key("b")])], ports: nil)])) == [2])
        #expect(try reachable(web(), client([EgressRule(to: [.pods([key("a", namespace: "y")])], ports: nil)])) == [])
        let block = EgressRule.Peer.block(CIDR("10.0.0.0/24")!, except: [CIDR("10.0.0.2/32")!])
        #expect(try reachable(web(), client([EgressRule(to: [block], ports: nil)])) == [1])
        #expect(try reachable(web(), client([EgressRule(to: nil, ports: nil)])) == [1, 2], "a rule without `to` allows anywhere")
    }

    @Test func portsMatchTheEndpointsPortProtocolAndItsPodsPortNames() throws {
        #expect(try reachable(web(), client([EgressRule(to: nil, ports: [port("8080")])])) == [2])
        let range = NetworkPolicyPort(port: .int(70), endPort: 90)
        #expect(try reachable(web(), client([EgressRule(to: nil, ports: [PolicyPortMatch(range)])])) == [1])
        #expect(try reachable(web(), client([EgressRule(to: nil, ports: [port("http")])])) == [1], "b has no port named http")
        #expect(try reachable(web(.udp), client([EgressRule(to: nil, ports: [port("8080")])])) == [], "a TCP port allows no UDP")
        #expect(try reachable(web(.udp), client([EgressRule(to: nil, ports: [port("8080", "UDP")])])) == [2])
        let rules = [EgressRule(to: [.pods([key("a")])], ports: [port("8080")]), EgressRule(to: [.pods([key("b")])], ports: [port("8080")])]
        #expect(try reachable(web(), client(rules)) == [2], "a rule's peers and ports hold together; rules add up")
    }

    @Test func anEndpointMustBeAllowedByEgressAndAdmitTheClient() throws {
        let onlyA = IngressAdmission(policies: [key("only-a", namespace: "y")], peers: [.block(CIDR("10.0.9.0/24")!, except: [])])
        let denyB = IngressAdmission(policies: [key("deny-b", namespace: "y")], peers: [])
        let route = try web(ingress: ["10.0.0.2": denyB])
        #expect(try reachable(route, client([EgressRule(to: nil, ports: nil)])) == [1])
        let toB = try client([EgressRule(to: [.pods([key("b")])], ports: nil)])
        #expect(route.decide(for: try ip("10.0.9.9"), egress: toB, now: 0) == .failure(.egressPolicy(egress: "x/p", ingress: "y/deny-b")),
                "a admits the client, but its egress allows only b")
        let closed = try web(ingress: ["10.0.0.1": denyB, "10.0.0.2": denyB])
        #expect(closed.decide(for: try ip("10.0.9.9"), egress: toB, now: 0) == .failure(.policy("y/deny-b")),
                "no endpoint admits the client: an ingress refusal, whatever its egress")
        let open = try web(ingress: ["10.0.0.1": onlyA])
        let nowhere = try client([])
        #expect(open.decide(for: try ip("10.0.9.9"), egress: nowhere, now: 0) == .failure(.egressPolicy(egress: "x/p", ingress: "y/only-a")))
        #expect(try web().decide(for: try ip("10.0.9.9"), egress: nowhere, now: 0) == .failure(.egressPolicy(egress: "x/p", ingress: "")))
    }

    @Test func onlyTheAddressesOfTheTableAreBoundAndOneIsolationIsCompiledOnce() throws {
        let isolation = EgressIsolation(policies: [key("p")], rules: [])
        let table = CompiledEgress(EgressPlan(clients: [try ip("10.0.9.9"): isolation, try ip("10.0.9.8"): isolation]))
        #expect(table.rules(for: SocketAddress(ip: "10.0.9.7", port: 1)) == nil)
        #expect(table.rules(for: nil) == nil)
        let first = try #require(table.rules(for: SocketAddress(ip: "10.0.9.9", port: 1)))
        #expect(first === table.rules(for: SocketAddress(ip: "10.0.9.8", port: 2)))
        #expect(CompiledEgress.none.isEmpty && CompiledEgress.none.rules(for: SocketAddress(ip: "10.0.9.9", port: 1)) == nil)
        let (address, egress) = try web().client(SocketAddress(ip: "10.0.9.9", port: 1), egress: table)
        #expect(address == (try ip("10.0.9.9")) && egress === first, "a bound client's address is taken even without admissions")
        #expect(try web().client(SocketAddress(ip: "10.0.9.7", port: 1), egress: table).address == nil)
    }
}
