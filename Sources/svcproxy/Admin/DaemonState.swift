// What the daemon knows about itself, shared between the main thread (which changes it
// on start, reload and stop) and the admin thread (which reports it on /metrics,
// /healthz and the status socket).
import Foundation
import ProxyEngine
import ServiceConfig
import Synchronization

final class DaemonState: Sendable {
    struct Snapshot: Sendable {
        var plan = ProxyPlan(servicePorts: [])
        var listenFailures: [String] = []
        /// Wall-clock seconds of the last plan applied (start or successful reload).
        var lastApplied: Double = 0
        var reloads: UInt64 = 0
        var reloadFailures: UInt64 = 0
        var lastReloadSucceeded = true
        var lastReloadErrors: [String] = []
        /// Seconds each apply took (load, validate, plan, bind), for the duration histogram.
        var applyDurations = DurationHistogram()
    }

    /// Set on SIGTERM: /healthz answers 503 from then on.
    let draining = Atomic<Bool>(false)
    let startTime = Date().timeIntervalSince1970
    private let snapshot = Mutex(Snapshot())

    func read() -> Snapshot { snapshot.withLock { $0 } }

    func update(_ change: (inout Snapshot) -> Void) {
        snapshot.withLock { change(&$0) }
    }
}

/// A Prometheus histogram of durations in seconds, with kube-proxy's sync-duration buckets.
struct DurationHistogram: Sendable {
    static let bounds: [Double] = [0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192, 16.384]
    private(set) var counts = Array(repeating: UInt64(0), count: DurationHistogram.bounds.count)
    private(set) var count: UInt64 = 0
    private(set) var sum: Double = 0

    mutating func observe(_ seconds: Double) {
        for (index, bound) in Self.bounds.enumerated() where seconds <= bound { counts[index] += 1 }
        count += 1
        sum += seconds
    }
}
