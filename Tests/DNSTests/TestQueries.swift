// Queries written by hand, a small zone to ask them of, and answers read back into
// strings, shared by the suites.
@testable import DNS
import ServiceConfig

func ip(_ text: String) -> IPAddress {
    guard let address = IPAddress(text) else { fatalError("bad test address \(text)") }
    return address
}

/// The zone the suites ask: a ClusterIP Service with both families and three ports (one
/// unnamed), a headless one with named, unnamed and IPv6 endpoints, a headless one without
/// endpoints, and two ExternalNames (out of the zone and into it).
func sampleZone(forwarding: Bool = false, udpSize: Int = 1232, names extra: [ClusterNames.Service] = []) -> DNSZone {
    let pg = ClusterNames.Port(name: "pg", protocol: .tcp, number: 5432)
    let services = [
        ClusterNames.Service(
            namespace: "default", name: "web", target: .clusterIPs([ip("10.96.0.10"), ip("fd00::10")]),
            ports: [.init(name: "http", protocol: .tcp, number: 80), .init(name: "", protocol: .tcp, number: 81),
                    .init(name: "dns", protocol: .udp, number: 53)]),
        ClusterNames.Service(
            namespace: "default", name: "db",
            target: .headless([
                .init(ip: ip("10.1.0.1"), hostname: "db-0", ports: [pg]),
                .init(ip: ip("10.1.0.2"), hostname: "db-1", ports: [pg]),
                .init(ip: ip("10.1.0.3"), hostname: nil, ports: [pg]),
                .init(ip: ip("fd00::1:3"), hostname: nil, ports: [pg]),
            ]), ports: [pg]),
        ClusterNames.Service(namespace: "default", name: "empty", target: .headless([]), ports: []),
        ClusterNames.Service(namespace: "other", name: "ext", target: .externalName("www.Example.com."), ports: []),
        ClusterNames.Service(namespace: "other", name: "alias", target: .externalName("web.default.svc.cluster.local"), ports: []),
    ]
    let settings = DNSZoneSettings(
        domain: "cluster.local.", udpSize: udpSize, forwarding: forwarding, nameserverAddresses: [ip("10.96.0.53")])
    return DNSZone(names: ClusterNames(services: services + extra), settings: settings)
}

/// A wire name in the case given.
func wireName(_ name: String) -> [UInt8] {
    var wire: [UInt8] = []
    for label in name.split(separator: ".") {
        wire.append(UInt8(label.utf8.count))
        wire += Array(label.utf8)
    }
    return wire + [0]
}

/// A query for `name`, RD set, with an OPT record when `edns` gives a UDP size.
func query(
    _ name: String, _ type: DNSRecordType, id: UInt16 = 0x1234, flags: UInt16 = 0x0100, class: UInt16 = 1,
    edns: UInt16? = nil, ednsVersion: UInt8 = 0, optCount: Int = 1, questions: UInt16 = 1
) -> [UInt8] {
    let opts = edns == nil ? 0 : optCount
    var bytes: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xff), UInt8(flags >> 8), UInt8(flags & 0xff)]
    bytes += [0, UInt8(questions), 0, 0, 0, 0, 0, UInt8(opts)]
    bytes += wireName(name)
    bytes += [UInt8(type.rawValue >> 8), UInt8(type.rawValue & 0xff), UInt8(`class` >> 8), UInt8(`class` & 0xff)]
    for _ in 0..<opts {
        let size = edns ?? 0
        bytes += [0, 0, 41, UInt8(size >> 8), UInt8(size & 0xff), 0, ednsVersion, 0x80, 0, 0, 0]
    }
    return bytes
}

func resolve(_ zone: DNSZone, _ bytes: [UInt8], transport: DNSTransport = .udp, rotation: Int = 0) -> DNSResolution {
    bytes.withUnsafeBytes { zone.resolve($0, transport: transport, rotation: rotation) }
}

/// The response bytes, or a test failure's empty array when the zone did something else.
func responseBytes(_ zone: DNSZone, _ bytes: [UInt8], transport: DNSTransport = .udp, rotation: Int = 0) -> [UInt8] {
    guard case .answer(let response, _) = resolve(zone, bytes, transport: transport, rotation: rotation) else { return [] }
    return response
}

/// A response read back: flags, code and sections as lines "owner TYPE data".
struct Reply {
    let message: ReadMessage
    let bytes: [UInt8]
    var rcode: DNSResponseCode { message.rcode }
    var authoritative: Bool { message.flags & 0x0400 != 0 }
    var truncated: Bool { message.flags & 0x0200 != 0 }
    var answers: [String] { message.answers.map(line) }
    var authority: [String] { message.authority.map(line) }
    var additional: [String] { message.additional.map(line) }
    var ttls: [UInt32] { (message.answers + message.authority).map(\.ttl) }

    init?(_ bytes: [UInt8]) {
        guard let message = ReadMessage(bytes) else { return nil }
        self.message = message
        self.bytes = bytes
    }

    private func line(_ record: ReadRecord) -> String {
        let type = DNSRecordType(rawValue: record.type)
        if type == .opt { return "OPT \(record.class) \(record.ttl)" }
        return "\(WireName.text(record.owner)) \(type) \(DNSZone.printed(record.data, type))"
    }
}

func ask(_ zone: DNSZone, _ name: String, _ type: DNSRecordType, transport: DNSTransport = .udp, rotation: Int = 0, edns: UInt16? = nil) -> Reply? {
    Reply(responseBytes(zone, query(name, type, edns: edns), transport: transport, rotation: rotation))
}
