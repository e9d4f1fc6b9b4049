// Turns YAML documents into the object model. Decoding checks types (an integer where
// an integer belongs) and records where each field was; the Kubernetes rules on the
// values themselves live in Validation.swift, as they do in the API server.
import Yams

/// Reads one object document; `fields` collects the location of every field read.
struct ObjectDecoder {
    var root: FieldNode
    var source: ObjectSource

    init(root: FieldNode) {
        self.root = root
        self.source = ObjectSource(location: root.location)
    }

    /// Records where `node` was written and returns it, for chaining.
    mutating func mark(_ node: FieldNode?) -> FieldNode? {
        if let node { source.fields[node.path] = node.location }
        return node
    }

    /// Reads `metadata.name` and `metadata.namespace` (default "default") and names the
    /// object in every later error.
    mutating func readKey(kind: String) -> ObjectKey {
        let metadata = root.field("metadata")
        let name = mark(metadata?.field("name"))?.string() ?? ""
        let namespace = mark(metadata?.field("namespace"))?.string() ?? "default"
        let key = ObjectKey(namespace: namespace, name: name)
        var context = root.context
        context.object = "\(kind) \"\(key)\""
        root = root.within(context)
        if name.isEmpty { root.report(missing: "metadata.name", .required(detail: "name is required")) }
        return key
    }

    mutating func decodeService() -> Service {
        let key = readKey(kind: "Service")
        var service = Service(key: key, source: source)
        guard let spec = mark(root.field("spec")) else {
            root.report(missing: "spec", .required(detail: ""))
            return service
        }
        if let typeNode = mark(spec.field("type")), let text = typeNode.string() {
            if let type = ServiceType(rawValue: text) {
                service.type = type
            } else {
                typeNode.report(.unsupported(value: "\"\(text)\"", allowed: ServiceType.allCases.map(\.rawValue)))
            }
        }
        service.clusterIP = mark(spec.field("clusterIP"))?.string() ?? ""
        service.ports = (spec.field("ports")?.elements() ?? []).map { decodeServicePort($0) }
        service.source = source
        return service
    }

    private mutating func decodeServicePort(_ node: FieldNode) -> ServicePort {
        _ = mark(node)
        var port = ServicePort()
        port.name = mark(node.field("name"))?.string() ?? ""
        if let protocolNode = mark(node.field("protocol")) {
            port.protocol = decodeProtocol(protocolNode) ?? .tcp
        }
        port.port = mark(node.field("port"))?.int() ?? 0
        port.targetPort = mark(node.field("targetPort"))?.intOrString()
        port.nodePort = mark(node.field("nodePort"))?.int()
        return port
    }

    private func decodeProtocol(_ node: FieldNode) -> TransportProtocol? {
        guard let text = node.string() else { return nil }
        guard let value = TransportProtocol(rawValue: text) else {
            node.report(.unsupported(value: "\"\(text)\"", allowed: TransportProtocol.allCases.map(\.rawValue)))
            return nil
        }
        return value
    }

    mutating func decodeEndpoints() -> Endpoints {
        let key = readKey(kind: "Endpoints")
        var endpoints = Endpoints(key: key, source: source)
        endpoints.subsets = (root.field("subsets")?.elements() ?? []).map { subsetNode in
            _ = mark(subsetNode)
            var subset = EndpointSubset()
            subset.addresses = decodeAddresses(subsetNode.field("addresses"))
            subset.notReadyAddresses = decodeAddresses(subsetNode.field("notReadyAddresses"))
            subset.ports = (subsetNode.field("ports")?.elements() ?? []).map { portNode in
                _ = mark(portNode)
                var port = EndpointPort()
                port.name = mark(portNode.field("name"))?.string() ?? ""
                port.port = mark(portNode.field("port"))?.int() ?? 0
                if let protocolNode = mark(portNode.field("protocol")) {
                    port.protocol = decodeProtocol(protocolNode) ?? .tcp
                }
                return port
            }
            return subset
        }
        endpoints.source = source
        return endpoints
    }

    private mutating func decodeAddresses(_ list: FieldNode?) -> [IPAddress] {
        (list?.elements() ?? []).compactMap { addressNode in
            guard let ipNode = mark(addressNode.field("ip")) else {
                addressNode.report(missing: "ip", .required(detail: ""))
                return nil
            }
            guard let text = ipNode.string() else { return nil }
            guard let ip = IPAddress(text) else {
                ipNode.report(.invalid(value: "\"\(text)\"", detail: "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"))
                return nil
            }
            return ip
        }
    }
}
