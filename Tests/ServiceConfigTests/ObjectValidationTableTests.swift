// Cases for the kinds other than Service, after Kubernetes' validation tests
// (TestValidateObjectMeta's labels and annotations, TestValidateEndpoints and
// TestValidateEndpointSlice's addresses, TestValidateNetworkPolicy's ports): for each,
// svcproxy must reach the same verdict with the same field paths and error types. The
// one intended difference, loopback endpoints, has its cases too.
import Testing
@testable import ServiceConfig

struct ObjectCase: CustomStringConvertible, Sendable {
    let name: String
    let yaml: String
    /// "Type path" per error, e.g. "Invalid metadata.labels"; empty for a valid object.
    let expect: [String]

    var description: String { name }
}

/// A valid object of each kind svcproxy reads, with `metadata` holding `extra` (`labels:
/// {...}` and the like) after its name and namespace.
private let objectTemplates: [(kind: String, yaml: @Sendable (String) -> String)] = [
    ("Service", { "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default\($0)}\nspec: {ports: [{port: 80}]}" }),
    ("Endpoints", { "apiVersion: v1\nkind: Endpoints\nmetadata: {name: web, namespace: default\($0)}\nsubsets: []" }),
    ("EndpointSlice", {
        "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: web-1, namespace: default\($0)}\naddressType: IPv4\nendpoints: []"
    }),
    ("Pod", { "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: default\($0)}\nspec: {containers: [{name: app, image: web}]}" }),
    ("NetworkPolicy", { "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: default\($0)}\nspec: {podSelector: {}}" }),
    ("Namespace", { "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop\($0)}" }),
    ("IngressClass", {
        "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: other\($0)}\nspec: {controller: example.com/other}"
    }),
    ("Secret", { "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: default\($0)}\ntype: Opaque\ndata: {}" }),
]

/// The ObjectMeta cases, once per kind: ValidateObjectMeta applies to every object.
private let metadataCases: [ObjectCase] = objectTemplates.flatMap { kind, yaml in
    [
        ObjectCase(name: "\(kind) valid", yaml: yaml(", labels: {app: web, date: 2024-01-01}, annotations: {Note/X: \"1\"}"), expect: []),
        ObjectCase(name: "\(kind) integer label value", yaml: yaml(", labels: {version: 1}"), expect: ["Invalid metadata.labels[version]"]),
        ObjectCase(name: "\(kind) float label value", yaml: yaml(", labels: {version: 1.5}"), expect: ["Invalid metadata.labels[version]"]),
        ObjectCase(name: "\(kind) invalid label key", yaml: yaml(", labels: {\"a/b/c\": x}"), expect: ["Invalid metadata.labels"]),
        ObjectCase(name: "\(kind) invalid label value", yaml: yaml(", labels: {app: \"web!\"}"), expect: ["Invalid metadata.labels"]),
        ObjectCase(name: "\(kind) invalid annotation key", yaml: yaml(", annotations: {\"bad key\": x}"), expect: ["Invalid metadata.annotations"]),
        ObjectCase(name: "\(kind) boolean annotation value", yaml: yaml(", annotations: {enabled: true}"),
                   expect: ["Invalid metadata.annotations[enabled]"]),
    ]
}

private func endpoints(_ ip: String, notReady: Bool = false) -> String {
    "apiVersion: v1\nkind: Endpoints\nmetadata: {name: web, namespace: default}\n"
        + "subsets: [{\(notReady ? "notReadyAddresses" : "addresses"): [{ip: \"\(ip)\"}], ports: [{port: 8080}]}]"
}

private func slice(_ type: String, _ address: String) -> String {
    "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: web-1, namespace: default}\n"
        + "addressType: \(type)\nendpoints: [{addresses: [\"\(address)\"]}]\nports: [{port: 8080}]"
}

/// ValidateEndpointIP, less its loopback rule.
private let endpointCases: [ObjectCase] = [
    .init(name: "Endpoints address", yaml: endpoints("10.0.0.1"), expect: []),
    .init(name: "Endpoints loopback address is allowed", yaml: endpoints("127.0.0.1"), expect: []),
    .init(name: "Endpoints IPv6 loopback address is allowed", yaml: endpoints("::1"), expect: []),
    .init(name: "Endpoints unspecified address", yaml: endpoints("0.0.0.0"), expect: ["Invalid subsets[0].addresses[0].ip"]),
    .init(name: "Endpoints link-local address", yaml: endpoints("169.254.169.254"), expect: ["Invalid subsets[0].addresses[0].ip"]),
    .init(name: "Endpoints IPv6 link-local address", yaml: endpoints("fe80::1"), expect: ["Invalid subsets[0].addresses[0].ip"]),
    .init(name: "Endpoints link-local multicast address", yaml: endpoints("224.0.0.251"), expect: ["Invalid subsets[0].addresses[0].ip"]),
    .init(name: "Endpoints not-ready link-local address", yaml: endpoints("169.254.0.1", notReady: true),
          expect: ["Invalid subsets[0].notReadyAddresses[0].ip"]),
    .init(name: "EndpointSlice address", yaml: slice("IPv4", "10.0.0.1"), expect: []),
    .init(name: "EndpointSlice loopback address is allowed", yaml: slice("IPv4", "127.0.0.1"), expect: []),
    .init(name: "EndpointSlice link-local address", yaml: slice("IPv4", "169.254.169.254"), expect: ["Invalid endpoints[0].addresses[0]"]),
    .init(name: "EndpointSlice IPv6 link-local address", yaml: slice("IPv6", "fe80::a"), expect: ["Invalid endpoints[0].addresses[0]"]),
    .init(name: "EndpointSlice IPv6 link-local multicast address", yaml: slice("IPv6", "ff02::1"), expect: ["Invalid endpoints[0].addresses[0]"]),
    .init(name: "EndpointSlice unspecified address", yaml: slice("IPv6", "::"), expect: ["Invalid endpoints[0].addresses[0]"]),
    .init(name: "EndpointSlice FQDN is not an IP", yaml: slice("FQDN", "example.com"), expect: []),
]

private func policy(_ spec: String) -> String {
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: default}\nspec: {podSelector: {}, \(spec)}"
}

/// ValidateNetworkPolicyPort on both directions' rules, and ValidateNetworkPolicyPeer on egress.
private let policyCases: [ObjectCase] = ["ingress", "egress"].flatMap { direction in
    let rule = { (ports: String) in policy("\(direction): [{ports: [\(ports)]}]") }
    let path = "spec.\(direction)[0].ports[0]"
    return [
        ObjectCase(name: "\(direction) port range", yaml: rule("{port: 8000, endPort: 9000}"), expect: []),
        ObjectCase(name: "\(direction) one-port range", yaml: rule("{port: 8000, endPort: 8000}"), expect: []),
        ObjectCase(name: "\(direction) endPort below port", yaml: rule("{port: 9000, endPort: 8000}"), expect: ["Invalid \(path).endPort"]),
        ObjectCase(name: "\(direction) endPort with a named port", yaml: rule("{port: http, endPort: 8000}"), expect: ["Invalid \(path).endPort"]),
        ObjectCase(name: "\(direction) endPort without port", yaml: rule("{endPort: 8000}"), expect: ["Invalid \(path).endPort"]),
        ObjectCase(name: "\(direction) endPort above 65535", yaml: rule("{port: 8000, endPort: 65536}"), expect: ["Invalid \(path).endPort"]),
        ObjectCase(name: "\(direction) port above 65535", yaml: rule("{port: 65536}"), expect: ["Invalid \(path).port"]),
        ObjectCase(name: "\(direction) invalid port name", yaml: rule("{port: HTTP}"), expect: ["Invalid \(path).port", "Invalid \(path).port"]),
        ObjectCase(name: "\(direction) unsupported protocol", yaml: rule("{protocol: ICMP}"), expect: ["Unsupported \(path).protocol"]),
    ]
} + [
    .init(name: "egress peer", yaml: policy("egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]}]"), expect: []),
    .init(name: "egress peer without a selector", yaml: policy("egress: [{to: [{}]}]"), expect: ["Required spec.egress[0].to[0]"]),
    .init(name: "egress ipBlock with a selector", yaml: policy("egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]"),
          expect: ["Forbidden spec.egress[0].to[0]"]),
    .init(name: "egress except outside the cidr", yaml: policy("egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: [192.168.0.0/16]}}]}]"),
          expect: ["Invalid spec.egress[0].to[0].ipBlock.except[0]"]),
]

let objectCases = metadataCases + endpointCases + policyCases

@Suite struct ObjectValidationTableTests {
    @Test func casesHaveDistinctNames() {
        #expect(Set(objectCases.map(\.name)).count == objectCases.count)
    }

    @Test(arguments: objectCases)
    func verdictFieldPathAndErrorTypeMatchKubernetes(_ testCase: ObjectCase) {
        let (objects, loadErrors) = ConfigLoader.load(text: testCase.yaml, file: "case.yaml")
        let settings = NodeSettings(nodeAddresses: [IPAddress("127.0.0.1")].compactMap { $0 })
        let found: [String]
        switch Configuration.plan(objects: objects, settings: settings, loadErrors: loadErrors) {
        case .success: found = []
        case .failure(let errors): found = errors.errors.map { "\($0.reason.typeWord) \($0.field)" }
        }
        #expect(found.sorted() == testCase.expect.sorted(), "\(testCase.name):\n\(testCase.yaml)")
    }

    @Test func aLabelValueThatIsNotAStringSaysHowToWriteIt() {
        let (_, errors) = ConfigLoader.load(text: objectTemplates[0].yaml(",\n  labels: {version: 1}"), file: "svc.yaml")
        #expect(errors.map(\.description) == [
            "svc.yaml:4:21: Service \"default/web\" is invalid: metadata.labels[version]: Invalid value: 1: "
                + "must be a string, as every label value is (quote it: \"1\")",
        ])
    }

    @Test func labelErrorsInAListItemHaveTheObjectsOwnPaths() {
        let list = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: a, labels: {\"-x\": y}}}"
        let (_, errors) = ConfigLoader.load(text: list, file: "list.yaml")
        #expect(errors.map(\.field) == ["metadata.labels"])
        #expect(errors.first?.object == "Pod \"default/a\"")
    }

    @Test func aLinkLocalEndpointIsRejectedInKubernetesWords() {
        let (objects, loadErrors) = ConfigLoader.load(text: endpoints("169.254.169.254"), file: "ep.yaml")
        let result = Configuration.plan(objects: objects, settings: NodeSettings(nodeAddresses: []), loadErrors: loadErrors)
        guard case .failure(let errors) = result else {
            Issue.record("the metadata address was accepted as an endpoint")
            return
        }
        #expect(errors.errors.map(\.description) == [
            "ep.yaml:4:29: Endpoints \"default/web\" is invalid: subsets[0].addresses[0].ip: Invalid value: \"169.254.169.254\": "
                + "may not be in the link-local range (169.254.0.0/16, fe80::/10)",
        ])
    }
}
