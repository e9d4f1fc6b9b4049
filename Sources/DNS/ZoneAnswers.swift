// The answers for a name the zone holds: its RRset of the asked type (every RRset for ANY),
// rotated; the addresses of SRV targets and of the name server in the additional section;
// an ExternalName's CNAME, followed inside the zone or handed to the engine to chase; and
// NODATA, with the SOA, for a name that exists without records of the type. All of it reads
// the zone's image in place.

extension DNSZone {
    func answer(_ image: ZoneImage, _ number: Int, _ type: UInt16, _ rotation: Int, _ response: inout ResponseBuilder) -> Decision {
        response.markAuthoritative()
        let node = image.nodes[number]
        if node.canonicalName.length > 0 {
            response.add(
                owner: nil, ownerPointer: ResponseBuilder.questionName, type: DNSRecordType.cname.rawValue, ttl: ttl,
                record: PackedRecord(kind: .name, first: node.canonicalName), arena: image.base)
            if type == DNSRecordType.cname.rawValue || type == DNSRecordType.any.rawValue { return .respond(.noError) }
            return follow(image, node.canonicalName, type, rotation, &response)
        }
        let sets = Int(node.firstSet)..<Int(node.firstSet + node.setCount)
        var additional = false
        for number in sets where Self.matches(image.sets[number].type, type) {
            add(image, image.sets[number], owner: nil, rotation, &response)
            additional = additional || image.sets[number].additionalCount > 0
        }
        if response.recordsInSection == 0 {
            negative(image, node.authority, &response)
        } else if additional {
            addAddresses(image, of: sets, type, &response)
        }
        return .respond(.noError)
    }

    /// Whether an RRset of `setType` answers a question of `type`.
    @inline(__always)
    private static func matches(_ setType: UInt16, _ type: UInt16) -> Bool {
        setType == type || type == DNSRecordType.any.rawValue
    }

    /// The records of `set`, turned by `rotation`, owned by the question's name when `owner` is nil.
    func add(_ image: ZoneImage, _ set: PackedSet, owner: UnsafeRawBufferPointer?, _ rotation: Int, _ response: inout ResponseBuilder) {
        let count = Int(set.recordCount)
        guard count > 0 else { return }
        var index = (rotation % count + count) % count
        for _ in 0..<count {
            response.add(
                owner: owner, ownerPointer: ResponseBuilder.questionName, type: set.type, ttl: ttl,
                record: image.records[Int(set.firstRecord) + index], arena: image.base)
            index += 1
            if index == count { index = 0 }
        }
    }

    /// The A and AAAA records of the nodes the answered RRsets (those of `sets` matching
    /// `type`) name for the additional section, each node once, in the order named.
    private func addAddresses(_ image: ZoneImage, of sets: Range<Int>, _ type: UInt16, _ response: inout ResponseBuilder) {
        response.begin(.additional)
        for set in sets where Self.matches(image.sets[set].type, type) {
            let named = image.sets[set]
            let entries = Int(named.firstAdditional)..<Int(named.firstAdditional + named.additionalCount)
            // A set's own list holds each node once (ZoneBuilder), so only the lists of the
            // RRsets before it (ANY) can have named a node already.
            for entry in entries where !Self.named(image.additional[entry], before: set, in: image, sets, type) {
                let target = image.nodes[Int(image.additional[entry])]
                let owner = image.bytes(target.name)
                for address in Int(target.firstSet)..<Int(target.firstSet + target.setCount) {
                    let addressSet = image.sets[address]
                    guard addressSet.type == DNSRecordType.a.rawValue || addressSet.type == DNSRecordType.aaaa.rawValue else { continue }
                    add(image, addressSet, owner: owner, 0, &response)
                }
            }
        }
    }

    /// Whether an answered RRset of `sets` before `set` names `node` for the additional section.
    private static func named(_ node: Int32, before set: Int, in image: ZoneImage, _ sets: Range<Int>, _ type: UInt16) -> Bool {
        for earlier in sets.lowerBound..<set where matches(image.sets[earlier].type, type) {
            let named = image.sets[earlier]
            for entry in Int(named.firstAdditional)..<Int(named.firstAdditional + named.additionalCount)
            where image.additional[entry] == node {
                return true
            }
        }
        return false
    }

    /// A CNAME's target: answered from the zone when it lies inside (a few hops, in case
    /// ExternalNames name each other), chased upstream when outside and forwarding is on.
    private func follow(_ image: ZoneImage, _ first: ArenaSpan, _ type: UInt16, _ rotation: Int, _ response: inout ResponseBuilder) -> Decision {
        var target = first
        for _ in 0..<8 {
            let targetName = image.bytes(target)
            guard WireName.isSubdomain(targetName, of: image.bytes(image.zoneName)) else {
                return forwarding && target.offset == first.offset ? .chase(target) : .respond(.noError)
            }
            guard let number = image.find(targetName) else {
                negative(image, .zone, &response)
                return .respond(.nxDomain)
            }
            let node = image.nodes[number]
            if node.canonicalName.length > 0 {
                response.add(
                    owner: targetName, ownerPointer: 0, type: DNSRecordType.cname.rawValue, ttl: ttl,
                    record: PackedRecord(kind: .name, first: node.canonicalName), arena: image.base)
                target = node.canonicalName
                continue
            }
            var found = false
            for set in Int(node.firstSet)..<Int(node.firstSet + node.setCount) where image.sets[set].type == type {
                add(image, image.sets[set], owner: targetName, rotation, &response)
                found = true
            }
            // The target exists without records of the type: NODATA, with the SOA for caching.
            if !found { negative(image, node.authority, &response) }
            return .respond(.noError)
        }
        return .respond(.noError)
    }
}
