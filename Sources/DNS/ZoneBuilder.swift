// Builds the zone's nodes once per configuration, from the names the cluster publishes
// (the Kubernetes DNS-Based Service Discovery specification, version 1.1.0 here, and
// CoreDNS's kubernetes plugin where it is silent): every record with its RDATA encoded,
// every empty non-terminal above a record, and the apex's SOA, NS and schema version.
import ServiceConfig

/// The nodes, and the SOA records negative answers carry, by `ZoneAuthority`.
struct ZoneContents {
    var nodes: [ZoneNode]
    var authorities: [(owner: [UInt8], data: ResourceData)]
}

struct ZoneBuilder {
    let settings: DNSZoneSettings
    let zone: [UInt8]
    private var nodes: [ZoneNode] = []
    private var numbers: [[UInt8]: Int] = [:]
    /// Records already added, so that an RRset holds each record once (RFC 2181 §5).
    private var added: Set<RecordKey> = []
    /// SRV targets and NS glue by name, resolved to nodes once every node exists.
    private var additionalNames: [(node: Int, type: UInt16, name: [UInt8])] = []

    private struct RecordKey: Hashable {
        let node: Int
        let type: UInt16
        let data: ResourceData
    }

    static let reverseIPv4: [UInt8] = [7] + Array("in-addr".utf8) + [4] + Array("arpa".utf8) + [0]
    static let reverseIPv6: [UInt8] = [3] + Array("ip6".utf8) + [4] + Array("arpa".utf8) + [0]

    init(settings: DNSZoneSettings) {
        self.settings = settings
        zone = WireName.encode(settings.domain) ?? WireName.encode("cluster.local") ?? WireName.root
    }

    /// The zone from `names`: apex records first, then every Service's.
    static func build(_ names: ClusterNames, settings: DNSZoneSettings) -> ZoneContents {
        var builder = ZoneBuilder(settings: settings)
        builder.addApex()
        for service in names.services { builder.add(service) }
        return builder.finish()
    }

    /// The node named `name`, created with its empty non-terminal ancestors under the zone.
    @discardableResult
    mutating func node(_ name: [UInt8]) -> Int {
        if let number = numbers[name] { return number }
        if name.count > zone.count, WireName.isSubdomain(name, of: zone), let first = name.first {
            node(Array(name[(1 + Int(first))...]))
        }
        let authority: ZoneAuthority =
            WireName.isSubdomain(name, of: Self.reverseIPv4) ? .reverseIPv4
            : WireName.isSubdomain(name, of: Self.reverseIPv6) ? .reverseIPv6 : .zone
        nodes.append(ZoneNode(name: name, authority: authority))
        numbers[name] = nodes.count - 1
        return nodes.count - 1
    }

    /// Adds a record at `name`; `additional` names a node whose addresses go with it.
    mutating func add(_ name: [UInt8], _ type: DNSRecordType, _ data: ResourceData, additional: [UInt8]? = nil) {
        let number = node(name)
        guard added.insert(RecordKey(node: number, type: type.rawValue, data: data)).inserted else { return }
        if let set = nodes[number].recordSets.firstIndex(where: { $0.type == type.rawValue }) {
            nodes[number].recordSets[set].records.append(data)
        } else {
            nodes[number].recordSets.append(ZoneRecordSet(type: type.rawValue, records: [data], additional: []))
        }
        if let additional { additionalNames.append((number, type.rawValue, additional)) }
    }

    /// `labels` ahead of the zone's name.
    func name(_ labels: String...) -> [UInt8]? {
        WireName.prepending(labels, to: zone)
    }

    private mutating func addApex() {
        node(zone)
        guard let server = name("ns", "dns"), let version = name("dns-version"), let services = name("svc"),
              let pods = name("pod")
        else { return }
        add(zone, .ns, .name(server), additional: server)
        node(server)
        for address in settings.nameserverAddresses { addAddress(server, address) }
        add(version, .txt, .raw([5] + Array("1.1.0".utf8)))
        node(services)
        node(pods)
    }

    mutating func addAddress(_ name: [UInt8], _ address: IPAddress) {
        add(name, address.family == .ipv4 ? .a : .aaaa, .raw(address.bytes))
    }

    /// The SRV record's fixed fields; the weight is set once the RRset is complete.
    static func service(port: Int, target: [UInt8]) -> ResourceData {
        let port = UInt16(clamping: port)
        return .prefixedName([0, 0, 0, 0, UInt8(port >> 8), UInt8(port & 0xff)], target, compressible: false)
    }

    private mutating func finish() -> ZoneContents {
        for number in nodes.indices {
            for set in nodes[number].recordSets.indices where nodes[number].recordSets[set].type == DNSRecordType.srv.rawValue {
                nodes[number].recordSets[set].records = Self.weighted(nodes[number].recordSets[set].records)
            }
        }
        for (number, type, name) in additionalNames {
            guard let target = numbers[name],
                  let set = nodes[number].recordSets.firstIndex(where: { $0.type == type }),
                  !nodes[number].recordSets[set].additional.contains(target)
            else { continue }
            nodes[number].recordSets[set].additional.append(target)
        }
        let soa = startOfAuthority(serial: serial())
        add(zone, .soa, soa)
        return ZoneContents(nodes: nodes, authorities: [(zone, soa), (Self.reverseIPv4, soa), (Self.reverseIPv6, soa)])
    }

    /// CoreDNS's SRV weights: equal shares of 100 among the records of one priority.
    private static func weighted(_ records: [ResourceData]) -> [ResourceData] {
        let weight = UInt16(100 / records.count)
        return records.map { record in
            guard case .prefixedName(var fixed, let target, let compressible) = record else { return record }
            fixed[2] = UInt8(weight >> 8)
            fixed[3] = UInt8(weight & 0xff)
            return .prefixedName(fixed, target, compressible: compressible)
        }
    }

    /// The SOA CoreDNS gives a cluster zone: refresh 2 h, retry 30 min, expire 1 day, and the
    /// TTL as the minimum, so that negative answers are cached as long as positive ones.
    private func startOfAuthority(serial: UInt32) -> ResourceData {
        let server = name("ns", "dns") ?? zone
        let mailbox = name("hostmaster") ?? zone
        var fields: [UInt8] = []
        for value in [serial, 7200, 1800, 86400, settings.ttl] {
            fields += [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
        }
        return .soa(server, mailbox, fields)
    }

    /// A serial that changes when the zone's records do, and is the same for the same records
    /// in every process (a hash of them, not a clock).
    private func serial() -> UInt32 {
        var hash = WireName.hashSeed
        func fold(_ bytes: [UInt8]) { for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 } }
        for node in nodes {
            fold(node.name)
            fold(node.canonicalName ?? [])
            for set in node.recordSets {
                fold([UInt8(set.type >> 8), UInt8(set.type & 0xff)])
                for record in set.records {
                    switch record {
                    case .raw(let bytes), .name(let bytes): fold(bytes)
                    case .prefixedName(let fixed, let target, _): fold(fixed + target)
                    case .soa(let mname, let rname, let fields): fold(mname + rname + fields)
                    }
                }
            }
        }
        return UInt32(truncatingIfNeeded: hash ^ hash >> 32)
    }

    mutating func setCanonicalName(_ name: [UInt8], _ target: [UInt8]) {
        nodes[node(name)].canonicalName = target
    }
}
