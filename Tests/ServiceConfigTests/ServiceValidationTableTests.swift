// Cases after Kubernetes' TestValidateServiceCreate (pkg/apis/core/validation) and the
// ClusterIP and NodePort allocator tests: for each, svcproxy must reach the same verdict
// with the same field paths and error types. A case edits a valid service, as Kubernetes'
// `tweakSvc` functions do; defaults are applied as the API server applies them on create.
import Testing
@testable import ServiceConfig

struct ServiceCase: CustomStringConvertible, Sendable {
    let name: String
    var spec: [String: String?] = [:]
    var metadata: [String: String?] = [:]
    var status: String?
    /// `--service-cluster-ip-range` for allocator cases; the default accepts any address.
    var ranges = ["0.0.0.0/0", "::/0"]
    /// "Type path" per error, e.g. "Invalid spec.ports[0].port"; empty for a valid service.
    let expect: [String]

    var description: String { name }

    static let baseSpec: [(String, String)] = [
        ("selector", "{key: val}"), ("sessionAffinity", "None"), ("type", "ClusterIP"),
        ("ports", "[{name: p, protocol: TCP, port: 8675, targetPort: 8675}]"),
    ]

    var yaml: String {
        var text = "apiVersion: v1\nkind: Service\nmetadata:\n"
        text += Self.merge([("name", "valid"), ("namespace", "default")], metadata)
        text += "spec:\n" + Self.merge(Self.baseSpec, spec)
        if let status { text += "status: \(status)\n" }
        return text
    }

    private static func merge(_ base: [(String, String)], _ edits: [String: String?]) -> String {
        var lines = base.filter { edits[$0.0] == nil }.map { "  \($0.0): \($0.1)\n" }
        for (key, value) in edits.sorted(by: { $0.key < $1.key }) {
            if let value { lines.append("  \(key): \(value)\n") }
        }
        return lines.joined()
    }
}

private func ports(_ entries: String...) -> String { "[" + entries.joined(separator: ", ") + "]" }

let serviceCases: [ServiceCase] = [
    // metadata
    .init(name: "valid", expect: []),
    .init(name: "invalid namespace", metadata: ["namespace": "\"-123\""], expect: ["Invalid metadata.namespace"]),
    .init(name: "missing name", metadata: ["name": "\"\""], expect: ["Required metadata.name"]),
    .init(name: "invalid name", metadata: ["name": "\"-123\""], expect: ["Invalid metadata.name"]),
    .init(name: "too long name", metadata: ["name": String(repeating: "a", count: 64)], expect: ["Invalid metadata.name"]),
    .init(name: "name with dots is not a DNS-1035 label", metadata: ["name": "a.b"], expect: ["Invalid metadata.name"]),
    // selector
    .init(name: "nil selector", spec: ["selector": nil], expect: []),
    .init(name: "invalid selector key", spec: ["selector": "{\"NoUppercaseOrSpecialCharsLike=Equals\": bar}"], expect: ["Invalid spec.selector"]),
    .init(name: "invalid selector value", spec: ["selector": "{key: \"-bad-\"}"], expect: ["Invalid spec.selector"]),
    .init(name: "prefixed selector key", spec: ["selector": "{app.kubernetes.io/name: web}"], expect: []),
    // type and session affinity
    .init(name: "empty session affinity", spec: ["sessionAffinity": "\"\""], expect: ["Required spec.sessionAffinity"]),
    .init(name: "empty type defaults to ClusterIP", spec: ["type": "\"\""], expect: []),
    .init(name: "unsupported session affinity", spec: ["sessionAffinity": "Sticky"], expect: ["Unsupported spec.sessionAffinity"]),
    .init(name: "ClientIP affinity with timeout", spec: ["sessionAffinity": "ClientIP", "sessionAffinityConfig": "{clientIP: {timeoutSeconds: 90}}"], expect: []),
    .init(name: "ClientIP affinity without config is defaulted", spec: ["sessionAffinity": "ClientIP"], expect: []),
    .init(name: "ClientIP affinity timeout 0", spec: ["sessionAffinity": "ClientIP", "sessionAffinityConfig": "{clientIP: {timeoutSeconds: 0}}"],
          expect: ["Invalid spec.sessionAffinityConfig.clientIP.timeoutSeconds"]),
    .init(name: "ClientIP affinity timeout -1", spec: ["sessionAffinity": "ClientIP", "sessionAffinityConfig": "{clientIP: {timeoutSeconds: -1}}"],
          expect: ["Invalid spec.sessionAffinityConfig.clientIP.timeoutSeconds"]),
    .init(name: "ClientIP affinity timeout 86400", spec: ["sessionAffinity": "ClientIP", "sessionAffinityConfig": "{clientIP: {timeoutSeconds: 86400}}"], expect: []),
    .init(name: "ClientIP affinity timeout 86401", spec: ["sessionAffinity": "ClientIP", "sessionAffinityConfig": "{clientIP: {timeoutSeconds: 86401}}"],
          expect: ["Invalid spec.sessionAffinityConfig.clientIP.timeoutSeconds"]),
    .init(name: "affinity config with affinity None", spec: ["sessionAffinityConfig": "{clientIP: {timeoutSeconds: 90}}"], expect: ["Forbidden spec.sessionAffinityConfig"]),
    // ports
    .init(name: "missing ports", spec: ["ports": "[]"], expect: ["Required spec.ports"]),
    .init(name: "missing ports but headless", spec: ["ports": "[]", "clusterIP": "None"], expect: []),
    .init(name: "empty port[0] name", spec: ["ports": ports("{port: 80}", "{name: q, port: 81}")], expect: ["Required spec.ports[0].name"]),
    .init(name: "empty port[1] name", spec: ["ports": ports("{name: p, port: 80}", "{port: 81}")], expect: ["Required spec.ports[1].name"]),
    .init(name: "single port without a name", spec: ["ports": ports("{port: 80}")], expect: []),
    .init(name: "invalid port name", spec: ["ports": ports("{name: INVALID, port: 80}")], expect: ["Invalid spec.ports[0].name"]),
    .init(name: "duplicate port name", spec: ["ports": ports("{name: p, port: 80}", "{name: p, port: 81}")], expect: ["Duplicate spec.ports[1].name"]),
    .init(name: "empty protocol defaults to TCP", spec: ["ports": ports("{name: p, protocol: \"\", port: 80}")], expect: []),
    .init(name: "invalid protocol", spec: ["ports": ports("{name: p, protocol: INVALID, port: 80}")], expect: ["Unsupported spec.ports[0].protocol"]),
    .init(name: "missing port", spec: ["ports": ports("{name: p, port: 0}")], expect: ["Invalid spec.ports[0].port"]),
    .init(name: "port 65536", spec: ["ports": ports("{name: p, port: 65536}")], expect: ["Invalid spec.ports[0].port"]),
    .init(name: "targetPort 65536", spec: ["ports": ports("{name: p, port: 80, targetPort: 65536}")], expect: ["Invalid spec.ports[0].targetPort"]),
    .init(name: "targetPort 0 defaults to port", spec: ["ports": ports("{name: p, port: 80, targetPort: 0}")], expect: []),
    .init(name: "empty targetPort defaults to port", spec: ["ports": ports("{name: p, port: 80, targetPort: \"\"}")], expect: []),
    .init(name: "targetPort -1", spec: ["ports": ports("{name: p, port: 80, targetPort: -1}")], expect: ["Invalid spec.ports[0].targetPort"]),
    .init(name: "named targetPort", spec: ["ports": ports("{name: p, port: 80, targetPort: http}")], expect: []),
    .init(name: "named targetPort with double hyphen at the edge", spec: ["ports": ports("{name: p, port: 80, targetPort: \"--http\"}")],
          expect: ["Invalid spec.ports[0].targetPort", "Invalid spec.ports[0].targetPort"]),
    .init(name: "named targetPort too long", spec: ["ports": ports("{name: p, port: 80, targetPort: abcdefghijklmnopq}")], expect: ["Invalid spec.ports[0].targetPort"]),
    .init(name: "named targetPort without a letter", spec: ["ports": ports("{name: p, port: 80, targetPort: \"123\"}")], expect: ["Invalid spec.ports[0].targetPort"]),
    .init(name: "named targetPort in upper case", spec: ["ports": ports("{name: p, port: 80, targetPort: HTTP}")],
          expect: ["Invalid spec.ports[0].targetPort", "Invalid spec.ports[0].targetPort"]),
    .init(name: "headless with matching targetPort", spec: ["clusterIP": "None", "ports": ports("{name: p, port: 11722, targetPort: 11722}")], expect: []),
    .init(name: "headless with other targetPort is tolerated", spec: ["clusterIP": "None", "ports": ports("{name: p, port: 11722, targetPort: 11721}")], expect: []),
    .init(name: "headless with named targetPort is tolerated", spec: ["clusterIP": "None", "ports": ports("{name: p, port: 11722, targetPort: name}")], expect: []),
    .init(name: "duplicate ports with one protocol", spec: ["ports": ports("{name: p, port: 80}", "{name: q, port: 80}")], expect: ["Duplicate spec.ports[1]"]),
    .init(name: "duplicate ports with different protocols", spec: ["ports": ports("{name: p, port: 53}", "{name: q, port: 53, protocol: UDP}")], expect: []),
    .init(name: "valid appProtocol", spec: ["ports": ports("{name: p, port: 80, appProtocol: kubernetes.io/h2c}")], expect: []),
    .init(name: "invalid appProtocol", spec: ["ports": ports("{name: p, port: 80, appProtocol: \"bad proto!\"}")], expect: ["Invalid spec.ports[0].appProtocol"]),
    // NodePorts
    .init(name: "valid NodePort", spec: ["type": "NodePort", "ports": ports("{name: p, port: 80, nodePort: 30001}")], expect: []),
    .init(name: "NodePort allocated", spec: ["type": "NodePort"], expect: []),
    .init(name: "nodePort on ClusterIP", spec: ["ports": ports("{name: p, port: 80, nodePort: 30001}")], expect: ["Forbidden spec.ports[0].nodePort"]),
    .init(name: "duplicate nodePorts", spec: ["type": "NodePort", "ports": ports("{name: p, port: 80, nodePort: 30001}", "{name: q, port: 81, nodePort: 30001}")],
          expect: ["Duplicate spec.ports[1].nodePort"]),
    .init(name: "duplicate nodePort with different protocols",
          spec: ["type": "NodePort", "ports": ports("{name: p, port: 53, nodePort: 30053}", "{name: q, port: 53, protocol: UDP, nodePort: 30053}")], expect: []),
    .init(name: "NodePort with None ClusterIP", spec: ["type": "NodePort", "clusterIP": "None"], expect: ["Invalid spec.clusterIPs[0]"]),
    .init(name: "nodePort above the range", spec: ["type": "NodePort", "ports": ports("{name: p, port: 80, nodePort: 40000}")], expect: ["Invalid spec.ports[0].nodePort"]),
    .init(name: "nodePort below the range", spec: ["type": "NodePort", "ports": ports("{name: p, port: 80, nodePort: 29999}")], expect: ["Invalid spec.ports[0].nodePort"]),
    .init(name: "nodePort at the range's ends",
          spec: ["type": "NodePort", "ports": ports("{name: p, port: 80, nodePort: 30000}", "{name: q, port: 81, nodePort: 32767}")], expect: []),
    .init(name: "nodePort 0 is allocated", spec: ["type": "NodePort", "ports": ports("{name: p, port: 80, nodePort: 0}")], expect: []),
    .init(name: "nodePort 0 on ClusterIP is unset", spec: ["ports": ports("{name: p, port: 80, nodePort: 0}")], expect: []),
    .init(name: "two nodePorts 0 are not duplicates",
          spec: ["type": "NodePort", "ports": ports("{name: p, port: 80, nodePort: 0}", "{name: q, port: 81, nodePort: 0}")], expect: []),
    .init(name: "healthCheckNodePort 0 is unset", spec: ["type": "NodePort", "healthCheckNodePort": "0"], expect: []),
    .init(name: "healthCheckNodePort on NodePort", spec: ["type": "NodePort", "healthCheckNodePort": "30100"], expect: ["Invalid spec.healthCheckNodePort"]),
    // LoadBalancer
    .init(name: "valid LoadBalancer", spec: ["type": "LoadBalancer"], expect: []),
    .init(name: "LoadBalancer UDP", spec: ["type": "LoadBalancer", "ports": ports("{name: p, port: 80, protocol: UDP}")], expect: []),
    .init(name: "LoadBalancer mixed protocols", spec: ["type": "LoadBalancer", "ports": ports("{name: p, port: 80}", "{name: q, port: 12345, protocol: UDP}")], expect: []),
    .init(name: "LoadBalancer duplicate ports", spec: ["type": "LoadBalancer", "ports": ports("{name: p, port: 12345}", "{name: q, port: 12345}")],
          expect: ["Duplicate spec.ports[1]"]),
    .init(name: "LoadBalancer with None ClusterIP", spec: ["type": "LoadBalancer", "clusterIP": "None"], expect: ["Invalid spec.clusterIPs[0]"]),
    .init(name: "LoadBalancer with loadBalancerIP", spec: ["type": "LoadBalancer", "loadBalancerIP": "192.0.2.10"], expect: []),
    .init(name: "LoadBalancer source ranges", spec: ["type": "LoadBalancer", "loadBalancerSourceRanges": "[10.0.0.0/8, \" 192.168.0.0/16 \"]"], expect: []),
    .init(name: "source ranges on ClusterIP", spec: ["loadBalancerSourceRanges": "[10.0.0.0/8]"], expect: ["Forbidden spec.LoadBalancerSourceRanges"]),
    .init(name: "invalid source range", spec: ["type": "LoadBalancer", "loadBalancerSourceRanges": "[10.0.0.0/33]"], expect: ["Invalid spec.LoadBalancerSourceRanges[0]"]),
    .init(name: "allocateLoadBalancerNodePorts on ClusterIP", spec: ["allocateLoadBalancerNodePorts": "false"], expect: ["Forbidden spec.allocateLoadBalancerNodePorts"]),
    .init(name: "LoadBalancer without NodePorts", spec: ["type": "LoadBalancer", "allocateLoadBalancerNodePorts": "false"], expect: []),
    .init(name: "loadBalancerClass on ClusterIP", spec: ["loadBalancerClass": "example.com/lb"], expect: ["Forbidden spec.loadBalancerClass"]),
    .init(name: "invalid loadBalancerClass", spec: ["type": "LoadBalancer", "loadBalancerClass": "\"-bad/\""], expect: ["Invalid spec.loadBalancerClass", "Invalid spec.loadBalancerClass"]),
    .init(name: "LoadBalancer Local with healthCheckNodePort",
          spec: ["type": "LoadBalancer", "externalTrafficPolicy": "Local", "healthCheckNodePort": "30100"], expect: []),
    .init(name: "healthCheckNodePort 65536", spec: ["type": "LoadBalancer", "externalTrafficPolicy": "Local", "healthCheckNodePort": "65536"],
          expect: ["Invalid spec.healthCheckNodePort"]),
    .init(name: "healthCheckNodePort -1", spec: ["type": "LoadBalancer", "externalTrafficPolicy": "Local", "healthCheckNodePort": "-1"],
          expect: ["Invalid spec.healthCheckNodePort"]),
    .init(name: "healthCheckNodePort on a LoadBalancer with the Cluster policy",
          spec: ["type": "LoadBalancer", "externalTrafficPolicy": "Cluster", "healthCheckNodePort": "30100"], expect: ["Invalid spec.healthCheckNodePort"]),
    .init(name: "healthCheckNodePort on a LoadBalancer with no policy written",
          spec: ["type": "LoadBalancer", "healthCheckNodePort": "30100"], expect: ["Invalid spec.healthCheckNodePort"]),
    .init(name: "healthCheckNodePort on a Local NodePort",
          spec: ["type": "NodePort", "externalTrafficPolicy": "Local", "healthCheckNodePort": "30100"], expect: ["Invalid spec.healthCheckNodePort"]),
    .init(name: "healthCheckNodePort on ClusterIP", spec: ["healthCheckNodePort": "30100"], expect: ["Invalid spec.healthCheckNodePort"]),
    .init(name: "healthCheckNodePort zero on a LoadBalancer with the Cluster policy",
          spec: ["type": "LoadBalancer", "externalTrafficPolicy": "Cluster", "healthCheckNodePort": "0"], expect: []),
    .init(name: "ingress with an invalid IP", spec: ["type": "LoadBalancer"], status: "{loadBalancer: {ingress: [{ip: bad}]}}",
          expect: ["Invalid status.loadBalancer.ingress[0].ip"]),
    .init(name: "ingress ipMode without ip", spec: ["type": "LoadBalancer"], status: "{loadBalancer: {ingress: [{hostname: lb.example.com, ipMode: VIP}]}}",
          expect: ["Forbidden status.loadBalancer.ingress[0].ipMode"]),
    .init(name: "ingress unsupported ipMode", spec: ["type": "LoadBalancer"], status: "{loadBalancer: {ingress: [{ip: 192.0.2.1, ipMode: Tunnel}]}}",
          expect: ["Unsupported status.loadBalancer.ingress[0].ipMode"]),
    // externalIPs
    .init(name: "valid externalIPs", spec: ["externalIPs": "[1.2.3.4]"], expect: []),
    .init(name: "externalIPs not an address", spec: ["externalIPs": "[myhost.mydomain]"], expect: ["Invalid spec.externalIPs[0]"]),
    .init(name: "externalIPs loopback", spec: ["externalIPs": "[127.0.0.1]"], expect: ["Invalid spec.externalIPs[0]"]),
    .init(name: "externalIPs IPv6 loopback", spec: ["externalIPs": "[\"::1\"]"], expect: ["Invalid spec.externalIPs[0]"]),
    .init(name: "externalIPs unspecified", spec: ["externalIPs": "[0.0.0.0]"], expect: ["Invalid spec.externalIPs[0]"]),
    .init(name: "externalIPs link-local", spec: ["externalIPs": "[169.254.0.1]"], expect: ["Invalid spec.externalIPs[0]"]),
    .init(name: "externalIPs IPv6 link-local", spec: ["externalIPs": "[\"fe80::1\"]"], expect: ["Invalid spec.externalIPs[0]"]),
    .init(name: "externalIPs link-local multicast", spec: ["externalIPs": "[224.0.0.1]"], expect: ["Invalid spec.externalIPs[0]"]),
    .init(name: "externalIPs second one bad", spec: ["externalIPs": "[1.2.3.4, 127.0.0.2]"], expect: ["Invalid spec.externalIPs[1]"]),
    // ExternalName
    .init(name: "valid ExternalName", spec: ["type": "ExternalName", "externalName": "foo.bar.example.com", "selector": nil], expect: []),
    .init(name: "ExternalName with trailing dot", spec: ["type": "ExternalName", "externalName": "foo.bar.example.com."], expect: []),
    .init(name: "ExternalName invalid", spec: ["type": "ExternalName", "externalName": "\"-123\""], expect: ["Invalid spec.externalName"]),
    .init(name: "ExternalName missing", spec: ["type": "ExternalName"], expect: ["Required spec.externalName"]),
    .init(name: "ExternalName with clusterIP", spec: ["type": "ExternalName", "externalName": "a.example.com", "clusterIP": "1.2.3.4"],
          expect: ["Forbidden spec.clusterIPs"]),
    .init(name: "ExternalName with ipFamilies", spec: ["type": "ExternalName", "externalName": "a.example.com", "ipFamilies": "[IPv4]"],
          expect: ["Forbidden spec.ipFamilies"]),
    .init(name: "ExternalName with ipFamilyPolicy", spec: ["type": "ExternalName", "externalName": "a.example.com", "ipFamilyPolicy": "SingleStack"],
          expect: ["Forbidden spec.ipFamilyPolicy"]),
    // traffic policies
    .init(name: "externalTrafficPolicy on ClusterIP", spec: ["externalTrafficPolicy": "Cluster"], expect: ["Invalid spec.externalTrafficPolicy"]),
    .init(name: "externalTrafficPolicy Local on NodePort", spec: ["type": "NodePort", "externalTrafficPolicy": "Local"], expect: []),
    .init(name: "externalTrafficPolicy on ClusterIP with externalIPs", spec: ["externalIPs": "[1.2.3.4]", "externalTrafficPolicy": "Local"], expect: []),
    .init(name: "unsupported externalTrafficPolicy", spec: ["type": "NodePort", "externalTrafficPolicy": "Foo"], expect: ["Unsupported spec.externalTrafficPolicy"]),
    .init(name: "internalTrafficPolicy Local", spec: ["internalTrafficPolicy": "Local"], expect: []),
    .init(name: "unsupported internalTrafficPolicy", spec: ["internalTrafficPolicy": "Foo"], expect: ["Unsupported spec.internalTrafficPolicy"]),
    .init(name: "trafficDistribution PreferClose", spec: ["trafficDistribution": "PreferClose"], expect: []),
    .init(name: "unsupported trafficDistribution", spec: ["trafficDistribution": "Nearest"], expect: ["Unsupported spec.trafficDistribution"]),
    // clusterIP, clusterIPs, ipFamilies, ipFamilyPolicy
    .init(name: "invalid clusterIP", spec: ["clusterIP": "invalid"], expect: ["Invalid spec.clusterIPs[0]"]),
    .init(name: "clusterIP with leading zeros", spec: ["clusterIP": "010.0.0.1"], expect: ["Invalid spec.clusterIPs[0]"]),
    .init(name: "clusterIPs first value differs", spec: ["clusterIP": "10.0.0.1", "clusterIPs": "[10.0.0.2]"], expect: ["Invalid spec.clusterIPs"]),
    .init(name: "clusterIPs without clusterIP", spec: ["clusterIPs": "[10.0.0.2]"], expect: []),
    .init(name: "three clusterIPs", spec: ["clusterIPs": "[10.0.0.1, \"2000::1\", 10.0.0.2]", "ipFamilyPolicy": "RequireDualStack"], expect: ["Invalid spec.clusterIPs"]),
    .init(name: "two clusterIPs of one family", spec: ["clusterIPs": "[10.0.0.1, 10.0.0.2]", "ipFamilyPolicy": "RequireDualStack"], expect: ["Invalid spec.clusterIPs"]),
    .init(name: "None not alone", spec: ["clusterIPs": "[None, 10.0.0.1]"], expect: ["Invalid spec.clusterIPs"]),
    .init(name: "invalid secondary clusterIP", spec: ["clusterIPs": "[10.0.0.1, bad]", "ipFamilyPolicy": "RequireDualStack"], expect: ["Invalid spec.clusterIPs[1]"]),
    .init(name: "unsupported ipFamily", spec: ["ipFamilies": "[IPv5]"], expect: ["Unsupported spec.ipFamilies[0]"]),
    .init(name: "duplicate ipFamilies", spec: ["ipFamilies": "[IPv4, IPv4]", "ipFamilyPolicy": "RequireDualStack"], expect: ["Duplicate spec.ipFamilies[1]"]),
    .init(name: "unsupported ipFamilyPolicy", spec: ["ipFamilyPolicy": "Foo"], expect: ["Unsupported spec.ipFamilyPolicy"]),
    .init(name: "IPv4 clusterIP with IPv6 family", spec: ["clusterIP": "10.0.0.1", "ipFamilies": "[IPv6]"], expect: ["Invalid spec.clusterIPs[0]"]),
    .init(name: "IPv6 clusterIP with IPv4 family", spec: ["clusterIP": "\"2000::1\"", "ipFamilies": "[IPv4]"], expect: ["Invalid spec.clusterIPs[0]"]),
    .init(name: "valid dual-stack", spec: ["clusterIPs": "[10.0.0.1, \"2000::1\"]", "ipFamilies": "[IPv4, IPv6]", "ipFamilyPolicy": "RequireDualStack"], expect: []),
    .init(name: "valid dual-stack IPv6 first", spec: ["ipFamilies": "[IPv6, IPv4]", "ipFamilyPolicy": "PreferDualStack"], expect: []),
    .init(name: "SingleStack with two families", spec: ["ipFamilies": "[IPv4, IPv6]", "ipFamilyPolicy": "SingleStack"], expect: ["Invalid spec.ipFamilyPolicy"]),
    .init(name: "SingleStack with two clusterIPs", spec: ["clusterIPs": "[10.0.0.1, \"2000::1\"]", "ipFamilyPolicy": "SingleStack"], expect: ["Invalid spec.ipFamilyPolicy"]),
    // the ClusterIP allocator, with Kubernetes' default range
    .init(name: "clusterIP in range", spec: ["clusterIP": "10.96.0.10"], ranges: ["10.96.0.0/12"], expect: []),
    .init(name: "clusterIP outside the range", spec: ["clusterIP": "10.0.0.10"], ranges: ["10.96.0.0/12"], expect: ["Invalid spec.clusterIPs[0]"]),
    .init(name: "clusterIP is the network address", spec: ["clusterIP": "10.96.0.0"], ranges: ["10.96.0.0/12"], expect: ["Invalid spec.clusterIPs[0]"]),
    .init(name: "clusterIP is the broadcast address", spec: ["clusterIP": "10.111.255.255"], ranges: ["10.96.0.0/12"], expect: ["Invalid spec.clusterIPs[0]"]),
    .init(name: "clusterIP at the range's last usable address", spec: ["clusterIP": "10.111.255.254"], ranges: ["10.96.0.0/12"], expect: []),
    .init(name: "IPv6 clusterIP on an IPv4 cluster", spec: ["clusterIP": "\"fd00::10\""], ranges: ["10.96.0.0/12"], expect: ["Invalid spec.clusterIPs[0]"]),
    .init(name: "IPv6 family on an IPv4 cluster", spec: ["ipFamilies": "[IPv6]"], ranges: ["10.96.0.0/12"], expect: ["Invalid spec.ipFamilies[0]"]),
    .init(name: "RequireDualStack on an IPv4 cluster", spec: ["ipFamilyPolicy": "RequireDualStack"], ranges: ["10.96.0.0/12"], expect: ["Invalid spec.ipFamilyPolicy"]),
    .init(name: "PreferDualStack on an IPv4 cluster", spec: ["ipFamilyPolicy": "PreferDualStack"], ranges: ["10.96.0.0/12"], expect: []),
    .init(name: "RequireDualStack, IPv6 first, on an IPv4 cluster", spec: ["ipFamilies": "[IPv6, IPv4]", "ipFamilyPolicy": "RequireDualStack"],
          ranges: ["10.96.0.0/12"], expect: ["Invalid spec.ipFamilyPolicy", "Invalid spec.ipFamilies[0]"]),
    .init(name: "RequireDualStack, IPv4 first, on an IPv6 cluster", spec: ["ipFamilies": "[IPv4, IPv6]", "ipFamilyPolicy": "RequireDualStack"],
          ranges: ["fd00:10:96::/112"], expect: ["Invalid spec.ipFamilyPolicy", "Invalid spec.ipFamilies[0]"]),
    .init(name: "IPv6 clusterIP and family on an IPv4 cluster", spec: ["clusterIP": "\"fd00::10\"", "ipFamilies": "[IPv6]"],
          ranges: ["10.96.0.0/12"], expect: ["Invalid spec.ipFamilies[0]"]),
    .init(name: "RequireDualStack with a secondary IPv6 clusterIP on an IPv4 cluster",
          spec: ["clusterIPs": "[10.96.0.10, \"fd00::10\"]", "ipFamilyPolicy": "RequireDualStack"],
          ranges: ["10.96.0.0/12"], expect: ["Invalid spec.clusterIPs[1]"]),
    .init(name: "RequireDualStack on a dual-stack cluster", spec: ["ipFamilyPolicy": "RequireDualStack"], ranges: ["10.96.0.0/12", "fd00:10:96::/112"], expect: []),
    // metadata.labels and metadata.annotations (ValidateObjectMeta)
    .init(name: "valid labels and annotations", metadata: ["labels": "{app.kubernetes.io/name: web, tier: \"\", date: 2024-01-01}",
                                                        "annotations": "{Example.COM/Note: \"any text, at all\"}"], expect: []),
    .init(name: "null label value is empty", metadata: ["labels": "{app: }"], expect: []),
    .init(name: "invalid label key", metadata: ["labels": "{\"bad key!\": x}"], expect: ["Invalid metadata.labels"]),
    .init(name: "label key with an empty prefix", metadata: ["labels": "{/name: x}"], expect: ["Invalid metadata.labels"]),
    .init(name: "invalid label value", metadata: ["labels": "{app: \"-web\"}"], expect: ["Invalid metadata.labels"]),
    .init(name: "label value too long", metadata: ["labels": "{app: \(String(repeating: "a", count: 64))}"], expect: ["Invalid metadata.labels"]),
    .init(name: "integer label value", metadata: ["labels": "{version: 1}"], expect: ["Invalid metadata.labels[version]"]),
    .init(name: "boolean label value", metadata: ["labels": "{canary: true}"], expect: ["Invalid metadata.labels[canary]"]),
    .init(name: "labels not a mapping", metadata: ["labels": "[app]"], expect: ["Invalid metadata.labels"]),
    .init(name: "invalid annotation key", metadata: ["annotations": "{\"-note\": x}"], expect: ["Invalid metadata.annotations"]),
    .init(name: "integer annotation value", metadata: ["annotations": "{replicas: 3}"], expect: ["Invalid metadata.annotations[replicas]"]),
    .init(name: "annotations of 256 KiB", metadata: ["annotations": "{k: \(String(repeating: "a", count: 262_143))}"], expect: []),
    .init(name: "annotations over 256 KiB", metadata: ["annotations": "{k: \(String(repeating: "a", count: 262_144))}"],
          expect: ["TooLong metadata.annotations"]),
    // strict fields
    .init(name: "unknown spec field", spec: ["selectors": "{app: web}"], expect: ["Unknown spec.selectors"]),
    .init(name: "unknown port field", spec: ["ports": ports("{name: p, port: 80, nodeport: 30001}")], expect: ["Unknown spec.ports[0].nodeport"]),
    .init(name: "unknown metadata field", metadata: ["lables": "{app: web}"], expect: ["Unknown metadata.lables"]),
    .init(name: "unknown status field", status: "{loadbalancer: {}}", expect: ["Unknown status.loadbalancer"]),
    .init(name: "full metadata as the API server returns it",
          metadata: ["uid": "0b6d2a4e-1111-2222-3333-444455556666", "resourceVersion": "\"12345\"", "creationTimestamp": "\"2024-01-01T00:00:00Z\"",
                     "labels": "{app: web}", "annotations": "{note: x}", "managedFields": "[{manager: kubectl, operation: Update, fieldsType: FieldsV1, fieldsV1: {f:spec: {}}}]"],
          expect: []),
]

@Suite struct ServiceValidationTableTests {
    @Test func thereAreEnoughCases() {
        #expect(serviceCases.count >= 80)
        #expect(Set(serviceCases.map(\.name)).count == serviceCases.count)
    }

    @Test(arguments: serviceCases)
    func verdictFieldPathAndErrorTypeMatchKubernetes(_ testCase: ServiceCase) {
        let (objects, loadErrors) = ConfigLoader.load(text: testCase.yaml, file: "case.yaml")
        var settings = NodeSettings(nodeAddresses: [IPAddress("127.0.0.1")].compactMap { $0 })
        settings.serviceClusterIPRanges = testCase.ranges.compactMap(CIDR.init)
        let found: [String]
        switch Configuration.plan(objects: objects, settings: settings, loadErrors: loadErrors) {
        case .success: found = []
        case .failure(let errors): found = errors.errors.map { "\($0.reason.typeWord) \($0.field)" }
        }
        #expect(found.sorted() == testCase.expect.sorted(), "\(testCase.name):\n\(testCase.yaml)")
    }
}

extension ConfigError.Reason {
    /// Kubernetes' field.ErrorType, as the table names it.
    var typeWord: String {
        switch self {
        case .invalid: "Invalid"
        case .required: "Required"
        case .unsupported: "Unsupported"
        case .duplicate: "Duplicate"
        case .forbidden: "Forbidden"
        case .tooLong: "TooLong"
        case .unknownField: "Unknown"
        case .unreadable: "Unreadable"
        }
    }
}
