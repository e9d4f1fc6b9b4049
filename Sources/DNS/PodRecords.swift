// The deprecated pod records (specification §2.6): `<a>-<b>-<c>-<d>.<ns>.pod.<zone>` has the
// address its first label spells, for any namespace, as kube-dns and CoreDNS's `pods
// insecure` answer; IPv6 addresses spell their colons as dashes ("fd00--1"). They are made
// from the name on each query rather than held, since every address has one.
import ServiceConfig

extension DNSZone {
    /// The answer for a name under `pod.<zone>`, or nil when the name does not exist.
    func answerPod(_ name: [UInt8], _ type: UInt16, _ response: inout ResponseBuilder) -> DNSResponseCode? {
        let labels = WireName.labelStarts(name)
        let depth = labels.count - WireName.labelStarts(podName).count
        // `<ns>.pod.<zone>`: an empty non-terminal for every namespace.
        if depth == 1 {
            negative(image, .zone, &response)
            return .noError
        }
        guard depth == 2, let address = Self.podAddress(name) else { return nil }
        let addressType = address.family == .ipv4 ? DNSRecordType.a : .aaaa
        if type == addressType.rawValue || type == DNSRecordType.any.rawValue {
            response.add(owner: nil, ownerPointer: ResponseBuilder.questionName, type: addressType.rawValue, ttl: ttl, data: .raw(address.bytes))
        } else {
            negative(image, .zone, &response)
        }
        return .noError
    }

    /// The address the first label spells: IPv4 with exactly three dashes and no two together
    /// (CoreDNS's test), IPv6 otherwise.
    static func podAddress(_ name: [UInt8]) -> IPAddress? {
        guard let length = name.first.map(Int.init), length > 0, length < name.count else { return nil }
        let label = name[1...length]
        let dashes = label.filter { $0 == UInt8(ascii: "-") }.count
        let doubled = zip(label, label.dropFirst()).contains { $0 == UInt8(ascii: "-") && $1 == UInt8(ascii: "-") }
        let separator = dashes == 3 && !doubled ? UInt8(ascii: ".") : UInt8(ascii: ":")
        let text = String(decoding: label.map { $0 == UInt8(ascii: "-") ? separator : $0 }, as: UTF8.self)
        return IPAddress(text)
    }
}
