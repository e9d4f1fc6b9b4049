// The allocators' rules, after the API server's ClusterIP and NodePort allocators: a
// written ClusterIP must lie in the node's range for its family and a written NodePort in
// the NodePort range, and neither may be taken twice. What a service leaves out is
// allocated: first the value it had in the previous plan (a reload keeps it), else one
// derived from the service's name by a stable hash (a restart gives the same), probing
// onward on a collision. Written values are placed before any allocation, so a new
// service never takes a surviving service's written value. A LoadBalancer Service with
// `externalTrafficPolicy: Local` has a health-check NodePort too, from the same range and
// by the same rules. NodePorts are derived in the range's upper band first, as the API
// server's allocator takes them, leaving its lower band for ports users write.

/// What a plan allocated, keyed by service and service port.
public struct Allocations: Sendable, Equatable {
    public var clusterIPs: [ObjectKey: [IPAddress]] = [:]
    public var nodePorts: [ServicePortName: Int] = [:]
    /// Pool addresses of LoadBalancer Services (LoadBalancerAssignment.swift).
    public var loadBalancerIPs = LoadBalancerAllocations()
    /// `spec.healthCheckNodePort` of the LoadBalancer Services with a Local external policy.
    public var healthCheckNodePorts: [ObjectKey: Int] = [:]

    public init() {}
}

struct Allocator {
    let settings: NodeSettings
    let previous: Allocations
    var errors: [ConfigError] = []
    var notes: [String] = []
    var result = Allocations()

    init(settings: NodeSettings, previous: Allocations?) {
        self.settings = settings
        self.previous = previous ?? Allocations()
    }

    /// Allocates for `services`, given in file order (the first to write a value owns it).
    mutating func allocate(_ services: [Service]) {
        // A headless Service gets no ClusterIP, but the API server checks the families one
        // with a selector asks for (initIPFamilyFields spares only those without one).
        for service in services where service.type != .externalName && service.isHeadless && service.selector != nil {
            _ = requestedFamilies(service, written: [])
        }
        allocateClusterIPs(services.filter(\.isProxied))
        allocateNodePorts(services.filter { $0.type == .nodePort || $0.type == .loadBalancer })
    }

    /// An error at `path`, placed where it was written, or else at the first of `near`
    /// that was (the field that asked for what could not be had), or else where the
    /// nearest enclosing field was.
    private mutating func fail(_ service: Service, _ path: String, near: [String] = [], _ reason: ConfigError.Reason) {
        let fields = service.source.fields
        let location = ([path] + near).lazy.compactMap { fields[$0] }.first ?? service.source.location(of: path)
        errors.append(ConfigError(location: location, object: service.label, field: path, reason: reason))
    }

    // MARK: ClusterIPs

    /// The families a service asks for, in order: its `ipFamilies`, then the family of
    /// each ClusterIP written beyond them. Nil when the cluster cannot give them, with
    /// every error the API server's initIPFamilyFields reports: first a written ClusterIP
    /// of a family not configured (alone, as it stops there), else RequireDualStack on a
    /// single-stack cluster and each requested family not configured, together.
    private mutating func requestedFamilies(_ service: Service, written ips: [IPAddress]) -> [IPAddress.Family]? {
        let configured = settings.serviceClusterIPRanges.map(\.address.family)
        var families: [IPAddress.Family] = service.ipFamilies.map { $0 == "IPv6" ? .ipv6 : .ipv4 }
        let asked = families.count
        var failed = false
        for (index, ip) in ips.enumerated() where index >= asked {
            if configured.contains(ip.family) {
                families.append(ip.family)
            } else {
                fail(service, "spec.clusterIPs[\(index)]", .invalid(value: ClusterIPRules.listText(service.normalizedClusterIPs),
                                                                     detail: "\(ip.family.apiName) is not configured on this cluster"))
                failed = true
            }
        }
        if failed { return nil }
        if service.ipFamilyPolicy == "RequireDualStack", configured.count < 2 {
            fail(service, "spec.ipFamilyPolicy", .invalid(value: "\"RequireDualStack\"", detail: "this cluster is not configured for dual-stack services"))
            failed = true
        }
        for (index, family) in families.prefix(asked).enumerated() where !configured.contains(family) {
            fail(service, "spec.ipFamilies[\(index)]", .invalid(value: "\"\(family.apiName)\"", detail: "not configured on this cluster"))
            failed = true
        }
        if failed { return nil }
        let dualStack = service.ipFamilyPolicy == "RequireDualStack" || service.ipFamilyPolicy == "PreferDualStack"
        if families.isEmpty, let primary = configured.first { families = [primary] }
        if dualStack, families.count == 1, let other = configured.first(where: { $0 != families[0] }) {
            families.append(other)
        }
        return families
    }

    private mutating func allocateClusterIPs(_ services: [Service]) {
        // Owners by key, their labels made only for an error: this runs over every Service.
        var taken: [IPAddress: ObjectKey] = [:]
        var wanting: [(Service, [IPAddress.Family])] = []
        for service in services {
            let written = service.normalizedClusterIPs.compactMap(IPAddress.init)
            guard let families = requestedFamilies(service, written: written) else { continue }
            var assigned: [IPAddress] = []
            for (index, ip) in written.enumerated() {
                let path = { "spec.clusterIPs[\(index)]" }
                guard let range = settings.clusterIPRange(for: ip.family), Self.isAllocatable(ip, in: range) else {
                    let range = settings.clusterIPRange(for: ip.family).map(\.description) ?? "(none)"
                    fail(service, path(), .invalid(value: "\"\(ip)\"", detail: "failed to allocate IP \(ip): the provided IP (\(ip)) is not in the valid range. The range of valid IPs is \(range)"))
                    continue
                }
                if let owner = taken[ip] {
                    fail(service, path(), .invalid(value: "\"\(ip)\"", detail: "failed to allocate IP \(ip): provided IP is already allocated to Service \"\(owner)\""))
                    continue
                }
                taken[ip] = service.key
                assigned.append(ip)
            }
            result.clusterIPs[service.key] = assigned
            if assigned.count < families.count { wanting.append((service, Array(families.dropFirst(assigned.count)))) }
        }
        // Remembered values first, all of them, so that no new service takes one.
        var deriving: [(Service, index: Int, CIDR)] = []
        for (service, families) in wanting.sorted(by: { $0.0.key < $1.0.key }) {
            let assigned = result.clusterIPs[service.key]?.count ?? 0
            for (offset, family) in families.enumerated() {
                guard let range = settings.clusterIPRange(for: family) else { continue }
                if let ip = previous.clusterIPs[service.key]?.first(where: { $0.family == family && Self.isAllocatable($0, in: range) && taken[$0] == nil }) {
                    taken[ip] = service.key
                    result.clusterIPs[service.key, default: []].append(ip)
                } else {
                    deriving.append((service, assigned + offset, range))
                }
            }
        }
        for (service, index, range) in deriving {
            guard let ip = Self.derive(for: "\(service.key)", in: range, taken: taken) else {
                // Nothing was written there: the line of what asked for the address, else the Service's own.
                fail(service, "spec.clusterIPs[\(index)]", near: ["spec.ipFamilies[\(index)]", "spec.ipFamilyPolicy", "spec.type", "metadata.name"],
                     .invalid(value: "\"\"", detail: "failed to allocate a serviceIP: range is full (the range of valid IPs is \(range))"))
                continue
            }
            taken[ip] = service.key
            result.clusterIPs[service.key, default: []].append(ip)
            notes.append("\(service.label): allocated ClusterIP \(ip)")
        }
    }

    /// In the block and neither its network address nor (IPv4) its broadcast address.
    static func isAllocatable(_ ip: IPAddress, in range: CIDR) -> Bool {
        guard range.contains(ip) else { return false }
        let size = range.addressCount
        return ip != range.address(at: 0) && !(ip.family == .ipv4 && ip == range.address(at: size - 1))
    }

    private static func derive(for name: String, in range: CIDR, taken: [IPAddress: ObjectKey]) -> IPAddress? {
        let usable = range.addressCount - (range.address.family == .ipv4 ? 2 : 1)
        guard usable > 0 else { return nil }
        let start = stableHash("\(name)|\(range.address.family)") % usable
        for step in 0...UInt64(taken.count) where step < usable {
            let candidate = range.address(at: 1 + (start + step) % usable)
            if taken[candidate] == nil { return candidate }
        }
        return nil
    }

    // MARK: NodePorts

    private mutating func allocateNodePorts(_ services: [Service]) {
        let range = settings.nodePortRange
        var taken: [Int: NodePortOwner] = [:]
        for service in services {
            var own: Set<Int> = []
            for (index, port) in service.ports.enumerated() {
                guard let nodePort = port.nodePort else { continue }
                let path = { "spec.ports[\(index)].nodePort" }
                if !range.contains(nodePort) {
                    fail(service, path(), .invalid(value: "\(nodePort)", detail: "provided port is not in the valid range. The range of valid ports is \(range.lowerBound)-\(range.upperBound)"))
                    continue
                }
                if let owner = taken[nodePort], !own.contains(nodePort) {
                    fail(service, path(), .invalid(value: "\(nodePort)", detail: "provided port is already allocated to Service \"\(owner.service)\""))
                    continue
                }
                taken[nodePort] = NodePortOwner(service: service.key, kind: .nodePort)
                own.insert(nodePort)
                result.nodePorts[ServicePortName(service: service.key, port: port.name)] = nodePort
            }
            placeWrittenHealthCheckNodePort(of: service, in: range, taken: &taken)
        }
        // Remembered values first, all of them, so that no new service takes one.
        var deriving: [(Service, ServicePort, index: Int)] = []
        for service in services.sorted(by: { $0.key < $1.key }) where service.allocatesNodePorts {
            for (index, port) in service.ports.enumerated() where port.nodePort == nil {
                let name = ServicePortName(service: service.key, port: port.name)
                if let remembered = previous.nodePorts[name], range.contains(remembered),
                   taken[remembered] == nil || taken[remembered] == NodePortOwner(service: service.key, kind: .nodePort) {
                    taken[remembered] = NodePortOwner(service: service.key, kind: .nodePort)
                    result.nodePorts[name] = remembered
                } else {
                    deriving.append((service, port, index))
                }
            }
        }
        var derivingHealthChecks: [Service] = []
        for service in services.sorted(by: { $0.key < $1.key })
        where service.needsHealthCheckNodePort && result.healthCheckNodePorts[service.key] == nil {
            if let remembered = previous.healthCheckNodePorts[service.key], range.contains(remembered), taken[remembered] == nil {
                taken[remembered] = NodePortOwner(service: service.key, kind: .healthCheck)
                result.healthCheckNodePorts[service.key] = remembered
            } else {
                derivingHealthChecks.append(service)
            }
        }
        // TCP and UDP on one port of a service share a NodePort, a written one too, as the
        // API server's findRequestedNodePort has it.
        var shared: [String: Int] = [:]
        for (service, port, index) in deriving {
            let name = ServicePortName(service: service.key, port: port.name)
            let sharingKey = "\(service.key)|\(port.port)"
            let siblings = service.ports.filter { $0.port == port.port }.map { ServicePortName(service: service.key, port: $0.name) }
            if let nodePort = shared[sharingKey] ?? siblings.compactMap({ result.nodePorts[$0] }).first {
                result.nodePorts[name] = nodePort
                continue
            }
            guard let nodePort = Self.derive(for: "\(name)", in: range, taken: taken) else {
                fail(service, "spec.ports[\(index)].nodePort", .invalid(value: "0", detail: "failed to allocate a nodePort: range is full "
                     + "(the range of valid ports is \(range.lowerBound)-\(range.upperBound))"))
                continue
            }
            taken[nodePort] = NodePortOwner(service: service.key, kind: .nodePort)
            shared[sharingKey] = nodePort
            result.nodePorts[name] = nodePort
            notes.append("\(name): allocated NodePort \(nodePort)")
        }
        for service in derivingHealthChecks {
            guard let port = Self.derive(for: "\(service.key)|healthCheckNodePort", in: range, taken: taken) else {
                fail(service, "spec.healthCheckNodePort", near: ["spec.externalTrafficPolicy"], .invalid(
                    value: "0", detail: "failed to allocate a HealthCheck NodePort 0: range is full "
                        + "(the range of valid ports is \(range.lowerBound)-\(range.upperBound))"))
                continue
            }
            taken[port] = NodePortOwner(service: service.key, kind: .healthCheck)
            result.healthCheckNodePorts[service.key] = port
            notes.append("\(service.label): allocated healthCheckNodePort \(port)")
        }
    }

    /// A written `healthCheckNodePort` (0 means none, as the API server reads it): in the
    /// range and taken by no other Service's NodePort, nor by one of the Service's own
    /// (kube-proxy could not serve both on one port).
    private mutating func placeWrittenHealthCheckNodePort(of service: Service, in range: ClosedRange<Int>, taken: inout [Int: NodePortOwner]) {
        guard service.needsHealthCheckNodePort, let port = service.healthCheckNodePort, port != 0 else { return }
        let path = "spec.healthCheckNodePort"
        if !range.contains(port) {
            fail(service, path, .invalid(value: "\(port)", detail: "provided port is not in the valid range. The range of valid ports is \(range.lowerBound)-\(range.upperBound)"))
            return
        }
        if let owner = taken[port] {
            fail(service, path, .invalid(value: "\(port)", detail: "provided port is already allocated to Service \"\(owner.service)\""))
            return
        }
        taken[port] = NodePortOwner(service: service.key, kind: .healthCheck)
        result.healthCheckNodePorts[service.key] = port
    }

    /// A port for `name` from its hash. The start is the one derivation always had (the
    /// hash over the whole range), so that ports derived before the lower band existed stay
    /// where they were after an upgrade; only a start inside the lower band moves, to a
    /// place in the upper band fixed by the hash's higher digits. Probing goes onward in
    /// the upper band, then the lower band once the upper one is full.
    private static func derive(for name: String, in range: ClosedRange<Int>, taken: [Int: NodePortOwner]) -> Int? {
        let size = UInt64(range.count)
        // A band as large as the range would leave no upper band to derive in.
        let band = UInt64(lowerBandSize(of: range)) < size ? UInt64(lowerBandSize(of: range)) : 0
        let hash = stableHash(name)
        var start = hash % size
        if start < band { start = band + (hash / size) % (size - band) }
        let upper = range.lowerBound + Int(band)...range.upperBound
        if let port = probe(upper, from: start - band, taken: taken) { return port }
        guard band > 0 else { return nil }
        return probe(range.lowerBound...range.lowerBound + Int(band) - 1, from: hash % band, taken: taken)
    }

    /// How many ports at the bottom of the range dynamic allocation leaves for last: the
    /// API server's calculateRangeOffset, min(max(16, size/32), 128), none for 16 ports or
    /// fewer (a band of 16 would be the whole range).
    static func lowerBandSize(of range: ClosedRange<Int>) -> Int {
        let size = range.count
        guard size > 16 else { return 0 }
        return min(max(16, size / 32), 128)
    }

    /// The first free port of `band` from offset `start` onward, wrapping within the band.
    private static func probe(_ band: ClosedRange<Int>, from start: UInt64, taken: [Int: NodePortOwner]) -> Int? {
        let size = UInt64(band.count)
        for step in 0...UInt64(taken.count) where step < size {
            let candidate = band.lowerBound + Int((start + step) % size)
            if taken[candidate] == nil { return candidate }
        }
        return nil
    }

    /// The derivation before the lower band (8e1be61), kept for tests that pin the
    /// upgrade promise: the hash over the whole range.
    static func unbandedStart(for name: String, in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(stableHash(name) % UInt64(range.count))
    }

    /// FNV-1a: stable across runs and builds, unlike Swift's seeded `Hasher`.
    static func stableHash(_ text: String) -> UInt64 {
        text.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01b3 }
    }
}

/// Who holds a port of the NodePort range. A Service's TCP and UDP ports may share a
/// NodePort, but its health-check NodePort shares with nothing, its own NodePorts included.
struct NodePortOwner: Equatable {
    enum Kind { case nodePort, healthCheck }
    let service: ObjectKey
    let kind: Kind
}
