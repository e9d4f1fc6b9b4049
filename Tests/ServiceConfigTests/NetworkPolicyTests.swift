// NetworkPolicy ingress, worked out per endpoint from real YAML: which policies select a
// pod, how peers, ports and policy types combine (after the cases of Kubernetes'
// test/e2e/network/netpol), and validation with Kubernetes' field paths.
import Foundation
import Testing
@testable import ServiceConfig

private let service = """
    apiVersion: v1
    kind: Service
    metadata: {name: web, namespace: shop}
    spec:
      clusterIP: 10.96.0.10
      selector: {app: web}
      ports: [{name: http, port: 80, targetPort: http}]
    """

/// The plan of the web service with pods a (10.0.0.1) and b (10.0.0.2) and `extra` documents.
private func admissions(_ extra: [String]) throws -> [String: IngressAdmission] {
    let documents = [service, podDocument("web-a", ip: "10.0.0.1", labels: "{app: web, name: a}"),
                     podDocument("web-b", ip: "10.0.0.2", labels: "{app: web, name: b}")] + extra
    let loaded = try ConfigFixture(["all.yaml": documents.joined(separator: "\n---\n")]).plan().get()
    let port = try #require(loaded.plan.servicePorts.first)
    return Dictionary(uniqueKeysWithValues: port.ingress.map { ($0.key.ip.description, $0.value) })
}

private func admits(_ admission: IngressAdmission?, _ ip: String) -> Bool {
    guard let admission else { return true }
    return IPAddress(ip).map(admission.admits) ?? false
}

/// A service with a TCP port (http 80 → the pods' 8080) and a UDP one (dns 53 → the pods'
/// UDP 5353, by name), pod a at 10.0.0.1 and `rule` as the one ingress rule of a policy
/// selecting it: whether client 192.0.2.1 may reach the TCP and the UDP port.
private func verdicts(_ rule: String) throws -> (tcp: Bool, udp: Bool) {
    let twoProtocols = """
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: shop}
        spec:
          clusterIP: 10.96.0.10
          selector: {app: web}
          ports: [{name: http, port: 80, targetPort: http}, {name: dns, port: 53, protocol: UDP, targetPort: dns}]
        """
    let documents = [twoProtocols,
                     podDocument("web-a", ip: "10.0.0.1", labels: "{app: web}",
                         ports: "[{name: http, containerPort: 8080}, {name: dns, containerPort: 5353, protocol: UDP}]"),
                     policyDocument("rule", "  podSelector: {}\n  ingress: [\(rule)]\n")]
    let loaded = try ConfigFixture(["all.yaml": documents.joined(separator: "\n---\n")]).plan().get()
    let tcp = try #require(loaded.plan.servicePorts.first { $0.protocol == .tcp })
    let udp = try #require(loaded.plan.servicePorts.first { $0.protocol == .udp })
    #expect(udp.endpoints.map(\.description) == ["10.0.0.1:5353"])
    let client = IPAddress("192.0.2.1")!
    func admitted(_ port: ServicePortPlan) -> Bool { port.ingress[port.endpoints[0]]?.admits(client) ?? true }
    return (admitted(tcp), admitted(udp))
}

@Suite struct NetworkPolicyTests {
    @Test func podsNoPolicySelectsAdmitEveryone() throws {
        #expect(try admissions([]).isEmpty)
        let other = policyDocument("other", "  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Ingress]\n")
        #expect(try admissions([other]).isEmpty)
    }

    @Test func defaultDenyIngressAdmitsNoOne() throws {
        let deny = try admissions([policyDocument("deny", "  podSelector: {}\n  policyTypes: [Ingress]\n")])
        #expect(deny.count == 2)
        #expect(deny.values.allSatisfy { $0.peers.isEmpty && $0.policies.map(\.description) == ["shop/deny"] })
        #expect(!admits(deny["10.0.0.1"], "192.0.2.1"))
    }

    @Test func allowAllAdmitsEveryone() throws {
        let allow = try admissions([policyDocument("deny", "  podSelector: {}\n"), policyDocument("allow", "  podSelector: {}\n  ingress: [{}]\n")])
        #expect(admits(allow["10.0.0.1"], "192.0.2.1"))
        #expect(admits(allow["10.0.0.2"], "2001:db8::1"))
    }

    @Test func egressOnlyPolicyDoesNotIsolateForIngress() throws {
        #expect(try admissions([policyDocument("egress", "  podSelector: {}\n  policyTypes: [Egress]\n")]).isEmpty)
        let both = try admissions([policyDocument("both", "  podSelector: {}\n  egress: [{}]\n")])
        #expect(both.count == 2, "without policyTypes, Ingress is always implied")
    }

    @Test func policySelectingOnePodLeavesTheOtherOpen() throws {
        let result = try admissions([policyDocument("deny-a", "  podSelector: {matchLabels: {name: a}}\n")])
        #expect(result.keys.sorted() == ["10.0.0.1"])
    }

    @Test func ipBlockAdmitsTheCIDRButNotTheHole() throws {
        let result = try admissions([policyDocument("block", """
              podSelector: {}
              ingress: [{from: [{ipBlock: {cidr: 192.0.2.0/24, except: [192.0.2.128/25]}}]}]

            """)])
        #expect(admits(result["10.0.0.1"], "192.0.2.5"))
        #expect(!admits(result["10.0.0.1"], "192.0.2.200"))
        #expect(!admits(result["10.0.0.1"], "198.51.100.1"))
    }

    @Test func stackedPoliciesAdmitTheUnion() throws {
        let result = try admissions([
            policyDocument("one", "  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 192.0.2.1/32}}]}]\n"),
            policyDocument("two", "  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 192.0.2.2/32}}]}]\n"),
        ])
        #expect(admits(result["10.0.0.1"], "192.0.2.1"))
        #expect(admits(result["10.0.0.1"], "192.0.2.2"))
        #expect(!admits(result["10.0.0.1"], "192.0.2.3"))
        #expect(result["10.0.0.1"]?.policies.map(\.description) == ["shop/one", "shop/two"])
    }

    @Test func portsMatchByNumberNameRangeAndProtocol() throws {
        func verdict(_ ports: String) throws -> Bool {
            let result = try admissions([policyDocument("ports", "  podSelector: {}\n  ingress: [{ports: \(ports)}]\n")])
            return admits(result["10.0.0.1"], "192.0.2.1")
        }
        #expect(try verdict("[{port: 8080}]"))
        #expect(try verdict("[{port: http}]"))
        #expect(try verdict("[{protocol: TCP, port: 8000, endPort: 9000}]"))
        #expect(try !verdict("[{port: 9090}]"))
        #expect(try !verdict("[{port: metrics}]"))
        #expect(try !verdict("[{protocol: UDP, port: 8080}]"), "a UDP-only rule does not admit TCP")
        #expect(try !verdict("[{port: 8000, endPort: 8079}]"))
    }

    @Test func podAndNamespaceSelectorsMatchClientsByTheirPodIPs() throws {
        let namespace = "apiVersion: v1\nkind: Namespace\nmetadata: {name: front, labels: {team: fe}}\n"
        let clients = [
            podDocument("client", ip: "10.0.1.1", labels: "{role: client}", namespace: "front"),
            podDocument("stranger", ip: "10.0.1.2", labels: "{role: other}", namespace: "front"),
            podDocument("neighbour", ip: "10.0.1.3", labels: "{role: client}"),
        ]
        let both = try admissions([namespace] + clients + [policyDocument("both", """
              podSelector: {}
              ingress: [{from: [{namespaceSelector: {matchLabels: {team: fe}}, podSelector: {matchLabels: {role: client}}}]}]

            """)])
        #expect(admits(both["10.0.0.1"], "10.0.1.1"))
        #expect(!admits(both["10.0.0.1"], "10.0.1.2"), "both selectors in one peer mean AND")
        #expect(!admits(both["10.0.0.1"], "10.0.1.3"))
        let podsOnly = try admissions([namespace] + clients + [policyDocument("pods", """
              podSelector: {}
              ingress: [{from: [{podSelector: {matchExpressions: [{key: role, operator: In, values: [client]}]}}]}]

            """)])
        #expect(admits(podsOnly["10.0.0.1"], "10.0.1.3"), "podSelector alone picks in the policy's namespace")
        #expect(!admits(podsOnly["10.0.0.1"], "10.0.1.1"))
        let byName = try admissions([namespace] + clients + [policyDocument("name", """
              podSelector: {}
              ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: front}}}]}]

            """)])
        #expect(admits(byName["10.0.0.1"], "10.0.1.2"))
        #expect(!admits(byName["10.0.0.1"], "10.0.1.3"))
    }

    @Test func invalidPoliciesAreReportedWithKubernetesFieldPaths() throws {
        let bad = policyDocument("bad", """
              podSelector: {matchExpressions: [{key: app, operator: In}]}
              policyTypes: [Ingress, Sideways]
              ingress:
              - from: [{}, {ipBlock: {cidr: 10.0.0.0/8, except: [192.168.0.0/16]}, podSelector: {}}]
                ports: [{protocol: ICMP}, {port: 90, endPort: 80}, {port: http, endPort: 90}, {endPort: 10}]

            """)
        let errors = try ConfigFixture(["bad.yaml": bad]).errors()
        let expected = [
            "spec.podSelector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
            "spec.policyTypes[1]: Unsupported value: \"Sideways\": supported values: \"Ingress\", \"Egress\"",
            "spec.ingress[0].from[0]: Required value: must specify a peer",
            "spec.ingress[0].from[1].ipBlock.except[0]: Invalid value: \"192.168.0.0/16\": must be a strict subset of `cidr`",
            "spec.ingress[0].from[1]: Forbidden: may not specify both ipBlock and another peer",
            "spec.ingress[0].ports[0].protocol: Unsupported value: \"ICMP\"",
            "spec.ingress[0].ports[1].endPort: Invalid value: 90: must be greater than or equal to `port`",
            "spec.ingress[0].ports[2].endPort: Invalid value: 90: may not be specified when `port` is non-numeric",
            "spec.ingress[0].ports[3].endPort: Invalid value: 10: may not be specified when `port` is not specified",
        ]
        for text in expected {
            #expect(errors.contains { $0.contains("NetworkPolicy \"shop/bad\" is invalid: \(text)") }, "\(text)\n\(errors.joined(separator: "\n"))")
        }
    }

    @Test func aRuleWithoutPortsAdmitsEveryProtocol() throws {
        #expect(try verdicts("{from: [{ipBlock: {cidr: 192.0.2.0/24}}]}") == (true, true))
        #expect(try verdicts("{}") == (true, true))
    }

    @Test func aUDPRuleAdmitsUDPOnlyAndATCPRuleTCPOnly() throws {
        #expect(try verdicts("{ports: [{protocol: UDP, port: 5353}]}") == (false, true))
        #expect(try verdicts("{ports: [{protocol: UDP, port: dns}]}") == (false, true), "a named port among the pod's UDP ports")
        #expect(try verdicts("{ports: [{protocol: UDP}]}") == (false, true), "every UDP port")
        #expect(try verdicts("{ports: [{protocol: UDP, port: 5000, endPort: 6000}]}") == (false, true))
        #expect(try verdicts("{ports: [{protocol: TCP, port: 8080}]}") == (true, false))
        #expect(try verdicts("{ports: [{port: 5353}]}") == (false, false), "a port without protocol is TCP")
        #expect(try verdicts("{ports: [{port: dns}]}") == (false, false), "the pod has no TCP port named dns")
        #expect(try verdicts("{ports: [{protocol: SCTP, port: 5353}]}") == (false, false))
        #expect(try verdicts("{ports: [{port: http}, {protocol: UDP, port: dns}]}") == (true, true))
    }

    @Test func serviceAnnotationsSetLimitsAndAreValidated() throws {
        let annotated = service.replacingOccurrences(
            of: "metadata: {name: web, namespace: shop}",
            with: "metadata: {name: web, namespace: shop, annotations: {svcproxy.io/max-connections: \"5\", svcproxy.io/idle-timeout: 30s}}")
        let loaded = try ConfigFixture(["web.yaml": annotated]).plan().get()
        let port = try #require(loaded.plan.servicePorts.first)
        #expect(port.maxConnections == 5)
        #expect(port.idleTimeout == .seconds(30))
        let bad = service.replacingOccurrences(
            of: "metadata: {name: web, namespace: shop}",
            with: "metadata: {name: web, namespace: shop, annotations: {svcproxy.io/max-connections: lots}}")
        let errors = try ConfigFixture(["web.yaml": bad]).errors()
        #expect(errors.contains { $0.contains("metadata.annotations[svcproxy.io/max-connections]: Invalid value: \"lots\"") }, "\(errors)")
    }
}
