// How long applying a configuration took, kept as the buckets of a Prometheus histogram so
// that /metrics can show the distribution without keeping every sample.

/// A Prometheus histogram of durations in seconds, with kube-proxy's sync-duration buckets.
public struct DurationHistogram: Sendable {
    static let bounds: [Double] = [0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192, 16.384]
    private(set) var counts = Array(repeating: UInt64(0), count: DurationHistogram.bounds.count)
    private(set) var count: UInt64 = 0
    private(set) var sum: Double = 0

    public init() {}

    public mutating func observe(_ seconds: Double) {
        for (index, bound) in Self.bounds.enumerated() where seconds <= bound { counts[index] += 1 }
        count += 1
        sum += seconds
    }
}
