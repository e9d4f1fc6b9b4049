// NetworkPolicy egress as the plan carries it: which pods are isolated (policyTypes as the
// API server defaults them), their rules with selectors resolved to pods, and which rules
// bind each client address, shared addresses included; and how `--print-plan` shows it.
import Foundation
import Testing
@testable import ServiceConfig

/// Pods x/a (10.0.1.1), x/b (10.0.1.2) and y/a (10.0.2.1), labelled `pod: <name>`, in
/// namespaces x and y (labelled `ns: <name>`), and `extra` documents.
private func egressPlan(_ extra: [String]) throws -> LoadedPlan {
    let documents = [
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: x, labels: {ns: x}}",
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: y, labels: {ns: y}}",
        podDocument("a", ip: "10.0.1.1", labels: "{pod: a}", namespace: "x"),
        podDocument("b", ip: "10.0.1.2", labels: "{pod: b}", namespace: "x"),
        podDocument("a", ip: "10.0.2.1", labels: "{pod: a}", namespace: "y"),
    ] + extra
    return try ConfigFixture(["all.yaml": documents.joined(separator: "\n---\n")]).plan().get()
}

/// Service s-<namespace>-a selecting pod a of `namespace` on its port http.
private func serviceOfPodA(in namespace: String) -> String {
    """
    apiVersion: v1
    kind: Service
    metadata: {name: s-\(namespace)-a, namespace: \(namespace)}
    spec:
      clusterIP: 10.96.0.\(namespace == "x" ? 10 : 11)
      selector: {pod: a}
      ports: [{name: http, port: 80, targetPort: http}]
    """
}

private func isolation(_ plan: LoadedPlan, _ client: String) -> EgressIsolation? {
    IPAddress(client).flatMap { plan.plan.egress.clients[$0] }
}

private func key(_ text: String) -> ObjectKey {
    let parts = text.split(separator: "/").map(String.init)
    return ObjectKey(namespace: parts[0], name: parts[1])
}

@Suite struct EgressPlanTests {
    @Test func policyTypesAreDefaultedAsTheAPIServerDoes() throws {
        func isolated(_ spec: String) throws -> Bool {
            try isolation(egressPlan([policyDocument("p", "  podSelector: {}\n" + spec, namespace: "x")]), "10.0.1.1") != nil
        }
        #expect(try isolated("  egress: [{}]\n"), "egress rules without policyTypes: Ingress and Egress")
        #expect(try isolated("  policyTypes: [Egress]\n"), "Egress without rules: isolated, allowed nowhere")
        #expect(try isolated("  policyTypes: []\n  egress: [{}]\n"), "an empty list is defaulted too")
        #expect(try !isolated("  egress: []\n"), "no egress rules, no policyTypes: Ingress only")
        #expect(try !isolated("  policyTypes: [Ingress]\n  egress: [{}]\n"), "written policyTypes are taken as written")
        #expect(try !isolated("  ingress: [{}]\n"))
    }

    @Test func egressOnlyPoliciesDoNotIsolateForIngressNorEmptyPolicyTypesForEgress() throws {
        let plan = try egressPlan([serviceOfPodA(in: "x"), policyDocument("p", "  podSelector: {}\n  policyTypes: [Egress]\n", namespace: "x")])
        let port = try #require(plan.plan.servicePorts.first)
        #expect(port.ingress.isEmpty && port.pods.count == 1)
        let deny = try #require(isolation(plan, "10.0.1.2"))
        #expect(deny.rules.isEmpty && deny.policies == [key("x/p")])
        #expect(isolation(plan, "10.0.2.1") == nil, "a policy isolates pods of its own namespace only")
    }

    @Test func selectorsResolveToPodsAndBlocksStayBlocks() throws {
        let plan = try egressPlan([policyDocument("to", """
              podSelector: {matchLabels: {pod: a}}
              egress:
              - to: [{podSelector: {matchLabels: {pod: b}}}, {namespaceSelector: {matchLabels: {ns: y}}}]
                ports: [{port: 80}, {protocol: UDP, port: 53, endPort: 54}, {port: http}]
              - to: [{namespaceSelector: {}, podSelector: {matchLabels: {pod: a}}}, {ipBlock: {cidr: 10.0.0.0/8, except: [10.0.2.0/24]}}]

            """, namespace: "x")])
        let rules = try #require(isolation(plan, "10.0.1.1")).rules
        #expect(rules.count == 2)
        #expect(rules[0].to == [.pods([key("x/b")]), .pods([key("y/a")])])
        #expect(rules[0].ports?.map(\.description) == ["TCP 80", "UDP 53-54", "TCP port http"])
        #expect(rules[1].to == [.pods([key("x/a"), key("y/a")]), .block(CIDR("10.0.0.0/8")!, except: [CIDR("10.0.2.0/24")!])])
        #expect(rules[1].ports == nil)
        #expect(isolation(plan, "10.0.1.2") == nil, "x/b is not selected")
    }

    @Test func aSharedClientAddressIsBoundOnlyWhenEveryPodAtItIsAndThenByAllTheirRules() throws {
        let shared = [
            podDocument("web", ip: "127.0.0.1", labels: "{app: web}", namespace: "x"),
            podDocument("db", ip: "127.0.0.1", labels: "{app: db}", namespace: "x"),
        ]
        let toA = policyDocument("web-to-a", "  podSelector: {matchLabels: {app: web}}\n  egress: [{to: [{podSelector: {matchLabels: {pod: a}}}]}]\n",
                                 namespace: "x")
        let one = try egressPlan(shared + [toA])
        #expect(isolation(one, "127.0.0.1") == nil, "db is not isolated: a connection from the address may be db's")
        #expect(one.plan.egress.pods.map(\.key) == [key("x/web")])
        let toB = policyDocument("db-to-b", "  podSelector: {matchLabels: {app: db}}\n  egress: [{to: [{podSelector: {matchLabels: {pod: b}}}]}]\n",
                                 namespace: "x")
        let both = try #require(isolation(try egressPlan(shared + [toA, toB]), "127.0.0.1"))
        #expect(both.policies == [key("x/db-to-b"), key("x/web-to-a")])
        #expect(Set(both.rules.compactMap(\.to).flatMap { $0 }) == [.pods([key("x/a")]), .pods([key("x/b")])])
    }

    @Test func hostNetworkPodsAreNeverBoundForEgress() throws {
        let plan = try egressPlan([
            podDocument("agent", ip: "192.168.1.10", labels: "{app: agent}", namespace: "x", spec: "hostNetwork: true"),
            policyDocument("deny", "  podSelector: {}\n  policyTypes: [Egress]\n", namespace: "x"),
        ])
        #expect(isolation(plan, "192.168.1.10") == nil)
        #expect(!plan.plan.egress.pods.map(\.key).contains(key("x/agent")))
    }

    @Test func thePrintedPlanShowsEachEndpointsPodAndEachIsolatedPodsEgress() throws {
        let plan = try egressPlan([serviceOfPodA(in: "y"), policyDocument("to-y", """
              podSelector: {matchLabels: {pod: a}}
              egress: [{to: [{namespaceSelector: {matchLabels: {ns: y}}}], ports: [{port: http}]}]

            """, namespace: "x"), policyDocument("deny", "  podSelector: {matchLabels: {pod: b}}\n  policyTypes: [Egress]\n", namespace: "x")])
        let printed = plan.plan.printed
        #expect(printed.contains("  endpoint 10.0.2.1:8080 (pod y/a)\n"), "\(printed)")
        #expect(printed.contains("egress of x/a (10.0.1.1): to pods y/a on TCP port http (x/to-y)\n"), "\(printed)")
        #expect(printed.contains("egress of x/b (10.0.1.2): nowhere (x/deny)\n"), "\(printed)")
        let port = try #require(plan.plan.servicePorts.first)
        #expect(port.pods.values.map(\.portNames) == [["http"]])
    }
}
