// A Service's records (specification §2.3–2.5): by ClusterIP, by headless endpoint, or as a
// CNAME to an external name; SRV records for named ports; PTR records for every address.
// Endpoints without a hostname are named as CoreDNS names them (`endpointHostname` in
// plugin/kubernetes): their address with dashes, "10-1-2-3", or "fd00--1" for IPv6.
import ServiceConfig

extension ZoneBuilder {
    mutating func add(_ service: ClusterNames.Service) {
        guard let namespace = name(service.namespace, "svc"),
              let serviceName = WireName.prepending([service.name], to: namespace)
        else { return }
        // The namespace exists while a Service lives in it, even one without records.
        node(namespace)
        switch service.target {
        case .clusterIPs(let addresses):
            node(serviceName)
            for address in addresses {
                addAddress(serviceName, address)
                add(Self.reverseName(address), .ptr, .name(serviceName))
            }
            for port in service.ports where !port.name.isEmpty {
                guard let owner = Self.serviceName(port, serviceName) else { continue }
                add(owner, .srv, Self.service(port: port.number, target: serviceName), additional: serviceName)
            }
        case .headless(let endpoints):
            // No endpoints, no records: the name does not exist (NXDOMAIN, §2.4.1).
            for endpoint in endpoints { add(endpoint, of: serviceName) }
        case .externalName(let external):
            if let target = WireName.encode(external), target.count > 1 {
                setCanonicalName(serviceName, target)
            } else {
                node(serviceName)
            }
        }
    }

    private mutating func add(_ endpoint: ClusterNames.HeadlessEndpoint, of serviceName: [UInt8]) {
        let hostname = endpoint.hostname ?? Self.dashed(endpoint.ip)
        addAddress(serviceName, endpoint.ip)
        guard let endpointName = WireName.prepending([hostname], to: serviceName) else { return }
        addAddress(endpointName, endpoint.ip)
        add(Self.reverseName(endpoint.ip), .ptr, .name(endpointName))
        for port in endpoint.ports where !port.name.isEmpty {
            guard let owner = Self.serviceName(port, serviceName) else { continue }
            add(owner, .srv, Self.service(port: port.number, target: endpointName), additional: endpointName)
        }
    }

    /// `_<port>._<proto>.<service>`, the protocol in lowercase.
    static func serviceName(_ port: ClusterNames.Port, _ serviceName: [UInt8]) -> [UInt8]? {
        WireName.prepending(["_" + port.name, "_" + port.protocol.rawValue.lowercased()], to: serviceName)
    }

    /// "10-1-2-3", "fd00--1": an address as one label.
    static func dashed(_ address: IPAddress) -> String {
        String(address.description.map { $0 == "." || $0 == ":" ? "-" : $0 })
    }

    /// "3.2.1.10.in-addr.arpa", or the 32 nibbles under "ip6.arpa" (RFC 3596 §2.5), in wire form.
    static func reverseName(_ address: IPAddress) -> [UInt8] {
        var wire: [UInt8] = []
        let hex = Array("0123456789abcdef".utf8)
        for byte in address.bytes.reversed() {
            if address.family == .ipv4 {
                let text = Array(String(byte).utf8)
                wire.append(UInt8(text.count))
                wire += text
            } else {
                wire += [1, hex[Int(byte & 0xf)], 1, hex[Int(byte >> 4)]]
            }
        }
        return wire + (address.family == .ipv4 ? reverseIPv4 : reverseIPv6)
    }
}
