// The daemon's lifecycle on the main thread: start (load, validate, plan, bind, READY=1),
// reload on SIGHUP (RELOADING=1, load, validate, plan, apply, READY=1), stop on SIGTERM
// or SIGINT (STOPPING=1, drain, exit 0), and the watchdog in between. The event loops run
// on worker threads; this thread only waits for signals and the watchdog's clock.
import Admin
import CLinux
import Foundation
import Glibc
import KubeAPI
import LinuxIO
import LogPipeline
import Logging
import ProxyEngine
import ServiceConfig
import Systemd

final class Daemon {
    let config: ConfigOptions
    let engineSettings: EngineSettings
    let gracePeriod: UInt64
    let logger: Logger
    let admin: AdminAddresses
    /// The log pipeline: its drop count for /metrics, and its queue written out before READY=1.
    let logs: any LogPipelineControl
    /// Shared with the admin thread, which reports it.
    let state = DaemonState()
    private var plan: ProxyPlan
    /// The ClusterIPs and NodePorts the running plan allocated, kept across reloads.
    private var allocations: Allocations
    /// ClusterIPs and external IPs added to the node's interface (`--cluster-ip-interface`).
    private let clusterIPs: ClusterIPAddresses
    /// LoadBalancer pool addresses added to `--load-balancer-interface` and announced.
    private let loadBalancers: LoadBalancerAddresses
    /// Says once when a LoadBalancer Service starts or stops waiting for an address.
    private var loadBalancerReport = LoadBalancerReport()
    /// The objects loaded, by source: a reload decodes and checks only what changed.
    let store: ObjectStore
    /// The API server's watchers, when it is a source (Daemon+APISource.swift).
    let apiSource: APISource?
    /// The least time between two applies of the API's changes (--min-sync-period).
    let minSyncPeriod: UInt64
    /// The API's kinds watched and listed: no plan and no READY=1 until all are listed.
    var apiWatches = APIWatchSet()
    var lastAPISync: UInt64 = 0
    /// When the changes waiting in the API's queue are to be applied.
    var apiSyncDue: UInt64?
    var announcedAPIReady = false
    /// Objects the store took from the API since the last plan.
    var apiChangesWaiting = 0
    /// Trigger times of the changes taken since the last apply (Daemon+APISource.swift).
    var apiTriggerTimesWaiting: [Double] = []

    init(config: ConfigOptions, engineSettings: EngineSettings, gracePeriod: UInt64, admin: AdminAddresses,
         logger: Logger, plan: LoadedPlan, store: ObjectStore, logs: any LogPipelineControl,
         clusterIPInterface: String? = nil, loadBalancerInterface: String? = nil, apiSource: APISource? = nil,
         minSyncPeriod: UInt64 = 1_000_000_000) {
        self.apiSource = apiSource
        self.minSyncPeriod = minSyncPeriod
        clusterIPs = ClusterIPAddresses(interface: clusterIPInterface, logger: logger)
        loadBalancers = LoadBalancerAddresses(interface: loadBalancerInterface, logger: logger)
        self.config = config
        self.engineSettings = engineSettings
        self.gracePeriod = gracePeriod
        self.admin = admin
        self.logs = logs
        self.logger = logger
        self.plan = plan.plan
        self.allocations = plan.allocations
        self.store = store
        for note in plan.notes { logger.info("\(note)", metadata: ["event": "config-note"]) }
        if !plan.settings.loadBalancerIPPools.isEmpty {
            // Until svcproxy watches the API server there is no election among nodes.
            let text = "LoadBalancer pools are in use: run pool mode on one node only, or give each node pools of its own; "
                + "nodes sharing a pool would all add and announce the same addresses"
            logger.warning("\(text)", metadata: ["event": "load-balancer-pool-single-node"])
        }
    }

    /// Serves until SIGTERM or SIGINT; `signals` were blocked before any thread started.
    func run(signals: borrowing SignalDescriptor) throws {
        let watchdog = SystemdNotifier.watchdogInterval()
        // Workers check in at least four times per watchdog interval (and every second
        // without one), so one missed check-in is not yet a missed ping.
        let checkIn = min(watchdog.map { $0 / 4 } ?? 1_000_000_000, 1_000_000_000)
        var settings = engineSettings
        settings.checkInInterval = checkIn
        let engine = try Engine(settings: settings, logger: logger)
        let started = MonotonicClock.now()
        report(engine.apply(plan), action: "Started", since: started)
        clusterIPs.sync(plan)
        syncLoadBalancers()
        let endpoints = try AdminEndpoints(addresses: admin, version: SvcProxyVersion.current, state: state, engine: engine,
                                           logMessagesDropped: { [logs] in logs.dropped }, logger: logger)
        try endpoints.start()
        defer { endpoints.stop() }
        endpoints.serveHealthChecks(plan.healthChecks)
        if apiSource != nil {
            // NetworkPolicies of the files: their Pods are listed before the first plan.
            followNetworkPolicies()
            // READY=1 once every watched kind has been listed (applyAPIChanges).
            state.update { [apiListsAwaited] in
                $0.sourceProblem = apiListsAwaited
                $0.apiSource = APISourceFigures()
            }
        } else {
            announceReady()
        }

        let events = try Epoll(capacity: 4)
        try events.add(signals.descriptor.rawValue, wanted: .readable, token: 0)
        if let apiSource { try events.add(apiSource.queue.wakeUp.descriptor.rawValue, wanted: .readable, token: 1) }
        var nextPing = MonotonicClock.now()
        var nextAPICheck = MonotonicClock.now()
        var nextSteeringCheck = MonotonicClock.now() + Engine.steeringCheckInterval
        while true {
            let now = MonotonicClock.now()
            if let watchdog, now >= nextPing {
                pingWatchdog(engine: engine, interval: watchdog, now: now)
                nextPing = now + watchdog / 2
            }
            if let due = loadBalancers.nextAnnouncement, due <= now { loadBalancers.announceDue(now: now) }
            if let due = apiSyncDue, due <= now { syncAPI(engine: engine, admin: endpoints) }
            if engine.steersByCPU, now >= nextSteeringCheck {
                engine.balanceSteering()
                nextSteeringCheck = now + Engine.steeringCheckInterval
            }
            if apiSource != nil, now >= nextAPICheck {
                checkAPIHealth(now: now)
                nextAPICheck = now + 1_000_000_000
            }
            let wakeUps = [watchdog.map { _ in nextPing }, loadBalancers.nextAnnouncement, apiSyncDue,
                           apiSource.map { _ in nextAPICheck }, engine.steersByCPU ? nextSteeringCheck : nil].compactMap { $0 }
            let timeout: Int32 = wakeUps.min().map { Int32(($0 - min(now, $0)) / 1_000_000 + 1) } ?? -1
            let count = try events.wait(timeoutMilliseconds: timeout)
            guard count > 0 else { continue }
            if (0..<count).contains(where: { events.event(at: $0).token == 1 }) { apiChangesArrived(engine: engine, admin: endpoints) }
            guard (0..<count).contains(where: { events.event(at: $0).token == 0 }) else { continue }
            switch try signals.next() {
            case SIGHUP:
                reload(engine: engine, admin: endpoints)
            case let signal:
                let name = signal == SIGINT ? "SIGINT" : "SIGTERM"
                let seconds = Double(gracePeriod) / 1e9
                logger.notice("Received \(name): no longer accepting connections; open ones may finish within \(seconds) s",
                              metadata: ["event": "stopping"])
                state.draining.store(true, ordering: .relaxed)
                engine.stopAccepting()
                SystemdNotifier.stopping(status: "Stopping: draining open connections")
                engine.drain(gracePeriod: gracePeriod)
                clusterIPs.removeAll()
                loadBalancers.removeAll()
                logger.notice("Stopped", metadata: ["event": "stopped"])
                return
            }
        }
    }

    /// Loads the configuration again and applies it (the health-check NodePorts too, on
    /// `endpoints`); an invalid one changes nothing.
    private func reload(engine: Engine, admin endpoints: AdminEndpoints) {
        SystemdNotifier.reloading()
        logger.notice("Received SIGHUP: reloading the configuration", metadata: ["event": "reloading"])
        if let awaited = apiListsAwaited, !apiWatches.mayPlan(now: MonotonicClock.now()) {
            // No plan before every watched kind is listed (applyAPIChanges): this one is made then.
            apiChangesWaiting += 1
            logger.notice("The reload is applied once the lists arrive: \(awaited)", metadata: ["event": "reload-deferred"])
        } else {
            replan(engine: engine, admin: endpoints)
            apiChangesWaiting = 0  // the plan took them
            // A file's first NetworkPolicy starts the Pods' watch, its last one stops it.
            followNetworkPolicies()
            applyAPIChanges(engine: engine, admin: endpoints)
        }
        if apiSource == nil || announcedAPIReady { announceReady() }
    }

    /// Plans the store's objects again (the files read again, the API's changes taken) and
    /// applies the plan; an invalid one changes nothing. The API changes it served, whichever
    /// path asked for it (an API sync or a SIGHUP), are measured here.
    func replan(engine: Engine, admin endpoints: AdminEndpoints) {
        let started = MonotonicClock.now()
        let result: Result<LoadedPlan, ConfigErrors>
        do {
            result = try config.plan(nodeAddresses: NodeAddresses.current(), previous: allocations, store: store)
        } catch {
            result = .failure(ConfigErrors([ConfigError(location: nil, object: nil, field: "", reason: .unreadable(detail: "\(error)"))]))
        }
        switch result {
        case .failure(let errors):
            for error in errors.errors {
                logger.error("\(error)", metadata: ["event": "reload-invalid"])
            }
            state.update {
                $0.reloads += 1
                $0.reloadFailures += 1
                $0.lastReloadSucceeded = false
                $0.lastReloadErrors = errors.errors.map(\.description)
            }
            logger.error("Reload failed: \(errors.errors.count) errors in the configuration; still serving the previous one",
                         metadata: ["event": "reload-failed"])
            observeNetworkProgramming(served: false)
        case .success(let loaded):
            let read = loaded.loadStatistics
            let total = read.documentsChecked + read.documentsReused
            logger.info("Read \(read.documentsChecked) new or changed documents of \(total) (\(read.filesChanged) files changed, \(read.filesUnchanged) unchanged)", metadata: [
                            "event": "config-read", "documents_checked": "\(read.documentsChecked)",
                            "documents_reused": "\(read.documentsReused)", "files_changed": "\(read.filesChanged)",
                            "files_unchanged": "\(read.filesUnchanged)",
                        ])
            for note in loaded.notes { logger.info("\(note)", metadata: ["event": "config-note"]) }
            let served = plan
            plan = loaded.plan
            // Health checks that go away free their ports before the engine binds, which
            // may put one of the plan's NodePorts there; new ones open after it.
            endpoints.closeHealthChecks(notIn: plan.healthChecks)
            allocations = loaded.allocations
            state.update {
                $0.reloads += 1
                $0.lastReloadSucceeded = true
                $0.lastReloadErrors = []
            }
            // The same plan, all of it bound: the engine has nothing to do (a failed listener
            // is worth another try, so a plan served in part is applied again).
            // (A plan that rebuilt some Services' parts is taken as changed without comparing
            // the two plans whole.)
            let rebuilt = !(loaded.changedServices?.isEmpty ?? true)
            if !rebuilt, loaded.plan == served, state.read().listenFailures.isEmpty {
                report(ApplyResult(keptListeners: engine.monitor.listeners.load(ordering: .relaxed)), action: "Reloaded", since: started)
            } else {
                report(engine.apply(plan, changedServices: loaded.changedServices), action: "Reloaded", since: started)
            }
            // Every reload, not only when the diff names service addresses: an add that
            // failed before (no interface yet, no capability) is tried again.
            clusterIPs.sync(plan)
            syncLoadBalancers()
            observeNetworkProgramming(served: true)
        }
        // A reload frees as much as it allocated (a large file's text, its documents, a
        // plan), but glibc keeps freed heap pages mapped; give them back so that RSS stays
        // flat over reloads.
        malloc_trim(0)
        endpoints.serveHealthChecks(plan.healthChecks)  // the running plan's, whether the reload took or not
    }

    /// Places and announces the plan's pool addresses and says which Services wait.
    private func syncLoadBalancers() {
        loadBalancers.sync(plan, now: MonotonicClock.now())
        loadBalancerReport.log(state.read().plan.loadBalancers, logger: logger)
    }

    private func report(_ result: ApplyResult, action: String, since started: UInt64) {
        let seconds = Double(MonotonicClock.now() - started) / 1e9
        // Status and metrics show the LoadBalancer Services as served: one whose node
        // addresses failed to bind is pending there (LoadBalancerBindFailures.swift).
        let unbound = result.failures.compactMap { failure -> (service: ObjectKey, address: ListenAddress, error: String)? in
            guard case .servicePort(let name) = failure.target else { return nil }
            return (name.service, failure.address, "\(failure.error)")
        }
        state.update { [plan] in
            $0.plan = plan.withUnboundLoadBalancers(unbound)
            $0.listenFailures = result.failures.map(\.description)
            $0.lastApplied = Date().timeIntervalSince1970
            $0.applyDurations.observe(seconds)
        }
        for address in result.closed {
            logger.info("Stopped listening on \(address)", metadata: ["event": "listener-closed"])
        }
        // A set: at start every address is new, and a list would make this quadratic.
        let opened = Set(result.opened)
        for address in (plan.ingress?.listenAddresses ?? []) + (plan.ingress?.tls?.listenAddresses ?? [])
            where opened.contains(address) {
            logger.info("Listening on \(address) for the Ingress (\(address.kind.label))", metadata: ["event": "listener-opened"])
        }
        reportTLS(result)
        reportDNS(result)
        for servicePort in plan.servicePorts where !opened.isEmpty {
            for address in servicePort.listenAddresses where opened.contains(address) {
                logger.info("Listening on \(address) for \(servicePort.name) (\(servicePort.endpoints.count) endpoints)",
                            metadata: ["service": "\(servicePort.name)", "port": "\(address.port)", "event": "listener-opened"])
            }
        }
        logger.notice("\(action): \(status)", metadata: [
            "event": "\(action.lowercased())", "workers": "\(engineSettings.workers)",
            "listeners_opened": "\(result.opened.count)", "listeners_kept": "\(result.kept)",
            "listeners_closed": "\(result.closed.count)",
        ])
    }

    /// What became of the Ingress's certificates: problems with a Secret's material (its
    /// hosts get the default certificate), HTTPS not set up at all, a self-signed default.
    private func reportTLS(_ result: ApplyResult) {
        for diagnostic in result.tlsDiagnostics {
            logger.warning("\(diagnostic)", metadata: ["event": "tls-certificate", "secret": "\(diagnostic.secret)"])
        }
        if let failure = result.tlsFailure {
            logger.error("HTTPS for the Ingress is not served: \(failure)", metadata: ["event": "tls-failed"])
        }
        if result.madeSelfSignedCertificate {
            logger.notice("No --default-ssl-certificate: made a self-signed certificate (CN svcproxy) for clients without SNI or with unknown names",
                          metadata: ["event": "tls-self-signed"])
        }
    }

    /// Each DNS address newly served, with the transports now answering there.
    private func reportDNS(_ result: ApplyResult) {
        guard let dns = plan.dns else { return }
        let opened = dns.listenAddresses.filter { result.opened.contains($0) }
        var reported: Set<IPPort> = []
        for address in opened where reported.insert(IPPort(ip: address.ip, port: address.port)).inserted {
            let transports = opened.filter { $0.ip == address.ip && $0.port == address.port }.map(\.transport.rawValue)
            let upstreams = dns.upstreams.isEmpty ? "other names refused" : "other names to \(dns.upstreams.map(\.description).joined(separator: ", "))"
            logger.info("Serving DNS for \(dns.clusterDomain) on \(address.ip.withPort(address.port)) (\(transports.joined(separator: " and "))); \(upstreams)",
                        metadata: ["event": "dns-listening"])
        }
    }

    /// READY=1 with the status line, once the log's queue is written out (or its wait has
    /// passed): whoever waits for readiness (systemctl start, a script, a test) then finds
    /// the lines of the start or the reload in the log.
    func announceReady() {
        logs.waitUntilWritten(timeout: LogSetup.readyWaitTimeout)
        SystemdNotifier.ready(status: status)
    }

    /// The one-line summary for STATUS= and the log.
    var status: String {
        var text = "Serving \(plan.summary)"
        let state = self.state.read()
        if !state.listenFailures.isEmpty { text += "; \(state.listenFailures.count) listeners failed to bind" }
        let unserved = state.healthCheckFailures.count
        if unserved > 0 { text += "; \(unserved) health-check NodePort address\(unserved == 1 ? "" : "es") not served" }
        if !state.lastReloadSucceeded { text += "; the last reload failed, serving the previous configuration" }
        return text
    }

    /// Pings only while every worker has gone round its loop within half the interval,
    /// so a wedged event loop stops the pings and systemd restarts the service.
    private var watchdogStallLogged = false
    private func pingWatchdog(engine: Engine, interval: UInt64, now: UInt64) {
        let oldest = engine.monitor.oldestCheckIn
        if now <= oldest || now - oldest < interval / 2 {
            SystemdNotifier.watchdogPing()
            watchdogStallLogged = false
        } else if !watchdogStallLogged {
            watchdogStallLogged = true
            logger.critical("An event loop has not checked in for \((now - oldest) / 1_000_000) ms; withholding the watchdog ping",
                            metadata: ["event": "watchdog-stall"])
        }
    }
}
