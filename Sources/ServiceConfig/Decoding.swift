// Turns YAML documents into the object model. Decoding checks types (an integer where
// an integer belongs) and records where each field was, then applies the defaults the API
// server applies (protocol TCP, session affinity None, traffic policies Cluster); the
// Kubernetes rules on the values themselves live in Validation.swift, as they do there.
import Yams

/// Reads one object document; `fields` collects the location of every field read.
struct ObjectDecoder {
    var root: FieldNode
    var source: ObjectSource
    /// The apiVersion of an API list's items, which do not write it.
    var impliedAPIVersion: String?

    init(root: FieldNode) {
        self.root = root
        self.source = ObjectSource(location: root.location)
    }

    /// Records where `node` was written and returns it, for chaining.
    mutating func mark(_ node: FieldNode?) -> FieldNode? {
        if let node, let mark = node.node.mark { source.fields.mark(node.fieldPath.digest, line: mark.line, column: mark.column) }
        return node
    }

    /// Reads `metadata.name` and `metadata.namespace` (default "default") and names the
    /// object in every later error.
    mutating func readKey(kind: String, namespaced: Bool = true) -> ObjectKey {
        let metadata = root.field("metadata")
        let name = mark(metadata?.field("name"))?.string() ?? ""
        let namespace = namespaced ? (mark(metadata?.field("namespace"))?.string() ?? "default") : ""
        let key = ObjectKey(namespace: namespace, name: name)
        root = root.within(root.context.naming("\(kind) \"\(namespaced ? key.description : name)\""))
        if name.isEmpty, namespaced { root.report(missing: "metadata.name", .required(detail: "name or generateName is required")) }
        return key
    }

    /// The labels in `metadata.labels`; MetadataRules judges them.
    mutating func readLabels() -> [String: String] {
        mark(root.field("metadata")?.field("labels"))?.metadataStrings() ?? [:]
    }

    /// The annotations in `metadata.annotations`; MetadataRules judges them.
    mutating func readAnnotations() -> [String: String] {
        mark(root.field("metadata")?.field("annotations"))?.metadataStrings() ?? [:]
    }

    mutating func decodeService() -> Service {
        let key = readKey(kind: "Service")
        var service = Service(key: key, source: source)
        service.annotations = readAnnotations()
        service.creationTimestamp = mark(root.field("metadata")?.field("creationTimestamp"))?.string()
        if let spec = mark(root.field("spec")) {
            decodeServiceSpec(spec, into: &service)
        } else {
            root.report(missing: "spec", .required(detail: ""))
        }
        if let ingress = root.field("status")?.field("loadBalancer")?.field("ingress") {
            service.loadBalancerIngress = ingress.elements().map { node in
                _ = mark(node)
                return LoadBalancerIngress(ip: mark(node.field("ip"))?.string(), hostname: mark(node.field("hostname"))?.string(),
                                           ipMode: mark(node.field("ipMode"))?.string())
            }
        }
        applyDefaults(to: &service)
        service.source = source
        return service
    }

    private mutating func decodeServiceSpec(_ spec: FieldNode, into service: inout Service) {
        if let typeNode = mark(spec.field("type")), let text = typeNode.string(), !text.isEmpty {
            if let type = ServiceType(rawValue: text) {
                service.type = type
            } else {
                typeNode.report(.unsupported(value: "\"\(text)\"", allowed: ServiceType.allCases.map(\.rawValue).sorted()))
            }
        }
        service.clusterIP = mark(spec.field("clusterIP"))?.string() ?? ""
        service.clusterIPs = markList(spec.field("clusterIPs"))
        if spec.field("clusterIPs") == nil, let written = source.fields["spec.clusterIP"] {
            source.fields["spec.clusterIPs"] = written  // the API server's normalization, for error locations
            source.fields["spec.clusterIPs[0]"] = written
        }
        service.ipFamilies = markList(spec.field("ipFamilies"))
        service.ipFamilyPolicy = mark(spec.field("ipFamilyPolicy"))?.string()
        service.ports = (spec.field("ports")?.elements() ?? []).map { decodeServicePort($0) }
        service.selector = mark(spec.field("selector"))?.stringMap()
        service.externalIPs = markList(spec.field("externalIPs"))
        service.externalName = mark(spec.field("externalName"))?.string() ?? ""
        service.loadBalancerIP = mark(spec.field("loadBalancerIP"))?.string() ?? ""
        service.loadBalancerSourceRanges = markList(spec.field("loadBalancerSourceRanges"))
        service.loadBalancerClass = mark(spec.field("loadBalancerClass"))?.string()
        service.allocateLoadBalancerNodePorts = mark(spec.field("allocateLoadBalancerNodePorts"))?.bool()
        if let affinity = mark(spec.field("sessionAffinity"))?.string() { service.sessionAffinity = affinity }
        if let config = mark(spec.field("sessionAffinityConfig")) {
            service.hasSessionAffinityConfig = true
            service.affinityTimeoutSeconds = mark(mark(config.field("clientIP"))?.field("timeoutSeconds"))?.int()
        }
        service.externalTrafficPolicy = mark(spec.field("externalTrafficPolicy"))?.string()
        service.internalTrafficPolicy = mark(spec.field("internalTrafficPolicy"))?.string()
        let healthCheckNodePort = mark(spec.field("healthCheckNodePort"))?.int()
        service.healthCheckNodePort = healthCheckNodePort == 0 ? nil : healthCheckNodePort  // 0 is unset, as for nodePort
        service.publishNotReadyAddresses = mark(spec.field("publishNotReadyAddresses"))?.bool() ?? false
        service.trafficDistribution = mark(spec.field("trafficDistribution"))?.string()
    }

    /// SetDefaults_Service, for what svcproxy reads: affinity timeout 10800 s for ClientIP,
    /// traffic policies Cluster where they apply, and LoadBalancer NodePorts allocated.
    private func applyDefaults(to service: inout Service) {
        if service.sessionAffinity == "ClientIP", service.affinityTimeoutSeconds == nil {
            service.affinityTimeoutSeconds = 10800
        }
        if service.isExternallyAccessible, service.externalTrafficPolicy == nil {
            service.externalTrafficPolicy = "Cluster"
        }
        if service.type != .externalName, service.internalTrafficPolicy == nil {
            service.internalTrafficPolicy = "Cluster"
        }
        if service.type == .loadBalancer, service.allocateLoadBalancerNodePorts == nil {
            service.allocateLoadBalancerNodePorts = true
        }
    }

    /// A list of strings, each element's place recorded.
    mutating func markList(_ node: FieldNode?) -> [String] {
        guard let node = mark(node) else { return [] }
        return node.elements().compactMap { mark($0)?.string() }
    }

    private mutating func decodeServicePort(_ node: FieldNode) -> ServicePort {
        _ = mark(node)
        var port = ServicePort()
        port.name = mark(node.field("name"))?.string() ?? ""
        if let protocolNode = mark(node.field("protocol")) {
            port.protocol = decodeProtocol(protocolNode) ?? .tcp
        }
        port.port = mark(node.field("port"))?.int() ?? 0
        // SetDefaults_Service: `targetPort: 0` and `targetPort: ""` are the zero value, which
        // the API server replaces with `port`; `nodePort: 0` is unset too (Helm charts write
        // it), so it is allocated like a NodePort left out.
        let targetPort = mark(node.field("targetPort"))?.intOrString()
        port.targetPort = targetPort == .int(0) || targetPort == .string("") ? nil : targetPort
        let nodePort = mark(node.field("nodePort"))?.int()
        port.nodePort = nodePort == 0 ? nil : nodePort
        port.appProtocol = mark(node.field("appProtocol"))?.string()
        return port
    }

    /// An empty protocol is TCP, as the API server defaults it.
    func decodeProtocol(_ node: FieldNode) -> TransportProtocol? {
        guard let text = node.string() else { return nil }
        if text.isEmpty { return .tcp }
        guard let value = TransportProtocol(rawValue: text) else {
            node.report(.unsupported(value: "\"\(text)\"", allowed: TransportProtocol.allCases.map(\.rawValue).sorted()))
            return nil
        }
        return value
    }

    /// Checks `apiVersion` against the one version of this kind svcproxy reads.
    func checkAPIVersion(_ expected: String) {
        guard let node = root.field("apiVersion") else {
            if impliedAPIVersion == expected { return }
            root.report(missing: "apiVersion", .required(detail: "must be \"\(expected)\""))
            return
        }
        if let text = node.string(), text != expected {
            node.report(.unsupported(value: "\"\(text)\"", allowed: [expected]))
        }
    }
}
