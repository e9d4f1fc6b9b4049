// The cluster DNS's answer path alone, without sockets: a zone of 1,000 ClusterIP Services
// (as bench/run's dns-zone serves), and queries prebuilt into one buffer, resolved in a loop.
// Prints ns/query and heap allocations/query for the mix and for each kind of query, and a
// checksum of every response byte, so that two builds can be shown to answer alike.
// Usage: DNSBench [QUERIES] [old|new]  (default 2,000,000 through the reusable buffer)
import CMallocCounter
import DNS
import Glibc
import ServiceConfig

let total = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 2_000_000 : 2_000_000
let useOldEntry = CommandLine.arguments.count > 2 && CommandLine.arguments[2] == "old"

func address(_ text: String) -> IPAddress {
    guard let address = IPAddress(text) else { fatalError("bad bench address \(text)") }
    return address
}

let services = (0..<1000).map { index in
    ClusterNames.Service(
        namespace: "bench", name: "svc-\(index)",
        target: .clusterIPs([address("10.96.\(1 + index / 250).\(1 + index % 250)")]),
        ports: [.init(name: "http", protocol: .tcp, number: 80)])
}
let zone = DNSZone(names: ClusterNames(services: services), settings: DNSZoneSettings(nameserverAddresses: [address("10.96.0.10")]))

enum Kind: String, CaseIterable { case a = "A hit", aaaa = "AAAA NODATA", nx = "NXDOMAIN", srv = "SRV" }

/// A query for `name`, RD set, with an OPT record of 1232 bytes when `edns`.
func query(_ name: String, type: UInt16, id: UInt16, edns: Bool) -> [UInt8] {
    var bytes: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xff), 1, 0, 0, 1, 0, 0, 0, 0, 0, edns ? 1 : 0]
    for label in name.split(separator: ".") { bytes += [UInt8(label.utf8.count)] + Array(label.utf8) }
    bytes += [0, UInt8(type >> 8), UInt8(type & 0xff), 0, 1]
    if edns { bytes += [0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0] }
    return bytes
}

/// Queries one after another in one buffer, with where each starts.
struct QuerySet {
    var bytes: [UInt8] = []
    var starts: [Int] = [0]
    mutating func add(_ query: [UInt8]) {
        bytes += query
        starts.append(bytes.count)
    }
}

/// A fixed-seed generator (SplitMix64), so that every run asks the same queries.
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

func makeQuery(_ kind: Kind, _ random: inout SplitMix) -> [UInt8] {
    let service = Int(random.next() % 1000)
    let id = UInt16(truncatingIfNeeded: random.next())
    let edns = random.next() & 1 == 0
    switch kind {
    case .a: return query("svc-\(service).bench.svc.cluster.local", type: 1, id: id, edns: edns)
    case .aaaa: return query("svc-\(service).bench.svc.cluster.local", type: 28, id: id, edns: edns)
    case .nx: return query("nx-\(service).bench.svc.cluster.local", type: 1, id: id, edns: edns)
    case .srv: return query("_http._tcp.svc-\(service).bench.svc.cluster.local", type: 33, id: id, edns: edns)
    }
}

/// 4,096 queries of one kind, or of the mix: 85% A, 5% each of the others.
func querySet(_ only: Kind?) -> QuerySet {
    var random = SplitMix(state: 42)
    var set = QuerySet()
    for _ in 0..<4096 {
        let kind: Kind
        if let only {
            kind = only
        } else {
            let draw = random.next() % 100
            kind = draw < 85 ? .a : draw < 90 ? .aaaa : draw < 95 ? .nx : .srv
        }
        set.add(makeQuery(kind, &random))
    }
    return set
}

func now() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

/// FNV-1a over the response: the checksum's step.
@inline(__always)
func fold(_ hash: inout UInt64, _ bytes: UnsafeRawBufferPointer) {
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
}

/// Resolves `count` queries from `set`, round-robin; ns/query, allocations/query, checksum.
func run(_ set: QuerySet, count: Int, checksum wanted: Bool) -> (ns: Double, allocations: Double, checksum: UInt64) {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    #if !OLD_API_ONLY
    var buffer = DNSAnswerBuffer()
    #endif
    let queries = set.starts.count - 1
    return set.bytes.withUnsafeBytes { all in
        let allocationsBefore = svcproxy_allocation_count()
        let start = now()
        for index in 0..<count {
            let number = index % queries
            let query = UnsafeRawBufferPointer(rebasing: all[set.starts[number]..<set.starts[number + 1]])
            #if !OLD_API_ONLY
            let old = useOldEntry
            #else
            let old = true
            #endif
            if old {
                guard case .answer(let response, _) = zone.resolve(query, transport: .udp, rotation: index) else {
                    fatalError("no answer")
                }
                if wanted { response.withUnsafeBytes { fold(&hash, $0) } }
            } else {
                #if !OLD_API_ONLY
                guard case .written = zone.resolve(query, transport: .udp, rotation: index, into: &buffer) else {
                    fatalError("no answer")
                }
                if wanted { fold(&hash, buffer.bytes) }
                #endif
            }
        }
        let elapsed = now() - start
        let allocations = svcproxy_allocation_count() - allocationsBefore
        return (Double(elapsed) / Double(count), Double(allocations) / Double(count), hash)
    }
}

let mix = querySet(nil)
// The checksum pass: every response's bytes, outside the timed runs.
let checksum = run(mix, count: 200_000, checksum: true).checksum
_ = run(mix, count: 200_000, checksum: false)  // warm-up
let mixed = run(mix, count: total, checksum: false)
/// `value` with one decimal (two for `places: 2`), right-aligned in `width`.
func formatted(_ value: Double, places: Int = 1, width: Int = 7) -> String {
    let scale = places == 2 ? 100.0 : 10.0
    let scaled = Int((value * scale).rounded())
    let fraction = String(scaled % Int(scale))
    let text = "\(scaled / Int(scale))." + String(repeating: "0", count: places - fraction.count) + fraction
    return String(repeating: " ", count: max(0, width - text.count)) + text
}

func line(_ label: String, _ result: (ns: Double, allocations: Double, checksum: UInt64)) -> String {
    label + String(repeating: " ", count: max(0, 12 - label.count))
        + "\(formatted(result.ns)) ns/query \(formatted(result.allocations, places: 2)) allocations/query"
}

#if OLD_API_ONLY
print("entry: resolve (arrays)")
#else
print("entry: \(useOldEntry ? "resolve (arrays)" : "resolve(into:)")")
#endif
print(line("mix", mixed) + "  (\(total) queries)")
for kind in Kind.allCases {
    print(line(kind.rawValue, run(querySet(kind), count: total / 4, checksum: false)))
}
print("checksum \(String(checksum, radix: 16))")
