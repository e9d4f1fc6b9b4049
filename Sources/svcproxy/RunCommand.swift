// `svcproxy run`: load the configuration, bind every listener, tell the service manager
// that the daemon is ready, and serve until SIGTERM or SIGINT (see Daemon).
import Admin
import ArgumentParser
import Glibc
import LogPipeline
import LinuxIO
import Logging
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
        if DurationText.nanoseconds(shutdownGracePeriod) == nil {
            throw ValidationError("--shutdown-grace-period: '\(shutdownGracePeriod)' is not a duration (e.g. 30s, 500ms, 2m)")
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

        let loaded = try config.loadPlan(nodeAddresses: NodeAddresses.current())
        let descriptorLimit = ResourceLimits.raiseOpenFilesToHardLimit()
        let workerCount = workers ?? loaded.settings.workers ?? ResourceLimits.availableProcessors()
        logger.info("svcproxy \(SvcProxyVersion.current) starting", metadata: [
            "workers": "\(workerCount)", "descriptor_limit": "\(descriptorLimit)", "event": "starting",
        ])
        var admin = AdminAddresses()
        admin.statusSocket = statusSocket
        if let metrics = loaded.settings.metricsBindAddress { admin.metrics = metrics }
        if let healthz = loaded.settings.healthzBindAddress { admin.healthz = healthz }
        let daemon = Daemon(config: config, workers: workerCount,
                            gracePeriod: DurationText.nanoseconds(shutdownGracePeriod) ?? 30_000_000_000,
                            admin: admin, accessLog: accessLog, logger: logger, plan: loaded,
                            logMessagesDropped: { logs.dropped },
                            clusterIPInterface: clusterIPInterface)
        try daemon.run(signals: signals)
    }
}

/// Durations as kube-proxy's flags write them: "30s", "500ms", "2m", "1h"; a bare number
/// is seconds.
enum DurationText {
    /// A century: longer is a typo, and would overflow deadlines.
    static let longest: Double = 100 * 365 * 24 * 3600e9

    static func nanoseconds(_ text: String) -> UInt64? {
        let units: [(String, Double)] = [("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9)]
        var scale = 1e9
        var number = Substring(text)
        if let unit = units.first(where: { text.hasSuffix($0.0) }) {
            scale = unit.1
            number = number.dropLast(unit.0.count)
        }
        guard let value = Double(number), value.isFinite, value >= 0, value * scale <= longest else { return nil }
        return UInt64(value * scale)
    }
}
