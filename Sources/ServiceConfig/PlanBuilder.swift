// From loaded objects to a ProxyPlan: merges the node settings (defaults, the
// ProxyConfiguration document, then flags), validates every object, allocates omitted
// ClusterIPs and NodePorts, joins each service port to its ready endpoints
// (EndpointJoin.swift) and works out every address the node must listen on.

/// A plan and what the user should know about how it was made.
public struct LoadedPlan: Sendable {
    public let plan: ProxyPlan
    /// Informational lines: skipped objects, allocated values, ports not proxied (SCTP).
    public let notes: [String]
    /// The node settings in effect: defaults, then the ProxyConfiguration, then flags.
    public let settings: NodeSettings
    /// What was allocated; pass it to the next load so that a reload keeps it.
    public let allocations: Allocations
    /// What the load read again and what it reused (all zero when not loaded from files).
    public var loadStatistics = LoadStatistics()
    /// When the plan was made from the last one's parts: the Services whose parts were
    /// rebuilt. Nothing else differs from the plan the same store gave before, so the
    /// engine may diff these alone (PlanDiff(from:to:services:)). Nil: anything may differ.
    public var changedServices: Set<ObjectKey>?
}

public enum Configuration {
    /// Loads, validates and plans the configuration at `paths`. `settings` holds the
    /// defaults and the node's addresses, a ProxyConfiguration document in the files
    /// overrides them, and `overrides` (the command line) overrides both. `previous` is
    /// the running plan's allocations, which a reload keeps where it can.
    public static func plan(paths: [String], settings: NodeSettings, overrides: NodeSettingsOverrides = NodeSettingsOverrides(),
                            previous: Allocations? = nil) -> Result<LoadedPlan, ConfigErrors> {
        plan(paths: paths, settings: settings, overrides: overrides, previous: previous, store: ObjectStore())
    }

    /// As `plan(paths:...)`, reading again only the files and documents that changed since
    /// `store`'s last load (a reload); the plan is worked out over all objects.
    public static func plan(paths: [String], settings: NodeSettings, overrides: NodeSettingsOverrides = NodeSettingsOverrides(),
                            previous: Allocations? = nil, store: ObjectStore) -> Result<LoadedPlan, ConfigErrors> {
        let (read, readErrors) = store.read(paths: paths)
        // Nothing read again and the same inputs: the plan is the last one. A plan's own
        // allocations given back as `previous` allocate the same values again.
        if read.filesChanged == 0, readErrors.isEmpty, let last = store.lastPlan, last.settings == settings,
           last.overrides == overrides, previous == last.previous || previous == last.result.allocations,
           store.lastChanges.isEmpty {  // no file gone either
            store.planCache?.generation = store.generation  // nothing changed for it to follow
            var loaded = last.result
            loaded.loadStatistics = read
            loaded.changedServices = nil
            return .success(loaded)
        }
        var checked = store.checked()
        for error in readErrors { checked.report(error) }
        var result: Result<LoadedPlan, ConfigErrors>
        var incremental = false
        // Taken out of the store while it changes, so that its tables are not copied.
        var cached = store.planCache
        store.planCache = nil
        if var cache = cached.take(), cache.generation == store.generation - 1,
           cache.accepts(settings: settings, overrides: overrides, previous: previous),
           let loaded = cache.replan(checked: checked, changes: store.lastChanges, previous: previous) {
            cache.generation = store.generation
            store.planCache = cache
            result = .success(loaded)
            incremental = true
        } else {
            let (planned, cache) = fullPlan(checked: checked, settings: settings, overrides: overrides, previous: previous)
            store.planCache = cache.map {
                var cache = $0
                cache.generation = store.generation
                cache.lastRebuilt = cache.parts.count
                return cache
            }
            result = planned
        }
        var statistics = read
        statistics.servicesPlanned = store.planCache?.lastRebuilt ?? 0
        statistics.incremental = incremental
        let changed = incremental ? store.planCache?.lastTouched : nil
        result = result.map {
            var loaded = $0
            loaded.changedServices = changed
            loaded.loadStatistics = statistics
            return loaded
        }
        store.lastPlan = try? result.map { (settings, overrides, previous, $0) }.get()
        return result
    }

    /// Validates and plans objects that are already loaded. `loadErrors` are the errors of
    /// reading them; a field that could not be read is not judged again by validation.
    public static func plan(objects: ConfigObjects, settings: NodeSettings, overrides: NodeSettingsOverrides = NodeSettingsOverrides(),
                            previous: Allocations? = nil, loadErrors: [ConfigError] = []) -> Result<LoadedPlan, ConfigErrors> {
        plan(checked: CheckedObjects(objects: objects, loadErrors: loadErrors), settings: settings, overrides: overrides, previous: previous)
    }

    /// Plans objects whose own rules are already checked: what spans objects is checked here.
    public static func plan(checked: CheckedObjects, settings: NodeSettings, overrides: NodeSettingsOverrides = NodeSettingsOverrides(),
                            previous: Allocations? = nil) -> Result<LoadedPlan, ConfigErrors> {
        fullPlan(checked: checked, settings: settings, overrides: overrides, previous: previous).result
    }

    /// As `plan(checked:...)`, with each Service's part of a valid plan for the next one.
    static func fullPlan(checked: CheckedObjects, settings: NodeSettings, overrides: NodeSettingsOverrides,
                         previous: Allocations?) -> (result: Result<LoadedPlan, ConfigErrors>, cache: PlanCache?) {
        let objects = checked.objects
        let loadErrors = checked.loadErrors
        var effective = settings
        if let document = objects.proxyConfigurations.first { effective = effective.applying(document.settings) }
        effective = effective.applying(overrides)

        var errors = checked.objectErrors
        let validServices = checked.validServices
        errors += Validation.validateUniqueness(objects)
        let origin = SettingsOrigin(document: objects.proxyConfigurations.first, flags: overrides)
        let tls = IngressTLSValidation(objects: objects, settings: effective, origin: origin)
        errors += tls.errors
        var allocator = Allocator(settings: effective, previous: previous)
        allocator.allocate(validServices)
        errors += allocator.errors
        var balancers = LoadBalancerAssignment(settings: effective, previous: previous, allocations: allocator.result)
        balancers.reserved = LoadBalancerAssignment.nodeListeners(objects: objects, settings: effective)
        balancers.assign(validServices)
        var allocations = allocator.result
        allocations.loadBalancerIPs = balancers.allocated
        let unreadable = Set(loadErrors.map { "\($0.object ?? "")|\($0.field)" })
        errors = loadErrors + errors.filter { !unreadable.contains("\($0.object ?? "")|\($0.field)") }
        guard errors.isEmpty else { return (.failure(ConfigErrors(errors.sortedByLocation())), nil) }

        var builder = PlanBuilder(objects: objects, settings: effective, allocations: allocations, origin: origin,
                                  certificates: tls.contents.certificates, loadBalancers: balancers.result)
        let plan = builder.build()
        guard builder.errors.isEmpty else { return (.failure(ConfigErrors(builder.errors)), nil) }
        let cache = PlanCache(settings: settings, overrides: overrides, effective: effective, origin: origin, generation: 0,
                              previous: previous, allocations: allocations, allocationNotes: allocator.notes,
                              loadBalancers: balancers.result, parts: builder.parts,
                              sortedKeys: builder.parts.keys.sorted(), owners: builder.owners,
                              hadPods: objects.hasSelectorPods, hadPolicies: !objects.networkPolicies.isEmpty)
        return (.success(LoadedPlan(plan: plan, notes: objects.skipped + allocator.notes + balancers.notes + builder.notes,
                                    settings: effective, allocations: allocations)), cache)
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
    let allocations: Allocations
    /// Where the settings came from, for errors about the Ingress listen addresses.
    let origin: SettingsOrigin
    /// The decoded `kubernetes.io/tls` Secrets in use.
    let certificates: [ObjectKey: IngressCertificate]
    /// The addresses of the LoadBalancer Services of our class (LoadBalancerAssignment.swift).
    let loadBalancers: LoadBalancerAssignments
    var notes: [String] = []
    var errors: [ConfigError] = []

    /// Each Service's part of the plan, by key: what an incremental plan reuses.
    private(set) var parts: [ObjectKey: ServicePlanPart] = [:]
    /// Which service port listens on each socket.
    var owners: [SocketKey: ListenClaim] = [:]

    mutating func build() -> ProxyPlan {
        let join = EndpointJoin(objects: objects)
        let ingress = IngressResolver(objects: objects)
        notes += join.notes
        var plans: [ServicePortPlan] = []
        var healthChecks: [HealthCheckPlan] = []
        var owners: [SocketKey: ListenClaim] = [:]
        for service in objects.services.sorted(by: { $0.key < $1.key }) where parts[service.key] == nil {
            let part = self.part(for: service, join: join, ingress: ingress)
            parts[service.key] = part
            notes += part.notes
            for claim in part.claims { self.claim(claim.addresses, claim.claim, owners: &owners) }
            plans += part.ports
            if let check = part.healthCheck { healthChecks.append(check) }
        }
        self.owners = owners
        let services = objects.services
        return finish(servicePorts: plans, healthChecks: healthChecks, join: join, policies: ingress, services: services)
    }

    /// The Ingress, DNS and egress parts around `servicePorts`, and the plan.
    mutating func finish(servicePorts: [ServicePortPlan], healthChecks: [HealthCheckPlan], join: EndpointJoin,
                         policies: IngressResolver, services: [Service]) -> ProxyPlan {
        let ingressPlan = buildIngress(join: join, owners: owners)
        let dnsPlan = settings.dnsPlan(names: join.clusterNames(of: services, allocations: allocations))
        if let dnsPlan { checkListeners(of: dnsPlan, owners: owners, ingress: ingressPlan) }
        var plan = ProxyPlan(servicePorts: servicePorts, connections: settings.connectionSettings, ingress: ingressPlan, dns: dnsPlan,
                             healthChecks: healthChecks)
        plan.loadBalancers = loadBalancers.states.values.sorted { $0.service < $1.service }
        plan.egress = EgressResolver(objects: objects, directory: policies.pods, peers: policies.peers).plan()
        return plan
    }

    /// One Service's service ports, notes and listen claims: what depends on this Service,
    /// its endpoints' objects and pods, its allocations and the ingress policies of its
    /// endpoints' pods (and the pods those admit).
    func part(for service: Service, join: EndpointJoin, ingress: IngressResolver) -> ServicePlanPart {
        var part = ServicePlanPart(service: service)
        guard service.isProxied else {
            part.notes.append("\(service.label) is \(service.type == .externalName ? "an ExternalName" : "a headless") service: not proxied")
            return part
        }
        let clusterIPs = allocations.clusterIPs[service.key] ?? []
        let families = Self.families(of: clusterIPs)
        // NodePorts only on node addresses of the Service's families, as kube-proxy's
        // per-family proxiers have it: an IPv4 Service gets no `[::1]:port`.
        let nodeAddresses = settings.selectedNodePortAddresses.filter { families.contains($0.family) }
        let externalIPs = service.externalIPs.compactMap(IPAddress.init)
        let loadBalancerIPs = service.type == .loadBalancer ? loadBalancers.addresses(of: service) : []
        let affinity: SessionAffinity = service.sessionAffinity == "ClientIP"
            ? .clientIP(timeoutSeconds: service.affinityTimeoutSeconds ?? 10800) : .none
        // Ready endpoints on this node, by IP over all ports, as kube-proxy's health server counts.
        var localReadyIPs: Set<IPAddress> = []
        for (index, port) in service.ports.enumerated() {
            let name = ServicePortName(service: service.key, port: port.name)
            guard port.protocol != .sctp else {
                part.notes.append("\(name) is SCTP: only TCP and UDP are proxied, this port is not served")
                continue
            }
            var listen = clusterIPs.map { ListenAddress(ip: $0, port: port.port, kind: .clusterIP, transport: port.protocol) }
            if let nodePort = allocations.nodePorts[name] {
                listen += nodeAddresses.map { ListenAddress(ip: $0, port: nodePort, kind: .nodePort, transport: port.protocol) }
            }
            listen += externalIPs.map { ListenAddress(ip: $0, port: port.port, kind: .externalIP, transport: port.protocol) }
            listen += loadBalancerIPs.map { ListenAddress(ip: $0, port: port.port, kind: .loadBalancer, transport: port.protocol) }
            // One socket per address, port and transport, whichever kinds led there (an
            // external IP that is also a load-balancer IP or a node address).
            var seenSockets: Set<SocketKey> = []
            listen = listen.filter { seenSockets.insert($0.socketKey).inserted }
            part.claims.append(ServicePlanPart.Claim(addresses: listen, claim: ListenClaim(name: name, service: service, index: index)))
            let externalPolicy = TrafficPolicy(rawValue: service.externalTrafficPolicy ?? "") ?? .cluster
            let internalPolicy = TrafficPolicy(rawValue: service.internalTrafficPolicy ?? "") ?? .cluster
            let located = join.located(for: service, port: port, families: families)
            let categories = EndpointCategories(located, localPolicy: externalPolicy == .local || internalPolicy == .local, isLocal: isLocal)
            localReadyIPs.formUnion(categories.localReadyIPs)
            let identities = ingress.identify(located, of: name, transport: port.protocol)
            part.notes += identities.notes
            let isUDP = port.protocol == .udp
            let servicePort = ServicePortPlan(
                name: name, protocol: port.protocol, listenAddresses: listen,
                endpoints: categories.cluster, localEndpoints: categories.local, servingTerminating: categories.servingTerminating,
                serving: categories.serving,
                sessionAffinity: affinity, externalTrafficPolicy: externalPolicy, internalTrafficPolicy: internalPolicy,
                ingress: identities.ingress, pods: identities.pods, maxConnections: service.maxConnectionsLimit,
                idleTimeout: isUDP ? nil : service.idleTimeout(nodeDefault: settings.idleTimeout),
                udpTimeout: isUDP ? service.udpTimeout(nodeDefault: settings.udpTimeout) : nil)
            part.ports.append(servicePort)
        }
        if let port = allocations.healthCheckNodePorts[service.key] {
            part.healthCheck = HealthCheckPlan(service: service.key, port: port, addresses: nodeAddresses,
                                               localEndpoints: localReadyIPs.count)
        }
        return part
    }

    /// Whether `endpoint` is on this node: its source names this node. One that names no
    /// node is not local, as kube-proxy has it.
    private func isLocal(_ endpoint: LocatedEndpoint) -> Bool {
        guard let node = endpoint.nodeName, !settings.nodeName.isEmpty else { return false }
        return node == settings.nodeName
    }

    /// The Ingresses of our class as a plan, with its TLS part, and an error for each
    /// listener the Ingress controller would share.
    private mutating func buildIngress(join: EndpointJoin, owners: [SocketKey: ListenClaim]) -> IngressPlan? {
        let selection = IngressSelection(objects: objects, className: settings.ingressClass)
        notes += selection.notes
        guard !selection.served.isEmpty else { return nil }  // nothing to route (nor to index every Service for)
        var routing = IngressRouting(objects: objects, join: join, allocations: allocations)
        var plan = routing.plan(for: selection.served, settings: settings)
        notes += routing.notes
        var tls = IngressTLSResolution()
        plan?.tls = tls.plan(for: selection.served, secrets: objects.secrets, certificates: certificates, settings: settings)
        notes += tls.notes
        if let plan { checkListeners(of: plan, owners: owners) }
        return plan
    }

    /// An error for each Ingress listen address that a service port has, and for each HTTPS
    /// address where HTTP is accepted too.
    private mutating func checkListeners(of plan: IngressPlan, owners: [SocketKey: ListenClaim]) {
        for address in plan.listenAddresses {
            guard let owner = owners[address.socketKey] else { continue }
            errors.append(owner.error(.duplicate(value: "\(address)", detail: "the Ingress controller listens there (--ingress-http-bind-address)")))
        }
        let httpSockets = Set(plan.listenAddresses.map(\.socketKey))
        for address in plan.tls?.listenAddresses ?? [] {
            if let owner = owners[address.socketKey] {
                errors.append(owner.error(.duplicate(
                    value: "\(address)", detail: "the Ingress controller listens there for HTTPS (--ingress-https-bind-address)")))
            }
            if httpSockets.contains(address.socketKey) {
                errors.append(origin.error(flag: "--ingress-https-bind-address", field: "ingressHTTPSBindAddresses",
                                           givenByFlag: origin.flags.ingressHTTPSBindAddresses != nil,
                                           .duplicate(value: "\(address)",
                                                      detail: "HTTP for the Ingresses is accepted there (--ingress-http-bind-address)")))
            }
        }
    }

    /// An error for each DNS listen address a service port or the Ingress controller has.
    private mutating func checkListeners(of plan: DNSPlan, owners: [SocketKey: ListenClaim], ingress: IngressPlan?) {
        let ingressSockets = Set(((ingress?.listenAddresses ?? []) + (ingress?.tls?.listenAddresses ?? [])).map(\.socketKey))
        for address in plan.listenAddresses {
            let taken: String? = if let owner = owners[address.socketKey] {
                "\(owner.name) listens there"
            } else if ingressSockets.contains(address.socketKey) {
                "the Ingress controller listens there"
            } else {
                nil
            }
            guard let taken else { continue }
            errors.append(origin.error(flag: "--dns-bind-address", field: "dnsBindAddresses",
                                       givenByFlag: origin.flags.dnsBindAddresses != nil, .duplicate(value: "\(address)", detail: taken)))
        }
    }

    /// A service's ClusterIP families, IPv4 first: they choose among a dual-stack Pod's IPs.
    static func families(of clusterIPs: [IPAddress]) -> [IPAddress.Family] {
        Array(Set(clusterIPs.map(\.family))).sorted { $0 == .ipv4 && $1 == .ipv6 }
    }

    /// `loadBalancerIP` and every ingress IP that is not in Proxy mode (kube-proxy leaves
    /// those to the load balancer), without repeats.
    static func loadBalancerIPs(of service: Service) -> [IPAddress] {
        let written = [service.loadBalancerIP] + service.loadBalancerIngress.filter { $0.ipMode != "Proxy" }.compactMap(\.ip)
        return uniqued(written.compactMap(IPAddress.init))
    }

    static func uniqued<T: Hashable>(_ items: [T]) -> [T] {
        var seen: Set<T> = []
        return items.filter { seen.insert($0).inserted }
    }

    /// Two service ports may not listen on one address, port and transport, whatever made
    /// each of them listen there (a ClusterIP, an external IP, a load-balancer IP, a
    /// NodePort); a TCP and a UDP port of one number are two sockets and may.
    mutating func claim(_ listen: [ListenAddress], _ claim: ListenClaim, owners: inout [SocketKey: ListenClaim]) {
        for address in listen {
            if let owner = owners[address.socketKey], owner.name != claim.name {
                errors.append(claim.error(.duplicate(value: "\(address)", detail: "\(owner.name) already listens there")))
            }
            owners[address.socketKey] = claim
        }
    }
}

/// One Service's part of a plan (PlanBuilder.part), kept by PlanCache between loads.
struct ServicePlanPart {
    /// The listen addresses one service port claims.
    struct Claim {
        let addresses: [ListenAddress]
        let claim: ListenClaim
    }

    let service: Service
    var ports: [ServicePortPlan] = []
    var notes: [String] = []
    var claims: [Claim] = []
    /// Its health-check NodePort, when it has one.
    var healthCheck: HealthCheckPlan?
}

/// The service port that listens on an address, and where it was written. One is kept
/// per listen address (PlanCache), so it holds the Service's source, not the Service,
/// and makes its path and label only for an error.
struct ListenClaim {
    let name: ServicePortName
    let source: ObjectSource
    /// The index of the port in `spec.ports`.
    let index: Int

    init(name: ServicePortName, service: Service, index: Int) {
        self.name = name
        source = service.source
        self.index = index
    }

    /// `spec.ports[1]`.
    var path: String { "spec.ports[\(index)]" }

    /// An error at the service port's line.
    func error(_ reason: ConfigError.Reason) -> ConfigError {
        ConfigError(location: source.location(of: path), object: "Service \"\(name.service)\"", field: path, reason: reason)
    }
}
