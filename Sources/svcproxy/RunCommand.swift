// `svcproxy run`: load the configuration, bind every listener, tell the service manager
// that the daemon is ready, and serve until SIGTERM or SIGINT.
import ArgumentParser
import Glibc
import LinuxIO
import Logging
import ProxyEngine
import ServiceConfig
import Systemd

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Serve the configured services until stopped (SIGTERM or SIGINT)."
    )

    @OptionGroup var config: ConfigOptions
    @OptionGroup var logging: LoggingOptions

    @Option(help: ArgumentHelp("Event-loop threads (default: the number of CPUs).", valueName: "n"))
    var workers: Int?

    func validate() throws {
        if let workers, !(1...256).contains(workers) {
            throw ValidationError("--workers must be between 1 and 256")
        }
    }

    func run() throws {
        let level = logging.logLevel
        let toJournal = getenv("JOURNAL_STREAM") != nil
        LoggingSystem.bootstrap { _ in TextLogHandler(level: level, priorityPrefixes: toJournal) }
        let logger = Logger(label: "svcproxy")

        // Before any thread starts, so that every thread inherits the mask and the
        // signals arrive only through the signalfd below.
        let signals = try SignalDescriptor(blocking: [SIGINT, SIGTERM, SIGHUP])
        SignalDescriptor.ignoreBrokenPipe()

        let loaded = try config.loadPlan(nodeAddresses: NodeAddresses.current())
        for note in loaded.notes { logger.info("\(note)") }
        let descriptorLimit = ResourceLimits.raiseOpenFilesToHardLimit()
        let workerCount = workers ?? ResourceLimits.availableProcessors()

        let engine = Engine(workers: workerCount, logger: logger)
        let failures = try engine.start(plan: loaded.plan)
        for servicePort in loaded.plan.servicePorts {
            for address in servicePort.listenAddresses where !failures.contains(where: { $0.address == address }) {
                logger.info("Listening on \(address) for \(servicePort.name) (\(servicePort.endpoints.count) endpoints)")
            }
        }
        let status = "Serving \(loaded.plan.summary)" + (failures.isEmpty ? "" : "; \(failures.count) listeners failed")
        logger.notice("Started svcproxy \(SvcProxyVersion.current): \(status)",
                      metadata: ["workers": "\(workerCount)", "descriptor_limit": "\(descriptorLimit)"])
        SystemdNotifier.ready(status: status)

        while true {
            let signal = try signals.next()
            if signal == SIGHUP {
                logger.notice("Received SIGHUP: reloading is not supported by this version; the configuration is unchanged")
                continue
            }
            logger.notice("Received \(signal == SIGINT ? "SIGINT" : "SIGTERM"): stopping")
            SystemdNotifier.stopping()
            engine.stop()
            logger.notice("Stopped")
            return
        }
    }
}
