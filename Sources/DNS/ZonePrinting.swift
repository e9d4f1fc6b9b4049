// The zone in master-file format (RFC 1035 §5), one record a line, sorted, for
// `svcproxy check --print-zone`: what the responder will answer, readable and diffable.
import ServiceConfig

extension DNSZone {
    /// The whole zone, one RR per line in master-file format, sorted.
    public func printed() -> String {
        var lines: [String] = []
        for node in nodes {
            let owner = WireName.text(node.name)
            if let target = node.canonicalName {
                lines.append("\(owner) \(settings.ttl) IN CNAME \(WireName.text(target))")
            }
            for set in node.recordSets {
                let type = DNSRecordType(rawValue: set.type)
                for record in set.records {
                    lines.append("\(owner) \(settings.ttl) IN \(type) \(Self.printed(record, type))")
                }
            }
        }
        return lines.sorted().map { $0 + "\n" }.joined()
    }

    static func printed(_ data: ResourceData, _ type: DNSRecordType) -> String {
        switch data {
        case .raw(let bytes):
            switch type {
            case .a, .aaaa: return IPAddress(networkOrder: bytes)?.description ?? "\\# \(bytes.count)"
            case .txt: return characterStrings(bytes)
            default: return "\\# \(bytes.count) " + bytes.map { hex($0) }.joined()
            }
        case .name(let target):
            return WireName.text(target)
        case .prefixedName(let fixed, let target, _):
            let numbers = stride(from: 0, to: fixed.count - 1, by: 2).map { UInt16(fixed[$0]) << 8 | UInt16(fixed[$0 + 1]) }
            return (numbers.map(String.init) + [WireName.text(target)]).joined(separator: " ")
        case .soa(let mname, let rname, let fields):
            let numbers = stride(from: 0, to: fields.count - 3, by: 4).map { (offset: Int) -> UInt32 in
                fields[offset..<(offset + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            }
            return ([WireName.text(mname), WireName.text(rname)] + numbers.map(String.init)).joined(separator: " ")
        }
    }

    /// TXT RDATA as quoted strings.
    private static func characterStrings(_ bytes: [UInt8]) -> String {
        var strings: [String] = []
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + 1 + Int(bytes[offset]))
            strings.append("\"" + String(decoding: bytes[(offset + 1)..<end], as: UTF8.self) + "\"")
            offset = end
        }
        return strings.joined(separator: " ")
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xf)]])
    }
}
