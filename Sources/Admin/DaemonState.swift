// What the daemon knows about itself, shared between the main thread (which changes it
// on start, reload and stop) and the admin thread (which reports it on /metrics,
// /healthz and the status socket).
import Foundation
import ProxyEngine
import ServiceConfig
import Synchronization

public final class DaemonState: Sendable {
    public struct Snapshot: Sendable {
        public var plan = ProxyPlan(servicePorts: [])
        public var listenFailures: [String] = []
        /// The health-check NodePort addresses the last try could not bind.
        public var healthCheckFailures: [HealthCheckFailure] = []
        /// Failed binds of health-check NodePorts since start (each try: start, reloads).
        public var healthCheckBindErrors: UInt64 = 0
        /// Wall-clock seconds of the last plan applied (start or successful reload).
        public var lastApplied: Double = 0
        public var reloads: UInt64 = 0
        public var reloadFailures: UInt64 = 0
        public var lastReloadSucceeded = true
        public var lastReloadErrors: [String] = []
        /// Seconds each apply took (load, validate, plan, bind), for the duration histogram.
        public var applyDurations = DurationHistogram()
        /// Why the configuration's source is not in sync (the API server not yet listed, or
        /// not answering): /healthz answers 503 with it; nil when in sync or files only.
        public var sourceProblem: String?
        /// The API source's counts; nil when it is not a source.
        public var apiSource: APISourceFigures?
    }

    /// Set on SIGTERM: /healthz answers 503 from then on.
    public let draining = Atomic<Bool>(false)
    public let startTime = Date().timeIntervalSince1970
    private let snapshot = Mutex(Snapshot())

    public init() {}

    public func read() -> Snapshot { snapshot.withLock { $0 } }

    public func update(_ change: (inout Snapshot) -> Void) {
        snapshot.withLock { change(&$0) }
    }
}

/// A health-check NodePort address that could not be bound: its load balancer gets no
/// answer there and takes this node as unable to serve the Service.
public struct HealthCheckFailure: Sendable, Equatable, CustomStringConvertible {
    public let service: ObjectKey
    public let address: IPPort
    public let error: String

    /// "health check of default/web on 127.0.0.1:32000: Address already in use".
    public var description: String { "health check of \(service) on \(address): \(error)" }
}
