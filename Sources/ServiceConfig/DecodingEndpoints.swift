// Decoding of the objects endpoints come from (Endpoints, EndpointSlice, Pod) and of the
// ProxyConfiguration document. A Pod is read only for what the endpoints controller and
// NetworkPolicy use: its labels, IPs, Ready condition, named container ports and whether
// it is on the host's network; the rest is ignored. An address's `targetRef` names its pod.
import Yams

extension ObjectDecoder {
    mutating func decodeEndpoints() -> Endpoints {
        let key = readKey(kind: "Endpoints")
        var endpoints = Endpoints(key: key, source: source)
        endpoints.subsets = (root.field("subsets")?.elements() ?? []).map { subsetNode in
            _ = mark(subsetNode)
            var subset = EndpointSubset()
            var pods: [PodReference] = []
            subset.addresses = decodeAddresses(subsetNode.field("addresses"), of: key.namespace, into: &subset, pods: &pods)
            subset.addressPods = pods
            var unused: [PodReference] = []  // a not-ready address is never served: its pod does not matter
            subset.notReadyAddresses = decodeAddresses(subsetNode.field("notReadyAddresses"), of: key.namespace, into: &subset,
                                                       pods: &unused)
            subset.ports = (subsetNode.field("ports")?.elements() ?? []).map { decodeEndpointPort($0) }
            return subset
        }
        endpoints.source = source
        return endpoints
    }

    private mutating func decodeEndpointPort(_ node: FieldNode) -> EndpointPort {
        _ = mark(node)
        var port = EndpointPort()
        port.name = mark(node.field("name"))?.string() ?? ""
        port.port = mark(node.field("port"))?.int() ?? 0
        if let protocolNode = mark(node.field("protocol")) {
            port.protocol = decodeProtocol(protocolNode) ?? .tcp
        }
        return port
    }

    /// The IPs of `list` (of an object in `namespace`), each address's hostname and node
    /// noted in `subset` and what its targetRef says of its pod in `pods` (left empty when
    /// no address has one).
    private mutating func decodeAddresses(_ list: FieldNode?, of namespace: String, into subset: inout EndpointSubset,
                                          pods: inout [PodReference]) -> [IPAddress] {
        var named: [PodReference] = []
        let addresses = (list?.elements() ?? []).compactMap { addressNode -> IPAddress? in
            let hostname = decodeHostname(addressNode.field("hostname"))
            let nodeName = mark(addressNode.field("nodeName"))?.string()
            let pod = decodePodReference(of: addressNode, in: namespace)
            guard let ipNode = mark(addressNode.field("ip")) else {
                addressNode.report(missing: "ip", .required(detail: ""))
                return nil
            }
            guard let text = ipNode.string() else { return nil }
            guard let ip = IPAddress(text) else {
                ipNode.report(.invalid(value: "\"\(text)\"", detail: IPRules.invalidIPMessage))
                return nil
            }
            if let hostname { subset.hostnames[ip] = hostname }
            if let nodeName { subset.nodeNames[ip] = nodeName }
            named.append(pod)
            return ip
        }
        if named.contains(where: { $0 != .unnamed }) { pods = named }
        return addresses
    }

    /// What the `targetRef` of an address or slice endpoint says, read from the YAML
    /// directly: no error is ever reported on one (the schema check has looked at it), and
    /// a cluster's Endpoints carry one per address, so no field path or place is made for it.
    private func decodePodReference(of owner: FieldNode, in namespace: String) -> PodReference {
        guard case .mapping(let fields) = owner.node, case .mapping(let target)? = fields.value(forKey: "targetRef") else { return .unnamed }
        func text(_ key: String) -> String? { target.value(forKey: key).flatMap { $0.isNull ? nil : $0.string } }
        return PodReference(kind: text("kind"), namespace: text("namespace"), name: text("name"), in: namespace)
    }

    /// A hostname the API server would take: an RFC 1123 label (ValidateDNS1123Label), as
    /// the cluster DNS makes it one label of a name.
    private mutating func decodeHostname(_ node: FieldNode?) -> String? {
        guard let node = mark(node), let text = node.string() else { return nil }
        let problems = NameFormat.dns1123Label(text)
        guard problems.isEmpty else {
            node.report(.invalid(value: "\"\(text)\"", detail: problems.joined(separator: ", ")))
            return nil
        }
        return text
    }

    mutating func decodeEndpointSlice() -> EndpointSlice {
        let key = readKey(kind: "EndpointSlice")
        var slice = EndpointSlice(key: key, source: source)
        slice.labels = readLabels()
        slice.addressType = mark(root.field("addressType"))?.string() ?? ""
        slice.endpoints = (root.field("endpoints")?.elements() ?? []).map { node in
            _ = mark(node)
            var endpoint = SliceEndpoint()
            endpoint.addresses = markList(node.field("addresses"))
            let conditions = node.field("conditions")
            endpoint.ready = mark(conditions?.field("ready"))?.bool() ?? true
            endpoint.serving = mark(conditions?.field("serving"))?.bool() ?? true
            endpoint.terminating = mark(conditions?.field("terminating"))?.bool() ?? false
            endpoint.hostname = decodeHostname(node.field("hostname"))
            endpoint.nodeName = mark(node.field("nodeName"))?.string()
            endpoint.pod = decodePodReference(of: node, in: key.namespace)
            return endpoint
        }
        slice.ports = (root.field("ports")?.elements() ?? []).map { decodeEndpointPort($0) }
        slice.source = source
        return slice
    }

    mutating func decodePod() -> Pod {
        let key = readKey(kind: "Pod")
        var pod = Pod(key: key, source: source)
        pod.labels = readLabels()
        pod.deleting = mark(root.field("metadata")?.field("deletionTimestamp")) != nil
        pod.hostname = decodeHostname(root.field("spec")?.field("hostname"))
        pod.subdomain = decodeHostname(root.field("spec")?.field("subdomain"))
        pod.nodeName = mark(root.field("spec")?.field("nodeName"))?.string()
        pod.hostNetwork = mark(root.field("spec")?.field("hostNetwork"))?.bool() ?? false
        for container in root.field("spec")?.field("containers")?.elements() ?? [] {
            for portNode in container.field("ports")?.elements() ?? [] {
                _ = mark(portNode)
                var port = ContainerPort()
                port.name = mark(portNode.field("name"))?.string() ?? ""
                port.containerPort = mark(portNode.field("containerPort"))?.int() ?? 0
                if let protocolNode = mark(portNode.field("protocol")) { port.protocol = decodeProtocol(protocolNode) ?? .tcp }
                pod.ports.append(port)
            }
        }
        if let status = root.field("status") {
            if let phase = status.field("phase")?.string(), phase == "Succeeded" || phase == "Failed" { pod.finished = true }
            let listed = (mark(status.field("podIPs"))?.elements() ?? []).compactMap { mark($0.field("ip")) }
            let written = listed.isEmpty ? [mark(status.field("podIP"))].compactMap { $0 } : listed
            pod.ips = written.compactMap { node in
                guard let text = node.string() else { return nil }
                guard let ip = IPAddress(text) else {
                    node.report(.invalid(value: "\"\(text)\"", detail: IPRules.invalidIPMessage))
                    return nil
                }
                return ip
            }
            for condition in status.field("conditions")?.elements() ?? [] where condition.field("type")?.string() == "Ready" {
                pod.ready = mark(condition.field("status"))?.string() == "True"
            }
        }
        pod.source = source
        return pod
    }

    mutating func decodeProxyConfiguration() -> ProxyConfiguration {
        root = root.within(root.context.naming("ProxyConfiguration"))
        checkAPIVersion(ProxyConfiguration.apiVersion)
        var settings = NodeSettingsOverrides()
        if let node = mark(root.field("nodePortAddresses")) {
            settings.nodePortAddresses = node.elements().compactMap { element in
                guard let text = element.string() else { return nil }
                guard let cidr = CIDR(text) else {
                    element.report(.invalid(value: "\"\(text)\"", detail: "must be a CIDR (e.g. 127.0.0.0/8 or fd00::/64)"))
                    return nil
                }
                return cidr
            }
        }
        settings.nodeName = parse(root.field("hostnameOverride"), SettingsSyntax.nodeName)
        settings.nodePortRange = parse(root.field("serviceNodePortRange"), SettingsSyntax.portRange)
        settings.serviceClusterIPRanges = parse(root.field("serviceClusterIPRange"), SettingsSyntax.clusterIPRanges)
        settings.connectTimeout = parse(root.field("connectTimeout"), SettingsSyntax.duration)
        settings.idleTimeout = parse(root.field("idleTimeout"), SettingsSyntax.duration)
        settings.halfCloseTimeout = parse(root.field("halfCloseTimeout"), SettingsSyntax.duration)
        settings.metricsBindAddress = parse(root.field("metricsBindAddress"), SettingsSyntax.bindAddress)
        settings.healthzBindAddress = parse(root.field("healthzBindAddress"), SettingsSyntax.bindAddress)
        settings.ingressClass = parse(root.field("ingressClass"), SettingsSyntax.ingressClassName)
        settings.ingressHTTPBindAddresses = bindAddresses(root.field("ingressHTTPBindAddresses"), example: "0.0.0.0:80")
        settings.ingressClientHeaderTimeout = parse(root.field("ingressClientHeaderTimeout"), SettingsSyntax.timeout)
        settings.ingressUpstreamTimeout = parse(root.field("ingressUpstreamTimeout"), SettingsSyntax.timeout)
        settings.ingressHTTPSBindAddresses = bindAddresses(root.field("ingressHTTPSBindAddresses"), example: "0.0.0.0:443")
        settings.defaultSSLCertificate = parse(root.field("defaultSSLCertificate"), SettingsSyntax.secretReference)
        settings.ingressTLSHandshakeTimeout = parse(root.field("ingressTLSHandshakeTimeout"), SettingsSyntax.timeout)
        settings.workers = positive(root.field("workers"), limit: 256)
        settings.maxConnections = positive(root.field("maxConnections"), limit: 1 << 24)
        settings.udpTimeout = parse(root.field("udpTimeout"), SettingsSyntax.udpTimeout)
        settings.udpMaxFlows = positive(root.field("udpMaxFlows"), limit: NodeSettings.udpMaxFlowsLimit)
        settings.dnsBindAddresses = mark(root.field("dnsBindAddresses"))?.elements().compactMap { parse($0, SettingsSyntax.dnsBindAddress) }
        settings.clusterDomain = parse(root.field("clusterDomain"), SettingsSyntax.clusterDomain)
        settings.dnsTTL = parse(root.field("dnsTTL"), SettingsSyntax.dnsTTL)
        if let node = mark(root.field("dnsUDPSize")), let value = node.int() {
            switch SettingsSyntax.dnsUDPSize(value) {
            case .success(let size): settings.dnsUDPSize = size
            case .failure(let error): node.report(.invalid(value: "\(value)", detail: error.description))
            }
        }
        if let node = mark(root.field("dnsUpstreams")) {
            let texts = node.elements().compactMap { $0.string() }
            switch SettingsSyntax.dnsUpstreams(texts) {
            case .success(let upstreams): settings.dnsUpstreams = upstreams
            case .failure(let error): node.report(.invalid(value: "\(texts)", detail: error.description))
            }
        }
        decodeLoadBalancerSettings(into: &settings)
        return ProxyConfiguration(source: source, settings: settings)
    }

    private mutating func parse<T>(_ node: FieldNode?, _ parser: (String) -> Result<T, SettingsSyntaxError>) -> T? {
        guard let node = mark(node), let text = node.string() else { return nil }
        switch parser(text) {
        case .success(let value): return value
        case .failure(let error):
            node.report(.invalid(value: "\"\(text)\"", detail: error.description))
            return nil
        }
    }

    /// A list of Ingress listen addresses: at least one, and all of them readable.
    private mutating func bindAddresses(_ node: FieldNode?, example: String) -> [BindAddress]? {
        guard let node = mark(node) else { return nil }
        let elements = node.elements()
        if elements.isEmpty { node.report(.invalid(value: "[]", detail: "must hold at least one address (e.g. \(example))")) }
        let addresses = elements.compactMap { parse($0, SettingsSyntax.ingressBindAddress) }
        return !elements.isEmpty && addresses.count == elements.count ? addresses : nil
    }

    private mutating func positive(_ node: FieldNode?, limit: Int) -> Int? {
        guard let node = mark(node), let value = node.int() else { return nil }
        guard (1...limit).contains(value) else {
            node.report(.invalid(value: "\(value)", detail: "must be between 1 and \(limit), inclusive"))
            return nil
        }
        return value
    }
}
