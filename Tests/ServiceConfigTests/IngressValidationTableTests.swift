// Cases after Kubernetes' TestValidateIngress, TestValidateIngressCreate and
// TestValidateIngressClass (pkg/apis/networking/validation): each edits a valid object and
// expects Kubernetes' field path and words exactly, as `kubectl apply` would print them.
import Testing
@testable import ServiceConfig

struct IngressCase: CustomStringConvertible, Sendable {
    let name: String
    var objectName = "valid"
    /// The whole `spec`, as flow YAML.
    var spec = IngressCase.spec()
    var metadata: [String] = []
    var status: String?
    /// Each error as printed after `Ingress "default/valid" is invalid: `; empty when valid.
    let expect: [String]

    var description: String { name }

    static let serviceBackend = "{service: {name: web, port: {number: 80}}}"

    /// A spec of one rule with one path.
    static func spec(host: String = "foo.example.com", path: String = "/", type: String? = "Prefix",
                     backend: String = serviceBackend) -> String {
        let typeField = type.map { ", pathType: \($0)" } ?? ""
        return "{rules: [{host: \"\(host)\", http: {paths: [{path: \"\(path)\"\(typeField), backend: \(backend)}]}}]}"
    }

    var yaml: String {
        var text = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: \(objectName)\n"
        text += (metadata.contains { $0.hasPrefix("namespace:") } ? metadata : ["namespace: default"] + metadata).map { "  \($0)\n" }.joined()
        text += "spec: \(spec)\n"
        if let status { text += "status: \(status)\n" }
        return text
    }
}

private let rulePath = "spec.rules[0].http.paths[0]"
private let subdomain = NameFormat.subdomainMessage

let ingressCases: [IngressCase] = [
    .init(name: "valid", expect: []),
    .init(name: "only a default backend", spec: "{defaultBackend: \(IngressCase.serviceBackend)}", expect: []),
    .init(name: "neither rules nor default backend", spec: "{}",
          expect: ["spec: Invalid value: null: either `defaultBackend` or `rules` must be specified"]),
    .init(name: "name with dots", objectName: "web.example.com", expect: []),
    .init(name: "name with capitals", objectName: "Web", expect: ["metadata.name: Invalid value: \"Web\": \(subdomain)"]),
    .init(name: "invalid namespace", metadata: ["namespace: Shop"], expect: ["metadata.namespace: Invalid value: \"Shop\": \(NameFormat.dns1123Message)"]),
    .init(name: "invalid creationTimestamp", metadata: ["creationTimestamp: \"yesterday\""],
          expect: ["metadata.creationTimestamp: Invalid value: \"yesterday\": must be an RFC 3339 time (e.g. 2024-01-01T00:00:00Z)"]),
    // pathType
    .init(name: "missing pathType", spec: IngressCase.spec(type: nil),
          expect: ["\(rulePath).pathType: Required value: pathType must be specified"]),
    .init(name: "unsupported pathType", spec: IngressCase.spec(type: "Regex"),
          expect: ["\(rulePath).pathType: Unsupported value: \"Regex\": supported values: \"Exact\", \"ImplementationSpecific\", \"Prefix\""]),
    .init(name: "Exact path", spec: IngressCase.spec(path: "/foo", type: "Exact"), expect: []),
    .init(name: "ImplementationSpecific regex path", spec: IngressCase.spec(path: "/api(/|$)(.*)", type: "ImplementationSpecific"), expect: []),
    .init(name: "ImplementationSpecific empty path", spec: IngressCase.spec(path: "", type: "ImplementationSpecific"), expect: []),
    .init(name: "ImplementationSpecific relative path", spec: IngressCase.spec(path: "foo", type: "ImplementationSpecific"),
          expect: ["\(rulePath).path: Invalid value: \"foo\": must be an absolute path"]),
    // Exact and Prefix paths
    .init(name: "relative Prefix path", spec: IngressCase.spec(path: "foo"), expect: ["\(rulePath).path: Invalid value: \"foo\": must be an absolute path"]),
    .init(name: "empty Exact path", spec: IngressCase.spec(path: "", type: "Exact"), expect: ["\(rulePath).path: Invalid value: \"\": must be an absolute path"]),
    .init(name: "double slash", spec: IngressCase.spec(path: "/foo//bar"), expect: ["\(rulePath).path: Invalid value: \"/foo//bar\": must not contain '//'"]),
    .init(name: "dot segment", spec: IngressCase.spec(path: "/foo/./bar"), expect: ["\(rulePath).path: Invalid value: \"/foo/./bar\": must not contain '/./'"]),
    .init(name: "dot-dot segment", spec: IngressCase.spec(path: "/foo/../bar", type: "Exact"),
          expect: ["\(rulePath).path: Invalid value: \"/foo/../bar\": must not contain '/../'"]),
    .init(name: "encoded slash", spec: IngressCase.spec(path: "/foo%2fbar"), expect: ["\(rulePath).path: Invalid value: \"/foo%2fbar\": must not contain '%2f'"]),
    .init(name: "encoded slash in capitals", spec: IngressCase.spec(path: "/foo%2Fbar"),
          expect: ["\(rulePath).path: Invalid value: \"/foo%2Fbar\": must not contain '%2F'"]),
    .init(name: "trailing dot-dot", spec: IngressCase.spec(path: "/foo/.."), expect: ["\(rulePath).path: Invalid value: \"/foo/..\": cannot end with '/..'"]),
    .init(name: "trailing dot", spec: IngressCase.spec(path: "/foo/."), expect: ["\(rulePath).path: Invalid value: \"/foo/.\": cannot end with '/.'"]),
    .init(name: "regex in a Prefix path", spec: IngressCase.spec(path: "/api(/|$)(.*)"),
          expect: ["\(rulePath).path: Invalid value: \"/api(/|$)(.*)\": \(NameFormat.httpPathMessage)"]),
    .init(name: "space in an Exact path", spec: IngressCase.spec(path: "/a b", type: "Exact"),
          expect: ["\(rulePath).path: Invalid value: \"/a b\": \(NameFormat.httpPathMessage)"]),
    .init(name: "URL path characters", spec: IngressCase.spec(path: "/.well-known/a~b_c;d=e,f:g!h$i&j'k(l)m*n+o%20"), expect: []),
    // hosts
    .init(name: "no host", spec: "{rules: [{http: {paths: [{path: /, pathType: Prefix, backend: \(IngressCase.serviceBackend)}]}}]}", expect: []),
    .init(name: "IP host", spec: IngressCase.spec(host: "1.2.3.4"), expect: ["spec.rules[0].host: Invalid value: \"1.2.3.4\": must be a DNS name, not an IP address"]),
    .init(name: "IP host with leading zeros", spec: IngressCase.spec(host: "010.2.3.4"),
          expect: ["spec.rules[0].host: Invalid value: \"010.2.3.4\": must be a DNS name, not an IP address"]),
    .init(name: "IPv6 host", spec: IngressCase.spec(host: "fd00::1"),
          expect: ["spec.rules[0].host: Invalid value: \"fd00::1\": must be a DNS name, not an IP address",
                   "spec.rules[0].host: Invalid value: \"fd00::1\": \(subdomain)"]),
    .init(name: "host with capitals", spec: IngressCase.spec(host: "Foo.example.com"),
          expect: ["spec.rules[0].host: Invalid value: \"Foo.example.com\": \(subdomain)"]),
    .init(name: "host with a port", spec: IngressCase.spec(host: "foo.example.com:80"),
          expect: ["spec.rules[0].host: Invalid value: \"foo.example.com:80\": \(subdomain)"]),
    .init(name: "wildcard host", spec: IngressCase.spec(host: "*.example.com"), expect: []),
    .init(name: "double wildcard", spec: IngressCase.spec(host: "*.*.example.com"),
          expect: ["spec.rules[0].host: Invalid value: \"*.*.example.com\": \(NameFormat.wildcardSubdomainMessage)"]),
    .init(name: "inner wildcard", spec: IngressCase.spec(host: "foo.*.com"),
          expect: ["spec.rules[0].host: Invalid value: \"foo.*.com\": \(NameFormat.wildcardSubdomainMessage)"]),
    .init(name: "bare wildcard", spec: IngressCase.spec(host: "*"),
          expect: ["spec.rules[0].host: Invalid value: \"*\": \(NameFormat.wildcardSubdomainMessage)"]),
    .init(name: "http without paths", spec: "{rules: [{host: foo.example.com, http: {paths: []}}]}", expect: ["spec.rules[0].http.paths: Required value"]),
    .init(name: "rule without http", spec: "{rules: [{host: foo.example.com}]}", expect: []),
    // backends
    .init(name: "backend by port name", spec: IngressCase.spec(backend: "{service: {name: web, port: {name: http}}}"), expect: []),
    .init(name: "resource backend", spec: IngressCase.spec(backend: "{resource: {apiGroup: k8s.example.com, kind: StorageBucket, name: static}}"), expect: []),
    .init(name: "service and resource backend", spec: IngressCase.spec(backend: "{service: {name: web, port: {number: 80}}, resource: {kind: B, name: b}}"),
          expect: ["\(rulePath).backend: Invalid value: \"\": cannot set both resource and service backends"]),
    .init(name: "empty backend", spec: IngressCase.spec(backend: "{}"),
          expect: ["\(rulePath).backend: Invalid value: \"\": resource or service backend is required"]),
    .init(name: "service without name", spec: IngressCase.spec(backend: "{service: {port: {number: 80}}}"),
          expect: ["\(rulePath).backend.service.name: Required value"]),
    .init(name: "service name not a DNS-1035 label", spec: IngressCase.spec(backend: "{service: {name: 1web, port: {number: 80}}}"),
          expect: ["\(rulePath).backend.service.name: Invalid value: \"1web\": \(NameFormat.dns1035Message)"]),
    .init(name: "port name and number", spec: IngressCase.spec(backend: "{service: {name: web, port: {name: http, number: 80}}}"),
          expect: ["\(rulePath).backend: Invalid value: \"\": cannot set both port name & port number"]),
    .init(name: "no port", spec: IngressCase.spec(backend: "{service: {name: web}}"),
          expect: ["\(rulePath).backend: Required value: port name or number is required"]),
    .init(name: "port number out of range", spec: IngressCase.spec(backend: "{service: {name: web, port: {number: 70000}}}"),
          expect: ["\(rulePath).backend.service.port.number: Invalid value: 70000: must be between 1 and 65535, inclusive"]),
    .init(name: "invalid port name", spec: IngressCase.spec(backend: "{service: {name: web, port: {name: -http}}}"),
          expect: ["\(rulePath).backend.service.port.name: Invalid value: \"-http\": must not begin or end with a hyphen"]),
    .init(name: "resource without kind", spec: IngressCase.spec(backend: "{resource: {name: b}}"),
          expect: ["\(rulePath).backend.resource.kind: Required value"]),
    .init(name: "resource name with a slash", spec: IngressCase.spec(backend: "{resource: {kind: B, name: a/b}}"),
          expect: ["\(rulePath).backend.resource.name: Invalid value: \"a/b\": may not contain '/'"]),
    .init(name: "default backend without port", spec: "{defaultBackend: {service: {name: web}}}",
          expect: ["spec.defaultBackend: Required value: port name or number is required"]),
    // TLS, class
    .init(name: "TLS", spec: "{tls: [{hosts: [foo.example.com, \"*.example.com\"], secretName: foo-tls}], defaultBackend: \(IngressCase.serviceBackend)}", expect: []),
    .init(name: "invalid TLS host and secret", spec: "{tls: [{hosts: [Foo], secretName: Foo_tls}], defaultBackend: \(IngressCase.serviceBackend)}",
          expect: ["spec.tls[0].hosts[0]: Invalid value: \"Foo\": \(subdomain)", "spec.tls[0].secretName: Invalid value: \"Foo_tls\": \(subdomain)"]),
    .init(name: "invalid class name", spec: "{ingressClassName: Nginx, defaultBackend: \(IngressCase.serviceBackend)}",
          expect: ["spec.ingressClassName: Invalid value: \"Nginx\": \(subdomain)"]),
    .init(name: "class annotation differs from ingressClassName",
          spec: "{ingressClassName: svcproxy, defaultBackend: \(IngressCase.serviceBackend)}",
          metadata: ["annotations: {kubernetes.io/ingress.class: nginx}"],
          expect: ["annotations.kubernetes.io/ingress.class: Invalid value: \"nginx\": must match `ingressClassName` when both are specified"]),
    // strict fields
    .init(name: "unknown spec field", spec: "{rule: [], defaultBackend: \(IngressCase.serviceBackend)}", expect: ["spec.rule: Unknown field: did you mean spec.rules?"]),
    .init(name: "v1beta1 backend fields", spec: IngressCase.spec(backend: "{serviceName: web, servicePort: 80}"),
          expect: ["\(rulePath).backend.serviceName: Unknown field", "\(rulePath).backend.servicePort: Unknown field",
                   "\(rulePath).backend: Invalid value: \"\": resource or service backend is required"]),
    .init(name: "path type misspelled", spec: "{rules: [{http: {paths: [{path: /, pathtype: Prefix, backend: \(IngressCase.serviceBackend)}]}}]}",
          expect: ["\(rulePath).pathtype: Unknown field: did you mean \(rulePath).pathType?", "\(rulePath).pathType: Required value: pathType must be specified"]),
    .init(name: "status as kubectl prints it", status: "{loadBalancer: {ingress: [{ip: 192.0.2.10}, {hostname: lb.example.com}]}}", expect: []),
    .init(name: "unknown status field", status: "{loadbalancer: {}}", expect: ["status.loadbalancer: Unknown field: did you mean status.loadBalancer?"]),
]

@Suite struct IngressValidationTableTests {
    @Test func everyCaseHasItsOwnName() {
        #expect(Set(ingressCases.map(\.name)).count == ingressCases.count)
    }

    @Test(arguments: ingressCases)
    func fieldPathsAndWordsMatchKubernetes(_ testCase: IngressCase) {
        let found = errors(of: testCase.yaml).map { $0.replacing(#/^Ingress "[^"]*" is invalid: /#, with: "") }
        #expect(found.sorted() == testCase.expect.sorted(), "\(testCase.name):\n\(testCase.yaml)")
    }

    static let ingressClassCases: [(String, [String])] = [
        ("{controller: svcproxy.io/ingress-controller}", []),
        ("{controller: svcproxy.io/ingress-controller, parameters: {apiGroup: k8s.example.com, kind: Params, name: p, scope: Cluster}}", []),
        ("{controller: svcproxy.io/ingress-controller, parameters: {kind: Params, name: p, scope: Namespace, namespace: shop}}", []),
        ("{}", ["spec.controller: Required value"]),
        ("{controller: svcproxy}", ["spec.controller: Invalid value: \"svcproxy\": must be a domain-prefixed path (such as \"acme.io/foo\")"]),
        ("{controller: Svcproxy.io/x}", ["spec.controller: Invalid value: \"Svcproxy.io\": \(NameFormat.subdomainMessage)"]),
        ("{controller: svcproxy.io/a b}", ["spec.controller: Invalid value: \"a b\": \(NameFormat.httpPathMessage)"]),
        ("{controller: \"svcproxy.io/\(String(repeating: "a", count: 250))\"}", ["spec.controller: Too long: may not be more than 250 bytes"]),
        ("{controller: a.io/b, parameters: {kind: P, name: p}}", ["spec.parameters.scope: Required value"]),
        ("{controller: a.io/b, parameters: {kind: P, name: p, scope: Node}}",
         ["spec.parameters.scope: Unsupported value: \"Node\": supported values: \"Cluster\", \"Namespace\""]),
        ("{controller: a.io/b, parameters: {kind: P, name: p, scope: Namespace}}",
         ["spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'"]),
        ("{controller: a.io/b, parameters: {kind: P, name: p, scope: Cluster, namespace: shop}}",
         ["spec.parameters.namespace: Forbidden: `parameters.scope` is set to 'Cluster'"]),
        ("{controller: a.io/b, parameters: {name: p, scope: Cluster}}", ["spec.parameters.kind: Required value"]),
        ("{controler: a.io/b}", ["spec.controler: Unknown field: did you mean spec.controller?", "spec.controller: Required value"]),
    ]

    @Test(arguments: ingressClassCases)
    func ingressClassRulesMatchKubernetes(_ testCase: (String, [String])) {
        let yaml = "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: ours}\nspec: \(testCase.0)\n"
        let found = errors(of: yaml).map { $0.replacing("IngressClass \"ours\" is invalid: ", with: "") }
        #expect(found.sorted() == testCase.1.sorted(), "\(testCase.0)")
    }

    private func errors(of yaml: String) -> [String] {
        let (objects, loadErrors) = ConfigLoader.load(text: yaml, file: "case.yaml")
        switch Configuration.plan(objects: objects, settings: NodeSettings(), loadErrors: loadErrors) {
        case .success: return []
        case .failure(let errors): return errors.errors.map { $0.description.replacing(#/^case\.yaml:\d+:\d+: /#, with: "") }
        }
    }
}
