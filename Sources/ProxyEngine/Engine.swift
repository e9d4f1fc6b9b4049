// The engine: starts the workers and carries out plan diffs on them. Applying a plan is
// the whole of a reload: PlanDiff says what changes; listeners it keeps stay open (the
// same sockets keep accepting, with the new route for new connections), listeners it
// closes are closed, new ones are bound first, and no open connection is touched. A
// listener that cannot be bound fails alone, with a clear error; the rest is served, and
// the next reload tries it again.
import Dispatch
import LinuxIO
import Logging
import ServiceConfig
import Synchronization
import TLS

/// A listen address of the plan that could not be bound.
public struct ListenFailure: Sendable, CustomStringConvertible {
    public let target: ListenerTarget
    public let address: ListenAddress
    public let error: Errno

    public var description: String { "Failed to listen on \(address) for \(target): \(error)" }
}

/// What applying a plan changed.
public struct ApplyResult: Sendable {
    public var opened: [ListenAddress] = []
    public var closed: [SocketKey] = []
    public var kept = 0
    public var failures: [ListenFailure] = []
    /// The diff that was carried out (nil when there was nothing to do).
    public var diff: PlanDiff?
    /// What is wrong with the Ingress's certificates (their hosts get the default one).
    public var tlsDiagnostics: [TLSDiagnostic] = []
    /// Why HTTPS could not be set up at all, if so.
    public var tlsFailure: String?
    /// The self-signed default certificate made for this plan's HTTPS, if one was.
    public var madeSelfSignedCertificate = false

    /// Nothing done yet for `diff`.
    public init(diff: PlanDiff) { self.diff = diff }

    /// Nothing to do: the plan served is the one given, its `kept` listeners all kept (the
    /// daemon's result when a reload changed nothing, without diffing a plan with itself).
    public init(keptListeners: Int) {
        diff = nil
        kept = keptListeners
    }
}

/// How the engine's workers run: fixed for the life of the process.
public struct EngineSettings: Sendable {
    public var workers: Int
    /// The longest a worker sleeps before it checks in (for the watchdog).
    public var checkInInterval: UInt64 = 1_000_000_000
    /// Log one entry per finished connection.
    public var accessLog = false
    /// Keepalive on client sockets, and on relayed connections' endpoint sockets once the
    /// connection has lived a second (KeepAliveQueue); nil turns it off (`--tcp-keepalive 0s`).
    public var keepAlive: KeepAlive? = EngineSettings.defaultKeepAlive
    /// Affinity pins per service port (`--affinity-table-size`).
    public var affinityTableSize = EngineSettings.defaultAffinityTableSize
    /// Bytes per relay read and write when copying.
    public var bufferSize = BufferPool.defaultBufferSize
    /// Bytes a relay pipe holds, the most one splice moves (`--relay-pipe-size`); 0 turns
    /// splicing off, and every relay copies through buffers.
    public var pipeSize = EngineSettings.defaultPipeSize
    /// Sends of relayed messages and of the Ingress's plain-HTTP writes made together, once
    /// per turn of a worker's loop, through io_uring (`--batch-sends`); off, or where
    /// io_uring is not to be had, each is sent at once.
    public var batchSends = true
    /// The most times a worker that has just had events yields its CPU and looks again
    /// before it sleeps (`--yield-before-sleep`, YieldBeforeSleep); 0 never yields.
    public var yieldRoundsLimit = EngineSettings.defaultYieldRounds
    /// How a new TCP connection's worker is chosen (`--connection-steering`).
    public var connectionSteering = ConnectionSteering.hash
    /// Relay pipes open at once on the node, shared evenly by the workers.
    public var maxPipes = EngineSettings.maxPipes(descriptorLimit: 1024)
    /// The node-wide connection limit when neither `--max-connections` nor the
    /// ProxyConfiguration sets one.
    public var maxConnections: Int?
    /// The node-wide UDP flow bound when neither `--udp-max-flows` nor the
    /// ProxyConfiguration sets one (each flow holds a socket).
    public var maxUDPFlows = 10_000

    public static let defaultAffinityTableSize = AffinityTable.defaultCapacity
    public static let defaultBufferSize = BufferPool.defaultBufferSize
    /// What `make bench` chose (README, "Relay pipes").
    public static let defaultPipeSize = 256 * 1024
    public static let defaultKeepAlive = KeepAlive(idleSeconds: 15)
    public static let defaultYieldRounds = YieldBeforeSleep.defaultRounds
    /// The most `yieldRoundsLimit` may be.
    public static let yieldRoundsBound = YieldBeforeSleep.maximumRounds

    /// A default for `--udp-max-flows`: a flow holds one descriptor; a fifth of what the
    /// limit leaves after the reserve. The connections' default takes the rest (two
    /// descriptors each), so that both bounds together fit the limit.
    public static func maxUDPFlows(descriptorLimit: Int) -> Int {
        max(1, (descriptorLimit - reserve(descriptorLimit)) / 5)
    }

    /// Descriptors kept for listeners (one per address and worker), the admin server, the
    /// journal and the like.
    static func reserve(_ descriptorLimit: Int) -> Int { max(256, descriptorLimit / 16) }

    /// Relay pipes the descriptor limit can carry: an eighth of the reserve (two
    /// descriptors each), and at most 128. 128 pipes of the default size are 8,192 pages,
    /// half of what pipe(7) lets an unprivileged user hold by default
    /// (/proc/sys/fs/pipe-user-pages-soft), and pin at most 32 MiB.
    public static func maxPipes(descriptorLimit: Int) -> Int {
        min(128, reserve(descriptorLimit) / 8)
    }

    /// Each worker's share of `maxPipes`, at least one.
    var pipesPerWorker: Int { max(1, maxPipes / workers) }

    /// The pipes the node may hold: `maxPipes`, or one per worker when there are more
    /// workers than that.
    public var pipesOnNode: Int { pipesPerWorker * workers }

    /// A default for `--max-connections` that the descriptor limit can carry: two
    /// descriptors per connection, after the reserve and the UDP flows' default.
    public static func maxConnections(descriptorLimit: Int) -> Int {
        max(1, (descriptorLimit - reserve(descriptorLimit) - maxUDPFlows(descriptorLimit: descriptorLimit)) / 2)
    }

    public init(workers: Int) {
        self.workers = max(1, workers)
    }
}

/// Moves a worker, built on the starting thread, to its own thread; the starting thread
/// never touches it again.
private final class WorkerHandOff: @unchecked Sendable {
    let worker: Worker
    init(_ worker: Worker) { self.worker = worker }
}

/// What other threads may ask of a running engine.
public final class EngineMonitor: Sendable {
    private let controls: [WorkerControl]
    /// How many listen addresses are being served.
    public let listeners = Atomic<Int>(0)

    init(controls: [WorkerControl]) { self.controls = controls }

    /// The oldest check-in of a running worker, in monotonic nanoseconds (UInt64.max when
    /// none is running): a stalled event loop shows here.
    public var oldestCheckIn: UInt64 {
        controls.map { $0.lastCheckIn.load(ordering: .relaxed) }.min() ?? .max
    }
}

public final class Engine {
    private let logger: Logger
    private let settings: EngineSettings
    /// Every service port's counters, for the metrics and status endpoints.
    public let statistics: StatisticsRegistry
    /// Liveness and size, readable from any thread.
    public let monitor: EngineMonitor
    private var controls: [WorkerControl] = []
    private var threads: [JoinableThread] = []
    /// What is served: the last plan applied, less the listen addresses that failed.
    private var served: ProxyPlan?
    /// Every listen address of `served` is bound: a partial diff retries nothing, so it
    /// is taken only then.
    private var servedWhole = true
    private var listenerIDs: [SocketKey: UInt32] = [:]
    private var routes: [ServicePortName: ServicePortRoute] = [:]
    private var shared: [ServicePortName: ServicePortShared] = [:]
    private var lastListenerID: UInt32 = 0
    /// The workers hold an Ingress routing table, and one with TLS.
    private var ingressRouting = false
    private var ingressTLS = false
    /// What the DNS listeners answer with, while the plan has a DNS part.
    private var dnsService: DNSService?
    /// Session-ticket keys, kept across reloads so that clients resume after one.
    private let ticketKeys = TLSTicketKeys()
    /// The default certificate when no --default-ssl-certificate is given, made once.
    private var selfSigned: (certificatePEM: [UInt8], privateKeyPEM: [UInt8])?
    /// The node-wide connection count, for `--max-connections`.
    let budget = ConnectionBudget()
    /// Set while new TCP connections are steered by CPU (ConnectionSteering): the watch
    /// on the workers' shares. Nil at one worker, with `--connection-steering hash`, and
    /// once steering has been given up.
    private var steeringBalance: SteeringBalance?
    /// Steering by CPU was given up while a plan was being bound: worker 0 is to steer its
    /// groups by hash once it holds the plan's listeners.
    private var steeringToHashPending = false

    /// Starts the event loops with nothing to serve yet; `apply` gives them a plan.
    public init(settings: EngineSettings, logger: Logger) throws(Errno) {
        self.logger = logger
        self.settings = settings
        statistics = StatisticsRegistry(workers: settings.workers)
        var controls: [WorkerControl] = []
        for index in 0..<settings.workers {
            let control = WorkerControl(wakeup: try EventDescriptor())
            let handOff = WorkerHandOff(try Worker(index: index, control: control, logger: logger, settings: settings,
                                                   statistics: statistics))
            threads.append(try JoinableThread(name: "svcproxy-w\(index)") { handOff.worker.run() })
            controls.append(control)
        }
        self.controls = controls
        monitor = EngineMonitor(controls: controls)
        if settings.connectionSteering == .cpu, settings.workers > 1 {
            steeringBalance = SteeringBalance(accepted: statistics.loopSnapshot().acceptedPerWorker)
            statistics.steeringByCPU.store(true, ordering: .relaxed)
        }
    }

    /// Whether new TCP connections are steered by CPU, and `balanceSteering` has work.
    public var steersByCPU: Bool { steeringBalance != nil }

    /// How often the daemon calls `balanceSteering`.
    public static let steeringCheckInterval: UInt64 = 1_000_000_000

    /// Judges how evenly steering by CPU spread the connections accepted since the last
    /// judged window, and steers by hash from then on if half the workers or more went
    /// without their share in this window and the one before (connections arrive on too
    /// few CPUs).
    public func balanceSteering() {
        guard var balance = steeringBalance else { return }
        let verdict = balance.judge(accepted: statistics.loopSnapshot().acceptedPerWorker)
        steeringBalance = balance
        guard case .skewed(let starved, let accepted) = verdict else { return }
        steeringBalance = nil
        controls.first?.send(.steerByHash)
        logger.notice("\(starved) of \(controls.count) workers got less than a quarter of their share of the last \(accepted) connections, as in the window before: they arrive on too few CPUs to be steered by CPU; the kernel's hash spreads them over the workers from now on",
                      metadata: ["event": "steering-by-hash"])
    }

    /// Makes `plan` the one served, changing only what differs, and returns once every
    /// worker has taken it on (so dropped ports are free and new ones accept).
    /// `changedServices`, when given, are the only Services whose ports differ from the
    /// last plan applied (LoadedPlan.changedServices): then only their listeners and
    /// routes are looked at, unless something else changed too or a listener had failed.
    public func apply(_ plan: ProxyPlan, changedServices: Set<ObjectKey>? = nil) -> ApplyResult {
        let diff: PlanDiff = if let changedServices, let served, servedWhole, PlanDiff.canDiff(from: served, to: plan) {
            PlanDiff(from: served, to: plan, services: changedServices)
        } else {
            PlanDiff(from: served, to: plan)
        }
        var result = ApplyResult(diff: diff)
        var connections = plan.connections
        if connections.maxConnections == nil { connections.maxConnections = settings.maxConnections }
        let servicePorts: [ServicePortName: ServicePortPlan] = if diff.isPartial {
            Dictionary(diff.newRoutes.compactMap { name in plan.servicePorts(of: name.service).first { $0.name == name } }.map { ($0.name, $0) },
                       uniquingKeysWith: { first, _ in first })
        } else {
            Dictionary(plan.servicePorts.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        }

        for name in diff.removedServicePorts {
            routes[name] = nil
            shared[name] = nil
        }
        for name in diff.newRoutes {
            guard let servicePort = servicePorts[name] else { continue }
            let state = shared[name] ?? ServicePortShared(affinityCapacity: settings.affinityTableSize)
            shared[name] = state
            routes[name] = ServicePortRoute(plan: servicePort, connections: connections,
                                            statistics: statistics.statistics(for: name), budget: budget, shared: state)
        }

        var routerChange: RouterChange?
        if diff.ingressChanged {
            let tls = plan.ingress?.tls.flatMap { loadTLS($0, into: &result) }
            let router = plan.ingress.map {
                IngressRouter(plan: $0, statistics: statistics, budget: budget, nodeLimit: connections.maxConnections, tls: tls)
            }
            routerChange = RouterChange(router: router)
            ingressRouting = router != nil
            ingressTLS = tls != nil
            statistics.keepIngressRoutes(router?.statisticsKeys ?? [])
        }

        if diff.dnsChanged { dnsService = plan.dns.map(DNSService.init(plan:)) }
        let egress = diff.egressChanged ? CompiledEgress(plan.egress) : nil

        var assignments = Array(repeating: [ListenerAssignment](), count: controls.count)
        var failed = Set<SocketKey>()
        for listener in diff.kept {
            guard let id = listenerIDs[listener.address.socketKey], let route = route(for: listener.target) else {
                // Cannot happen: a kept socket was served, and its service port has a route.
                logger.critical("svcproxy bug: no listener or route for kept \(listener.address) of \(listener.target)")
                continue
            }
            for worker in assignments.indices {
                assignments[worker].append(.init(id: id, descriptor: nil, address: listener.address, route: route))
            }
            result.kept += 1
        }
        for listener in diff.opened {
            guard let route = route(for: listener.target) else {
                if listener.target == .ingressTLS {
                    logger.error("Not listening on \(listener.address): HTTPS could not be set up", metadata: ["event": "listen-failed"])
                } else {
                    logger.critical("svcproxy bug: no route for \(listener.target); \(listener.address) is not bound")
                }
                failed.insert(listener.address.socketKey)  // tried again by the next reload
                continue
            }
            switch bind(listener.address) {
            case .success(let descriptors):
                lastListenerID += 1
                listenerIDs[listener.address.socketKey] = lastListenerID
                for (worker, descriptor) in descriptors.enumerated() {
                    assignments[worker].append(.init(id: lastListenerID, descriptor: descriptor, address: listener.address, route: route))
                }
                result.opened.append(listener.address)
            case .failure(let error):
                let failure = ListenFailure(target: listener.target, address: listener.address, error: error)
                logger.error("\(failure)", metadata: ["service": "\(listener.target)", "event": "listen-failed"])
                result.failures.append(failure)
                failed.insert(listener.address.socketKey)
            }
        }
        let closedIDs = diff.closed.compactMap { listenerIDs[$0] }
        for key in diff.closed { listenerIDs[key] = nil }
        result.closed = diff.closed

        let done = DispatchSemaphore(value: 0)
        let changes: ListenerChanges = diff.isPartial ? .some(closing: Set(closedIDs), routes: diff.newRoutes.union(diff.removedServicePorts)) : .all
        for (worker, control) in controls.enumerated() {
            control.send(.applyListeners(assignments[worker], changes, router: routerChange, egress: egress,
                                         udpFlowLimit: plan.connections.maxUDPFlows ?? settings.maxUDPFlows, done: done))
        }
        for _ in controls { done.wait() }
        if steeringToHashPending {
            // An attach failed in bind: the groups attached before it must follow.
            steeringToHashPending = false
            controls.first?.send(.steerByHash)
        }
        statistics.drop(servicePorts: diff.removedServicePorts, endpoints: diff.removedEndpoints)
        served = plan.removingListenAddresses(failed)
        servedWhole = failed.isEmpty
        monitor.listeners.store(listenerIDs.count, ordering: .relaxed)
        return result
    }

    private func route(for target: ListenerTarget) -> ListenerRoute? {
        switch target {
        case .servicePort(let name): routes[name].map { $0.isUDP ? .udp($0) : .tcp($0) }
        case .ingress: ingressRouting ? .http : nil
        case .ingressTLS: ingressTLS ? .https : nil
        case .dns: dnsService.map { .dns($0) }
        }
    }

    /// The plan's certificates loaded for the HTTPS listeners, or nil (and why, in `result`).
    private func loadTLS(_ plan: IngressTLSPlan, into result: inout ApplyResult) -> IngressTLSContext? {
        do {
            let fallback: (certificatePEM: [UInt8], privateKeyPEM: [UInt8])
            if let made = selfSigned {
                fallback = made
            } else {
                fallback = try TLSCertificates.selfSigned(commonName: "svcproxy")
                selfSigned = fallback
                result.madeSelfSignedCertificate = plan.defaultCertificate == nil
            }
            let server = try TLSServerContext(plan: plan, fallbackDefault: fallback, ticketKeys: ticketKeys)
            result.tlsDiagnostics = server.diagnostics
            statistics.setServedCertificates(server.served)
            return IngressTLSContext(server: server, handshakeTimeout: plan.handshakeTimeout.nanoseconds)
        } catch {
            result.tlsFailure = "\(error)"
            statistics.setServedCertificates([])
            return nil
        }
    }

    /// One listening socket per worker on `address`, or the error of the first bind.
    private func bind(_ address: ListenAddress) -> Result<[Int32], Errno> {
        guard let socketAddress = SocketAddress(ip: address.ip.description, port: UInt16(address.port)) else {
            return .failure(.invalidArgument)
        }
        var descriptors: [Int32] = []
        for _ in controls {
            do {
                if address.transport == .udp {
                    descriptors.append(try FileDescriptor.udpListener(on: socketAddress, freeBind: address.kind.mayBeAbsent).releaseOwnership())
                    continue
                }
                let listener = try FileDescriptor.listener(on: socketAddress, freeBind: address.kind.mayBeAbsent)
                // Accepted sockets inherit keepalive from their listener.
                if let keepAlive = settings.keepAlive { try listener.setKeepAlive(keepAlive) }
                if descriptors.isEmpty { steerByCPU(listener, address) }
                descriptors.append(listener.releaseOwnership())
            } catch {
                for descriptor in descriptors { FileDescriptor(owning: descriptor).close() }
                return .failure(error)
            }
        }
        return .success(descriptors)
    }

    /// Attaches the steering program to the group the workers' listeners on `address` are
    /// to share, while steering by CPU; where the kernel refuses, gives steering up (the
    /// groups attached before are steered by hash once the workers hold them).
    private func steerByCPU(_ listener: borrowing FileDescriptor, _ address: ListenAddress) {
        guard steeringBalance != nil else { return }
        do {
            try listener.steerConnectionsByCPU(groupSize: controls.count)
        } catch {
            steeringBalance = nil
            steeringToHashPending = true
            logger.warning("Could not steer connections on \(address) by CPU (\(error)); the kernel's hash spreads them over the workers",
                           metadata: ["event": "steering-failed"])
        }
    }

    /// Closes every listener and returns once each worker has: new connections are
    /// refused from then on, open ones carry on.
    public func stopAccepting() {
        let done = DispatchSemaphore(value: 0)
        for control in controls {
            control.send(.applyListeners([], .all, router: nil, egress: nil, udpFlowLimit: settings.maxUDPFlows, done: done))
        }
        for _ in controls { done.wait() }
        listenerIDs = [:]
        served = served.map { ProxyPlan(servicePorts: [], connections: $0.connections) }
        monitor.listeners.store(0, ordering: .relaxed)
        // The counters stay, for scrapes while draining.
    }

    /// Lets open connections finish for up to `gracePeriod` nanoseconds, closes the rest,
    /// and returns when every worker has finished.
    public func drain(gracePeriod: UInt64) {
        let deadline = MonotonicClock.now() + gracePeriod
        for control in controls { control.send(.drain(deadline: deadline)) }
        for thread in threads { thread.join() }
        threads = []
        controls = []
    }
}

extension ListenAddress.Kind {
    /// Service addresses may be bound before the node has them (IP_FREEBIND): a ClusterIP
    /// or external IP arrives on an interface later, or is routed here. NodePorts and
    /// Ingress listeners are on the node's own addresses, where a missing one is a mistake.
    var mayBeAbsent: Bool {
        switch self {
        case .clusterIP, .externalIP, .loadBalancer: true
        case .nodePort, .ingressHTTP, .ingressHTTPS, .dns: false
        }
    }
}
