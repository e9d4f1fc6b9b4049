// From validated objects to a ProxyPlan: joins each Service to its Endpoints by
// namespace/name and each service port to endpoint ports by name (as the endpoints
// controller and kube-proxy do), allocates omitted NodePorts, and works out every
// address the node must listen on.

/// A plan and what the user should know about how it was made.
public struct LoadedPlan: Sendable {
    public let plan: ProxyPlan
    /// Informational lines: skipped objects, allocated NodePorts, ports not proxied.
    public let notes: [String]
}

public enum Configuration {
    /// Loads, validates and plans the configuration at `paths`.
    public static func plan(paths: [String], settings: NodeSettings) -> Result<LoadedPlan, ConfigErrors> {
        let (objects, loadErrors) = ConfigLoader.load(paths: paths)
        return plan(objects: objects, settings: settings, loadErrors: loadErrors)
    }

    /// Validates and plans objects that are already loaded. `loadErrors` are the errors of
    /// reading them; a field that could not be read is not judged again by validation.
    public static func plan(objects: ConfigObjects, settings: NodeSettings,
                            loadErrors: [ConfigError] = []) -> Result<LoadedPlan, ConfigErrors> {
        var errors = objects.services.flatMap { Validation.validate($0, settings: settings) }
        errors += objects.endpoints.flatMap { Validation.validate($0) }
        errors += Validation.validateUniqueness(objects)
        let unreadable = Set(loadErrors.map { "\($0.object ?? "")|\($0.field)" })
        errors = loadErrors + errors.filter { !unreadable.contains("\($0.object ?? "")|\($0.field)") }
        guard errors.isEmpty else { return .failure(ConfigErrors(errors.sortedByLocation())) }
        var builder = PlanBuilder(objects: objects, settings: settings)
        let plan = builder.build()
        guard builder.errors.isEmpty else { return .failure(ConfigErrors(builder.errors)) }
        return .success(LoadedPlan(plan: plan, notes: objects.skipped + builder.notes))
    }
}

extension [ConfigError] {
    /// In file order, so a user reads them top to bottom; errors without a place first.
    func sortedByLocation() -> [ConfigError] {
        enumerated().sorted { a, b in
            let l = a.element.location, r = b.element.location
            let left = (l?.file ?? "", l?.line ?? 0, l?.column ?? 0, a.offset)
            let right = (r?.file ?? "", r?.line ?? 0, r?.column ?? 0, b.offset)
            return left < right
        }.map(\.element)
    }
}

struct PlanBuilder {
    let objects: ConfigObjects
    let settings: NodeSettings
    var notes: [String] = []
    var errors: [ConfigError] = []

    init(objects: ConfigObjects, settings: NodeSettings) {
        self.objects = objects
        self.settings = settings
    }

    mutating func build() -> ProxyPlan {
        let endpointsByKey = Dictionary(objects.endpoints.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let nodePorts = allocateNodePorts()
        let nodeAddresses = settings.selectedNodePortAddresses
        var plans: [ServicePortPlan] = []
        var listenOwners: [ListenAddress: ServicePortName] = [:]
        for service in objects.services.sorted(by: { $0.key < $1.key }) {
            guard service.type != .externalName, service.clusterIP != "None" else {
                notes.append("\(service.label) is \(service.type == .externalName ? "an ExternalName" : "a headless") service: not proxied")
                continue
            }
            let clusterIP = IPAddress(service.clusterIP)
            for (index, port) in service.ports.enumerated() {
                let name = ServicePortName(service: service.key, port: port.name)
                guard port.protocol == .tcp else {
                    notes.append("\(name) is \(port.protocol.rawValue): only TCP is proxied, this port is not served")
                    continue
                }
                var listen: [ListenAddress] = []
                if let clusterIP { listen.append(ListenAddress(ip: clusterIP, port: port.port, kind: .clusterIP)) }
                if let nodePort = nodePorts[name] {
                    listen += nodeAddresses.map { ListenAddress(ip: $0, port: nodePort, kind: .nodePort) }
                }
                for address in listen {
                    if let owner = listenOwners[address] {
                        let path = "spec.ports[\(index)]"
                        errors.append(ConfigError(location: service.source.location(of: path), object: service.label, field: path,
                                                  reason: .duplicate(value: "\(address)", detail: "\(owner) already listens there")))
                    }
                    listenOwners[address] = name
                }
                let endpoints = endpointsByKey[service.key].map { readyEndpoints(of: $0, for: port) } ?? []
                plans.append(ServicePortPlan(name: name, protocol: port.protocol, listenAddresses: listen, endpoints: endpoints))
            }
        }
        return ProxyPlan(servicePorts: plans)
    }

    /// The ready endpoints of `port`: every address of every subset whose ports include
    /// one of the same name and protocol, at that port's number. Duplicates are dropped.
    func readyEndpoints(of endpoints: Endpoints, for port: ServicePort) -> [Endpoint] {
        var result: [Endpoint] = []
        var seen: Set<Endpoint> = []
        for subset in endpoints.subsets {
            guard let match = subset.ports.first(where: { $0.name == port.name && $0.protocol == port.protocol }) else { continue }
            for ip in subset.addresses {
                let endpoint = Endpoint(ip: ip, port: match.port)
                if seen.insert(endpoint).inserted { result.append(endpoint) }
            }
        }
        return result
    }

    /// The NodePort of every service port that has one: the one written, or, for a
    /// NodePort or LoadBalancer service that left it out, one derived from the service
    /// port's name, so that it stays the same across reloads and restarts.
    mutating func allocateNodePorts() -> [ServicePortName: Int] {
        var result: [ServicePortName: Int] = [:]
        var taken: Set<String> = []
        var wanting: [(ServicePortName, TransportProtocol)] = []
        for service in objects.services.sorted(by: { $0.key < $1.key }) {
            for port in service.ports {
                let name = ServicePortName(service: service.key, port: port.name)
                if let nodePort = port.nodePort {
                    result[name] = nodePort
                    taken.insert("\(nodePort)/\(port.protocol.rawValue)")
                } else if service.type == .nodePort || service.type == .loadBalancer {
                    wanting.append((name, port.protocol))
                }
            }
        }
        let range = settings.nodePortRange
        let size = range.count
        for (name, proto) in wanting {
            let start = Int(Self.stableHash("\(name)/\(proto.rawValue)") % UInt64(size))
            for step in 0..<size {
                let candidate = range.lowerBound + (start + step) % size
                if taken.insert("\(candidate)/\(proto.rawValue)").inserted {
                    result[name] = candidate
                    notes.append("\(name): allocated NodePort \(candidate)")
                    break
                }
            }
        }
        return result
    }

    /// FNV-1a: stable across runs and builds, unlike Swift's seeded `Hasher`.
    static func stableHash(_ text: String) -> UInt64 {
        text.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01b3 }
    }
}
