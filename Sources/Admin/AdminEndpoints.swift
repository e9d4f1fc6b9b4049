// Binds the admin endpoints and runs them on their own thread: metrics and health over
// HTTP (one listener if both have the same address), the status socket, and the plan's
// health-check NodePorts (which follow each reload). An endpoint that cannot be bound is
// reported and left out; forwarding never depends on them.
import Foundation
import Glibc
import LinuxIO
import Logging
import ProxyEngine
import ServiceConfig
import Synchronization

public struct AdminAddresses: Sendable {
    public var metrics = NodeSettings.defaultMetricsBindAddress.description
    public var healthz = NodeSettings.defaultHealthzBindAddress.description
    public var statusSocket = "/run/svcproxy/status.sock"

    public init() {}
}

public final class AdminEndpoints: @unchecked Sendable {
    // @unchecked: `server` is used by the admin thread only, once `start` has handed it
    // over, but for `change`; `healthListeners` by the daemon's main thread only.
    private let server: AdminServer
    private let serviceHealth = ServiceHealthCounts()
    /// The health-check listeners open: their server token and Service, by address.
    private var healthListeners: [IPPort: (token: UInt64, service: ObjectKey)] = [:]
    private let logger: Logger
    /// Where the health-check NodePorts that cannot be bound are recorded, for /metrics,
    /// the status report and STATUS=.
    private let state: DaemonState
    private let stopped = Atomic<Bool>(false)
    private var thread: JoinableThread?
    private let statusSocket: String

    /// Binds every endpoint it can; those that fail are logged and left out.
    ///
    /// - Parameters:
    ///   - version: the daemon's version, for the status report.
    ///   - logMessagesDropped: the log pipeline's drop count, for /metrics.
    public init(addresses: AdminAddresses, version: String, state: DaemonState, engine: Engine,
                logMessagesDropped: @escaping @Sendable () -> UInt64, logger: Logger) throws(Errno) {
        server = try AdminServer(pages: AdminPages(version: version, state: state, statistics: engine.statistics,
                                                   monitor: engine.monitor, logMessagesDropped: logMessagesDropped,
                                                   serviceHealth: serviceHealth))
        self.logger = logger
        self.state = state
        statusSocket = addresses.statusSocket
        let httpAddresses = addresses.metrics == addresses.healthz ? [addresses.metrics] : [addresses.metrics, addresses.healthz]
        for text in httpAddresses {
            guard let address = Self.socketAddress(text) else {
                logger.error("Not serving metrics or health on \(text): not an address and port", metadata: ["event": "admin-failed"])
                continue
            }
            do {
                try server.serve(try FileDescriptor.listener(on: address, backlog: AdminServer.listenBacklog, reusePort: false), as: .http)
                logger.info("Serving metrics and health on http://\(address)", metadata: ["event": "admin-listening"])
            } catch {
                logger.error("Failed to serve metrics and health on \(address): \(error)", metadata: ["event": "admin-failed"])
            }
        }
        do {
            let directory = (statusSocket as NSString).deletingLastPathComponent
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                     attributes: [.posixPermissions: 0o755])
            try server.serve(try FileDescriptor.unixListener(path: statusSocket, mode: 0o600), as: .status)
        } catch {
            logger.error("Failed to open the status socket \(statusSocket): \(error); `svcproxy status` will not answer",
                         metadata: ["event": "admin-failed"])
        }
    }

    public func start() throws(Errno) {
        thread = try JoinableThread(name: "svcproxy-admin") { [self] in
            server.run { self.stopped.load(ordering: .acquiring) }
        }
    }

    /// Serves the health-check NodePorts of `checks` from now on: their counts at once,
    /// new listeners bound, gone ones (or moved to another Service) closed, the others
    /// kept. One that cannot be bound is a warning and a metric, and is tried again on
    /// the next call; the others serve. Call it after `start`, from one thread; it returns
    /// once the admin thread has the change.
    public func serveHealthChecks(_ checks: [HealthCheckPlan]) {
        serviceHealth.update(checks)
        closeHealthChecks(notIn: checks)  // the ports are free before any is bound again
        var change = AdminServer.ListenerChange()
        var failures: [HealthCheckFailure] = []
        for (address, service) in Self.addresses(of: checks).sorted(by: { $0.key < $1.key }) where healthListeners[address] == nil {
            guard let socketAddress = SocketAddress(ip: address.ip.description, port: UInt16(address.port)) else { continue }
            do {
                let listener = try FileDescriptor.listener(on: socketAddress, backlog: AdminServer.listenBacklog, reusePort: false)
                let token = server.reserveListenerToken()
                change.opening.append((token, listener.releaseOwnership(), .serviceHealth(service)))
                healthListeners[address] = (token, service)
                logger.info("Serving the health check of \(service) on http://\(address)",
                            metadata: ["event": "health-check-listening", "service": "\(service)"])
            } catch {
                failures.append(HealthCheckFailure(service: service, address: address, error: "\(error)"))
                // kube-proxy's words for its FailedToStartServiceHealthcheck warning event.
                let text = "Failed to start the health check of \(service) on port \(address.port) (\(address)): \(error); "
                    + "its load balancer gets no answer from this node"
                logger.warning("\(text)", metadata: ["event": "health-check-failed", "service": "\(service)", "port": "\(address.port)"])
            }
        }
        if !change.opening.isEmpty { apply(change) }
        state.update {
            $0.healthCheckFailures = failures
            $0.healthCheckBindErrors += UInt64(failures.count)
        }
    }

    /// Closes the health-check listeners that `checks` does not keep. A reload calls it
    /// before the engine binds the new plan, which may put a NodePort on a freed port;
    /// `serveHealthChecks` opens the new ones after, on ports the engine let go.
    public func closeHealthChecks(notIn checks: [HealthCheckPlan]) {
        let wanted = Self.addresses(of: checks)
        var change = AdminServer.ListenerChange()
        for (address, open) in healthListeners where wanted[address] != open.service {
            change.closing.append(open.token)
            healthListeners[address] = nil
            logger.info("Closed the health check of \(open.service) on \(address)", metadata: ["event": "health-check-closed"])
        }
        if !change.closing.isEmpty { apply(change) }
    }

    private static func addresses(of checks: [HealthCheckPlan]) -> [IPPort: ObjectKey] {
        var wanted: [IPPort: ObjectKey] = [:]
        for check in checks {
            for ip in check.addresses { wanted[IPPort(ip: ip, port: check.port)] = check.service }
        }
        return wanted
    }

    private func apply(_ change: AdminServer.ListenerChange) {
        if !server.change(change) {
            logger.error("The admin thread did not take a change of the health-check listeners within \(AdminServer.changeTimeout); going on without it",
                         metadata: ["event": "health-check-change-timeout"])
        }
    }

    public func stop() {
        stopped.store(true, ordering: .releasing)
        server.wake()
        thread?.join()
        thread = nil
        _ = unlink(statusSocket)
    }

    /// "127.0.0.1:10249" or "[::1]:10256", read as the flags read it.
    static func socketAddress(_ text: String) -> SocketAddress? {
        guard case .success(let address) = SettingsSyntax.bindAddress(text) else { return nil }
        return SocketAddress(ip: address.ip.description, port: address.port)
    }
}
