// The DNS codec's fuzz target: any bytes, as a query over UDP and over TCP, must end in a
// response that parses, a forward, a chase or a drop, never a crash or a hang; a UDP response
// must fit its limit, and the allocation-free entry must give what the array one does, byte
// for byte. The same bytes, as an upstream's answer to a forwarded query and to a
// chased CNAME, must be relayed or refused, never trusted blindly.
// Built only with SVCPROXY_FUZZ=1 and `-sanitize=fuzzer` (scripts/fuzz-dns).
import DNS
import ServiceConfig

/// A small zone with every kind of record: ClusterIP, headless (named and unnamed
/// endpoints, both families), ExternalName out of the zone and into it.
private let zone: DNSZone = {
    func address(_ text: String) -> IPAddress {
        guard let address = IPAddress(text) else { fatalError("bad fuzz zone address \(text)") }
        return address
    }
    let http = ClusterNames.Port(name: "http", protocol: .tcp, number: 80)
    let services = [
        ClusterNames.Service(namespace: "default", name: "web", target: .clusterIPs([address("10.96.0.10"), address("fd00::10")]), ports: [http]),
        ClusterNames.Service(
            namespace: "default", name: "db",
            target: .headless([
                .init(ip: address("10.1.0.1"), hostname: "db-0", ports: [http]),
                .init(ip: address("10.1.0.2"), hostname: nil, ports: [http]),
                .init(ip: address("fd00::1:2"), hostname: nil, ports: [http]),
            ]), ports: [http]),
        ClusterNames.Service(namespace: "default", name: "ext", target: .externalName("www.example.com"), ports: []),
        ClusterNames.Service(namespace: "default", name: "alias", target: .externalName("web.default.svc.cluster.local"), ports: []),
    ]
    let settings = DNSZoneSettings(forwarding: true, nameserverAddresses: [address("10.96.0.53")])
    return DNSZone(names: ClusterNames(services: services), settings: settings)
}()

/// The allocation-free entry's buffer, reused by every input as a worker's is.
nonisolated(unsafe) private var answers = DNSAnswerBuffer()

/// Queries whose forward and chase the input is offered to as an upstream's answer.
private let forwarded = query("www.example.com", type: 1)
private let chased = query("ext.default.svc.cluster.local", type: 28)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDNS(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    for transport in [DNSTransport.udp, .tcp] {
        switch zone.resolve(input, transport: transport, rotation: size) {
        case .answer(let response, let outcome):
            check(transport == .tcp || response.count <= 1232, "a UDP response over the limit")
            check(response.count >= 12, "a response without a header")
            response.withUnsafeBytes {
                check(DNSWire.isTruncated($0) == outcome.truncated, "TC and the outcome disagree")
            }
            // The buffer's entry must write the very same bytes.
            guard case .written(let written) = zone.resolve(input, transport: transport, rotation: size, into: &answers) else {
                fatalError("the buffer's entry did not answer")
            }
            check(written == outcome && answers.bytes.elementsEqual(response), "the two entries answer differently")
        case .written:
            fatalError("the array entry answered into a buffer")
        case .forward(let forward):
            relay(forward, upstream: input)
            guard case .forward(let other) = zone.resolve(input, transport: transport, rotation: size, into: &answers) else {
                fatalError("the entries disagree on a forward")
            }
            check(other.question == forward.question, "the entries forward different questions")
        case .chase(let chase):
            _ = chase.clientResponse(from: input, upstreamID: 0)
            guard case .chase = zone.resolve(input, transport: transport, rotation: size, into: &answers) else {
                fatalError("the entries disagree on a chase")
            }
        case .drop:
            guard case .drop = zone.resolve(input, transport: transport, rotation: size, into: &answers) else {
                fatalError("the entries disagree on a drop")
            }
        }
    }
    if case .forward(let forward) = forwarded.withUnsafeBytes({ zone.resolve($0, transport: .udp, rotation: 0) }) {
        relay(forward, upstream: input)
    }
    if case .chase(let chase) = chased.withUnsafeBytes({ zone.resolve($0, transport: .udp, rotation: 0) }) {
        let upstreamID = size >= 2 ? UInt16(data[0]) << 8 | UInt16(data[1]) : 0
        let response = chase.clientResponse(from: input, upstreamID: upstreamID)
        check(response.count <= chase.forward.responseLimit, "a chased response over the limit")
    }
    return 0
}

/// Offers `upstream` as the answer to `forward`, under the id it carries.
private func relay(_ forward: DNSForward, upstream: UnsafeRawBufferPointer) {
    let upstreamID = upstream.count >= 2 ? UInt16(upstream[0]) << 8 | UInt16(upstream[1]) : 0
    _ = forward.upstreamQuery(id: upstreamID)
    if let response = forward.clientResponse(from: upstream, upstreamID: upstreamID) {
        check(response.count <= max(forward.responseLimit, 12 + 259), "a relayed response over the limit")
        check(response[0] == UInt8(forward.clientID >> 8) && response[1] == UInt8(forward.clientID & 0xff), "a relayed response with the upstream's id")
    }
    _ = forward.serverFailure()
}

private func check(_ condition: Bool, _ what: String) {
    if !condition { fatalError(what) }
}

/// A plain query, RD set.
private func query(_ name: String, type: UInt8) -> [UInt8] {
    var bytes: [UInt8] = [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    for label in name.split(separator: ".") { bytes += [UInt8(label.utf8.count)] + Array(label.utf8) }
    return bytes + [0, 0, type, 0, 1]
}
