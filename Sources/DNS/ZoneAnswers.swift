// The answers for a name the zone holds: its RRset of the asked type (every RRset for ANY),
// rotated; the addresses of SRV targets and of the name server in the additional section;
// an ExternalName's CNAME, followed inside the zone or handed to the engine to chase; and
// NODATA, with the SOA, for a name that exists without records of the type.

extension DNSZone {
    func answer(_ node: ZoneNode, _ type: UInt16, _ rotation: Int, _ response: inout ResponseBuilder) -> Decision {
        response.markAuthoritative()
        if let target = node.canonicalName {
            response.add(owner: nil, ownerPointer: ResponseBuilder.questionName, type: DNSRecordType.cname.rawValue, ttl: settings.ttl, data: .name(target))
            if type == DNSRecordType.cname.rawValue || type == DNSRecordType.any.rawValue { return .respond(.noError) }
            return follow(target, type, rotation, &response)
        }
        var additional: [Int] = []
        for set in node.recordSets where set.type == type || type == DNSRecordType.any.rawValue {
            add(set, owner: nil, rotation, &response)
            additional += set.additional
        }
        if response.recordsInSection == 0 {
            negative(node.authority, &response)
        } else if !additional.isEmpty {
            addAddresses(of: additional, &response)
        }
        return .respond(.noError)
    }

    /// The records of `set`, turned by `rotation`, owned by the question's name when `owner` is nil.
    func add(_ set: ZoneRecordSet, owner: [UInt8]?, _ rotation: Int, _ response: inout ResponseBuilder) {
        let count = set.records.count
        let turn = (rotation % count + count) % count
        for index in 0..<count {
            let record = set.records[(index + turn) % count]
            response.add(owner: owner, ownerPointer: owner == nil ? ResponseBuilder.questionName : nil, type: set.type, ttl: settings.ttl, data: record)
        }
    }

    /// The A and AAAA records of `numbers`' nodes, in the additional section.
    private func addAddresses(of numbers: [Int], _ response: inout ResponseBuilder) {
        response.begin(.additional)
        var seen: [Int] = []
        for number in numbers where !seen.contains(number) {
            seen.append(number)
            for set in nodes[number].recordSets where set.type == DNSRecordType.a.rawValue || set.type == DNSRecordType.aaaa.rawValue {
                add(set, owner: nodes[number].name, 0, &response)
            }
        }
    }

    /// A CNAME's target: answered from the zone when it lies inside (a few hops, in case
    /// ExternalNames name each other), chased upstream when outside and forwarding is on.
    private func follow(_ first: [UInt8], _ type: UInt16, _ rotation: Int, _ response: inout ResponseBuilder) -> Decision {
        var target = first
        for _ in 0..<8 {
            guard WireName.isSubdomain(target, of: zoneName) else {
                return settings.forwarding && target == first ? .chase(target) : .respond(.noError)
            }
            guard let number = index.find(target, in: nodes) else {
                negative(.zone, &response)
                return .respond(.nxDomain)
            }
            let node = nodes[number]
            if let next = node.canonicalName {
                response.add(owner: target, type: DNSRecordType.cname.rawValue, ttl: settings.ttl, data: .name(next))
                target = next
                continue
            }
            for set in node.recordSets where set.type == type { add(set, owner: target, rotation, &response) }
            return .respond(.noError)
        }
        return .respond(.noError)
    }
}
