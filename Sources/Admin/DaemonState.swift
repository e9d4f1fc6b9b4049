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
        /// Wall-clock seconds of the last plan applied (start or successful reload).
        public var lastApplied: Double = 0
        public var reloads: UInt64 = 0
        public var reloadFailures: UInt64 = 0
        public var lastReloadSucceeded = true
        public var lastReloadErrors: [String] = []
        /// Seconds each apply took (load, validate, plan, bind), for the duration histogram.
        public var applyDurations = DurationHistogram()
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
