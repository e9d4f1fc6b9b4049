// The Prometheus text format (version 0.0.4), written one family at a time: HELP and TYPE
// lines once, then the samples, with label values escaped as the format says.

/// Builds the text format: HELP and TYPE once per family, then its samples.
struct MetricsWriter {
    private(set) var text = ""

    mutating func family(_ name: String, _ type: String, _ help: String) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }

    mutating func sample(_ name: String, _ labels: [(String, String)], _ value: UInt64) {
        text += "\(name)\(Self.format(labels)) \(value)\n"
    }

    mutating func sample(_ name: String, _ labels: [(String, String)], _ value: Double) {
        text += "\(name)\(Self.format(labels)) \(value)\n"
    }

    /// A histogram's samples from per-bucket (not cumulative) counts: `buckets` has one
    /// count per bound, then one above the last.
    mutating func histogram(_ name: String, _ labels: [(String, String)], bounds: [Double], buckets: [UInt64], sum: Double) {
        var cumulative: UInt64 = 0
        for (bound, count) in zip(bounds, buckets) {
            cumulative += count
            sample("\(name)_bucket", labels + [("le", "\(bound)")], cumulative)
        }
        let total = buckets.reduce(0, +)
        sample("\(name)_bucket", labels + [("le", "+Inf")], total)
        sample("\(name)_sum", labels, sum)
        sample("\(name)_count", labels, total)
    }

    private static func format(_ labels: [(String, String)]) -> String {
        guard !labels.isEmpty else { return "" }
        return "{" + labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "}"
    }

    /// Label values escape backslash, double quote and newline (the text format's rules).
    private static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
