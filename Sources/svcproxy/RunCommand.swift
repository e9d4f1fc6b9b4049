// `svcproxy run`: load the configuration, bind every listener, tell the service manager
// that the daemon is ready, and serve until SIGTERM or SIGINT (see Daemon).
import ArgumentParser
import Glibc
import LinuxIO
import Logging
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

    func validate() throws {
        if let workers, !(1...256).contains(workers) {
            throw ValidationError("--workers must be between 1 and 256")
        }
        _ = try gracePeriodNanoseconds()
    }

    /// --shutdown-grace-period in the one duration grammar (SettingsSyntax.duration).
    private func gracePeriodNanoseconds() throws -> UInt64 {
        switch SettingsSyntax.duration(shutdownGracePeriod) {
        case .success(let duration):
            let (seconds, attoseconds) = duration.components  // never negative: the grammar rejects it
            return UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
        case .failure(let error):
            throw ValidationError("--shutdown-grace-period: \(error)")
        }
    }

    func run() throws {
        let level = logging.logLevel
        switch logFormat ?? (JournalStream.isStandardErrorJournal() ? .journal : .text) {
        case .journal:
            LoggingSystem.bootstrap { _ in JournalLogHandler(identifier: "svcproxy", level: level) }
        case .text:
            let toJournal = getenv("JOURNAL_STREAM") != nil
            LoggingSystem.bootstrap { _ in TextLogHandler(level: level, priorityPrefixes: toJournal) }
        }
        let logger = Logger(label: "svcproxy")

        // Before any thread starts, so that every thread inherits the mask and the
        // signals arrive only through the signalfd.
        let signals = try SignalDescriptor(blocking: [SIGINT, SIGTERM, SIGHUP])
        SignalDescriptor.ignoreBrokenPipe()

        let loaded = try config.loadPlan(nodeAddresses: NodeAddresses.current())
        let descriptorLimit = ResourceLimits.raiseOpenFilesToHardLimit()
        let workerCount = workers ?? loaded.settings.workers ?? ResourceLimits.availableProcessors()
        logger.info("svcproxy \(SvcProxyVersion.current) starting", metadata: [
            "workers": "\(workerCount)", "descriptor_limit": "\(descriptorLimit)", "event": "starting",
        ])
        var admin = AdminAddresses()
        admin.statusSocket = statusSocket
        if let metrics = loaded.settings.metricsBindAddress { admin.metrics = metrics.description }
        if let healthz = loaded.settings.healthzBindAddress { admin.healthz = healthz.description }
        let daemon = Daemon(config: config, workers: workerCount,
                            gracePeriod: try gracePeriodNanoseconds(),
                            admin: admin, accessLog: accessLog, logger: logger, plan: loaded,
                            clusterIPInterface: clusterIPInterface)
        try daemon.run(signals: signals)
    }
}
