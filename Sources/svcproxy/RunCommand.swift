// `svcproxy run`: load the configuration, bind every listener, tell the service manager
// that the daemon is ready, and serve until SIGTERM or SIGINT (see Daemon).
import Admin
import CLinux
import ArgumentParser
import Glibc
import KubeAPI
import LogPipeline
import LinuxIO
import Logging
import ProxyEngine
import ServiceConfig
import Systemd

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Serve the configured services: SIGHUP reloads, SIGTERM or SIGINT stops gracefully."
    )

    enum LogFormat: String, ExpressibleByArgument, CaseIterable {
        case text
        case journal
    }

    @OptionGroup var config: ConfigOptions
    @OptionGroup var api: APISourceOptions
    @OptionGroup var logging: LoggingOptions

    @Option(help: ArgumentHelp("Event-loop threads (default: the number of CPUs).", valueName: "n"))
    var workers: Int?

    @Option(help: ArgumentHelp(
        "text (lines on stderr) or journal (native journal entries with structured fields). "
            + "Default: journal when stderr is the journal, text otherwise.", valueName: "format"))
    var logFormat: LogFormat?

    @Option(help: ArgumentHelp(
        "How long open connections may take to finish after SIGTERM, e.g. 30s, 500ms, 2m.", valueName: "duration"))
    var shutdownGracePeriod: String = "30s"

    @Option(help: ArgumentHelp("Where `svcproxy status` asks the daemon (a unix socket, mode 0600).", valueName: "path"))
    var statusSocket: String = "/run/svcproxy/status.sock"

    @Flag(help: "Log one entry per finished connection: client, service port, endpoint, bytes, duration, ending.")
    var accessLog = false

    @Option(name: .customLong("cluster-ip-interface"), help: ArgumentHelp(
        "Add each ClusterIP and external IP that is not yet local to this interface (as /32 or /128, "
            + "needs CAP_NET_ADMIN), and remove them when their service goes and on exit.", valueName: "name"))
    var clusterIPInterface: String?

    @Option(name: .customLong("load-balancer-interface"), help: ArgumentHelp(
        "Add each LoadBalancer address given from a pool to this interface (as /32 or /128, needs CAP_NET_ADMIN) and "
            + "announce it there (gratuitous ARP, unsolicited Neighbor Advertisement: CAP_NET_RAW); removed when released and on exit.",
        valueName: "name"))
    var loadBalancerInterface: String?

    @Option(name: .customLong("tcp-keepalive"), help: ArgumentHelp(
        "Silence after which TCP keepalive probes go to clients and endpoints, and their interval; "
            + "as many unanswered probes as net.ipv4.tcp_keepalive_probes says (9 by default) close the connection. "
            + "0s turns keepalive off.", valueName: "duration"))
    var tcpKeepAlive: String = "15s"

    @Option(name: .customLong("affinity-table-size"), help: ArgumentHelp(
        "Most ClientIP session-affinity pins kept per service port; when full, the least recently used pin goes.",
        valueName: "n"))
    var affinityTableSize: Int = EngineSettings.defaultAffinityTableSize

    @Option(name: .customLong("relay-buffer-size"), help: ArgumentHelp(
        "Bytes each relay read and write moves, chosen by make bench: a power of two from 4096 to 1048576.",
        valueName: "bytes"))
    var relayBufferSize: Int = EngineSettings.defaultBufferSize

    @Option(name: .customLong("relay-pipe-size"), help: ArgumentHelp(
        "Bytes a relay pipe holds, the most one splice moves, chosen by make bench: a power of two from 4096 to 1048576; "
            + "0 turns splicing off and every relay copies through buffers.",
        valueName: "bytes"))
    var relayPipeSize: Int = EngineSettings.defaultPipeSize

    @Option(name: .customLong("batch-sends"), help: ArgumentHelp(
        "Make the sends of relayed messages and of the Ingress's plain HTTP together, once per turn of a worker's loop, through io_uring "
            + "(Linux 6.1 or later; where it is not available each is sent at once, with a notice); false sends each at once.",
        valueName: "true|false"))
    var batchSends = true

    @Option(name: .customLong("yield-before-sleep"), help: ArgumentHelp(
        "Most times a worker that has just had events, and finds none waiting, gives its CPU to whatever else waits for it "
            + "(sched_yield) and looks again before it sleeps in epoll_wait: where the proxy shares few CPUs with its own clients "
            + "and endpoints it saves their wakeups of it, beside CPU-bound jobs it can add their time slice to a request's latency. "
            + "0 to \(EngineSettings.yieldRoundsBound); 0, the default, never yields.",
        valueName: "n"))
    var yieldBeforeSleep: Int = EngineSettings.defaultYieldRounds

    @Option(name: .customLong("connection-steering"), help: ArgumentHelp(
        "Which worker takes a new TCP connection: hash, the default, leaves the choice to the kernel's hash of addresses and "
            + "ports; cpu gives it to the worker numbered after the CPU that received its handshake (a NIC queue's or a client "
            + "thread's connections wake one worker, not all), and goes back to hash by itself when connections keep arriving "
            + "on too few CPUs to keep every worker busy.",
        valueName: "hash|cpu"))
    var connectionSteering: ConnectionSteering = .hash

    func validate() throws {
        if config.paths.isEmpty, try apiConnection() == nil {
            throw ValidationError("Missing expected argument '--config <path>' (or --kubeconfig, or --master, to read the API server)")
        }
        if let workers, !(1...256).contains(workers) {
            throw ValidationError("--workers must be between 1 and 256")
        }
        if !(1...(1 << 24)).contains(affinityTableSize) {
            throw ValidationError("--affinity-table-size must be between 1 and \(1 << 24)")
        }
        _ = try keepAlive()
        if !(4096...(1 << 20)).contains(relayBufferSize) || relayBufferSize & (relayBufferSize - 1) != 0 {
            throw ValidationError("--relay-buffer-size must be a power of two from 4096 to 1048576")
        }
        if relayPipeSize != 0 && (!(4096...(1 << 20)).contains(relayPipeSize) || relayPipeSize & (relayPipeSize - 1) != 0) {
            throw ValidationError("--relay-pipe-size must be 0 or a power of two from 4096 to 1048576")
        }
        if !(0...EngineSettings.yieldRoundsBound).contains(yieldBeforeSleep) {
            throw ValidationError("--yield-before-sleep must be between 0 and \(EngineSettings.yieldRoundsBound)")
        }
        _ = try gracePeriodNanoseconds()
    }

    /// --shutdown-grace-period in the one duration grammar (SettingsSyntax.duration).
    private func gracePeriodNanoseconds() throws -> UInt64 {
        switch SettingsSyntax.duration(shutdownGracePeriod) {
        case .success(let duration): return duration.nanoseconds
        case .failure(let error): throw ValidationError("--shutdown-grace-period: \(error)")
        }
    }

    func run() throws {
        // Before any thread starts (the logging thread too), so that every thread inherits
        // the mask and the signals arrive only through the signalfd.
        let signals = try SignalDescriptor(blocking: [SIGINT, SIGTERM, SIGHUP])
        SignalDescriptor.ignoreBrokenPipe()
        let logs = try LogSetup.start(logFormat ?? (JournalStream.isStandardErrorJournal() ? .journal : .text),
                                      level: logging.logLevel)
        defer { logs.finish(timeout: LogSetup.flushTimeout) }
        let logger = Logger(label: "svcproxy")

        // A file's text is one allocation of its size, made and freed at every reload: served
        // by mmap at any size (glibc would otherwise raise its threshold after the first free
        // and carve the next one from the heap, which then only grows).
        mallopt(M_MMAP_THRESHOLD, 1 << 20)
        // Fixing that threshold also fixes the one above which free(3) hands the top of a heap
        // back to the kernel at 128 KiB (glibc would have raised both): the Ingress sessions'
        // buffers (48 KiB each with the default 16 KiB buffer size), given back at every
        // request when they came from malloc, had their pages unmapped and faulted in again
        // (and zeroed) over and over: 0.2 to 2.8 page faults per 16 KiB response at two
        // workers (the workers' BufferPools keep them now, up to a bound). Up to 8 MiB free at
        // the top of each arena's heap stay mapped; a reload gives the rest back (malloc_trim
        // in Daemon).
        mallopt(M_TRIM_THRESHOLD, 8 << 20)
        // Kept by the daemon: a reload reads again only the files and documents that changed.
        let store = ObjectStore()
        store.serviceProxyName = api.serviceProxyName
        let loaded = try config.loadPlan(nodeAddresses: NodeAddresses.current(), store: store)
        let apiSource = try apiConnection().map { connection in
            logger.info("Listing and watching Services, EndpointSlices, NetworkPolicies, Namespaces, Ingresses, IngressClasses and TLS Secrets (and Pods while NetworkPolicies exist) at \(connection.server) (\(connection.origin))",
                        metadata: ["event": "api-source"])
            return try APISource(connection: connection, userAgent: "svcproxy/\(SvcProxyVersion.current)", logger: logger)
        }
        let descriptorLimit = ResourceLimits.raiseOpenFilesToHardLimit()
        var engine = EngineSettings(workers: workers ?? loaded.settings.workers ?? ResourceLimits.availableProcessors())
        engine.accessLog = accessLog
        engine.keepAlive = try keepAlive()
        engine.affinityTableSize = affinityTableSize
        engine.bufferSize = relayBufferSize
        engine.pipeSize = relayPipeSize
        engine.batchSends = batchSends
        engine.yieldRoundsLimit = yieldBeforeSleep
        engine.connectionSteering = connectionSteering
        engine.maxPipes = EngineSettings.maxPipes(descriptorLimit: Int(descriptorLimit))
        engine.maxConnections = EngineSettings.maxConnections(descriptorLimit: Int(descriptorLimit))
        engine.maxUDPFlows = EngineSettings.maxUDPFlows(descriptorLimit: Int(descriptorLimit))
        logger.info("svcproxy \(SvcProxyVersion.current) starting", metadata: [
            "workers": "\(engine.workers)", "descriptor_limit": "\(descriptorLimit)", "event": "starting",
        ])
        logBounds(engine, configured: loaded.plan.connections, logger: logger)
        var admin = AdminAddresses()
        admin.statusSocket = statusSocket
        if let metrics = loaded.settings.metricsBindAddress { admin.metrics = metrics.description }
        if let healthz = loaded.settings.healthzBindAddress { admin.healthz = healthz.description }
        let daemon = Daemon(config: config, engineSettings: engine,
                            gracePeriod: try gracePeriodNanoseconds(),
                            admin: admin, logger: logger, plan: loaded, store: store,
                            logs: logs,
                            clusterIPInterface: clusterIPInterface, loadBalancerInterface: loadBalancerInterface,
                            apiSource: apiSource, minSyncPeriod: try api.minSyncPeriodNanoseconds())
        defer { apiSource?.stop() }
        try daemon.run(signals: signals)
    }
}

extension RunCommand {
    /// The API server's connection, or nil; a kubeconfig's errors are printed as a
    /// configuration's are, and exit with EX_CONFIG.
    func apiConnection() throws -> APIServerConnection? {
        do {
            return try api.connection()
        } catch let errors as ConfigErrors {
            StandardError.write(errors.description + "\n")
            throw exitConfigurationError
        }
    }

    /// `--tcp-keepalive` as the engine takes it: nil when off.
    func keepAlive() throws -> KeepAlive? {
        let duration: Duration
        switch SettingsSyntax.duration(tcpKeepAlive) {
        case .success(let value): duration = value
        case .failure(let error): throw ValidationError("--tcp-keepalive: \(error)")
        }
        // Keepalive counts whole seconds: a fraction rounds up, so 500ms is 1s, not off.
        let seconds = (duration.nanoseconds + 999_999_999) / 1_000_000_000
        guard seconds > 0 else { return nil }
        // Linux refuses TCP_KEEPIDLE and TCP_KEEPINTVL above 32767 s (MAX_TCP_KEEPIDLE).
        guard seconds <= 32_767 else { throw ValidationError("--tcp-keepalive must be at most 32767s (9h6m7s), the kernel's limit") }
        return KeepAlive(idleSeconds: Int32(seconds))
    }

    /// Every bound a peer could otherwise push against, once at start.
    func logBounds(_ engine: EngineSettings, configured: ConnectionSettings, logger: Logger) {
        let maxConnections = configured.maxConnections
        let connections = maxConnections.map { "\($0) connections on the node (configured)" }
            ?? "\(engine.maxConnections ?? 0) connections on the node (from the descriptor limit; --max-connections sets another)"
        let flows = configured.maxUDPFlows.map { "\($0) UDP flows (configured)" }
            ?? "\(engine.maxUDPFlows) UDP flows (from the descriptor limit; --udp-max-flows sets another)"
        let keepAlive = engine.keepAlive.map { keepAlive in
            let probes = keepAlive.probes.map { "\($0) probes" } ?? "the kernel's default of \(KeepAlive.defaultProbes) probes"
            return "after \(keepAlive.idleSeconds) s of silence, dead peers closed within \(keepAlive.boundSeconds) s with \(probes)"
        } ?? "off"
        let pipes = engine.pipeSize == 0 ? "relay pipes off (copying)"
            : "\(engine.pipesOnNode) relay pipes of \(engine.pipeSize / 1024) KiB (at least one per worker)"
        let text = "Bounds: at most \(connections) and \(flows); \(engine.affinityTableSize) affinity pins per service port; "
            + "\(pipes); TCP keepalive \(keepAlive); \(LogPipeline<TextLogWriter>.defaultCapacity) log records queued at most"
        logger.info("\(text)",
                    metadata: ["event": "bounds", "max_connections": "\(maxConnections ?? engine.maxConnections ?? 0)",
                               "affinity_table_size": "\(engine.affinityTableSize)"])
    }

}

extension ConnectionSteering: ExpressibleByArgument {}
