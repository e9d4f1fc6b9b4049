// Durations kept as the buckets of a Prometheus histogram, so that /metrics can show the
// distribution without keeping every sample.

/// A Prometheus histogram of durations in seconds.
public struct DurationHistogram: Sendable, Equatable {
    /// kube-proxy's sync_proxy_rules_duration_seconds buckets: 1 ms doubling to 16 s.
    public static let syncBounds: [Double] = [0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048,
                                       4.096, 8.192, 16.384]
    /// kube-proxy's network_programming_duration_seconds buckets (0.25 s, 0.5 s, each second
    /// to 59 s, every 5 s to 115 s, every 30 s to 5 min), below them the tenths of a second
    /// a node that applies within --min-sync-period mostly lands in.
    public static let programmingBounds: [Double] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5] + (1...59).map(Double.init)
        + stride(from: 60.0, through: 115, by: 5) + stride(from: 120.0, through: 300, by: 30)

    let bounds: [Double]
    /// Per bound, the samples at or below it (cumulative, as Prometheus writes them).
    private(set) var counts: [UInt64]
    private(set) var count: UInt64 = 0
    private(set) var sum: Double = 0

    public init(bounds: [Double] = DurationHistogram.syncBounds) {
        self.bounds = bounds
        counts = Array(repeating: 0, count: bounds.count)
    }

    public static func networkProgramming() -> DurationHistogram { DurationHistogram(bounds: programmingBounds) }

    public mutating func observe(_ seconds: Double) {
        for (index, bound) in bounds.enumerated() where seconds <= bound { counts[index] += 1 }
        count += 1
        sum += seconds
    }
}

extension MetricsWriter {
    mutating func histogram(_ name: String, help: String, _ histogram: DurationHistogram) {
        family(name, "histogram", help)
        for (bound, count) in zip(histogram.bounds, histogram.counts) {
            sample("\(name)_bucket", [("le", "\(bound)")], count)
        }
        sample("\(name)_bucket", [("le", "+Inf")], histogram.count)
        sample("\(name)_sum", [], histogram.sum)
        sample("\(name)_count", [], histogram.count)
    }
}
