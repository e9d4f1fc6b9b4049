// The Prometheus text format (version 0.0.4), written one family at a time: HELP and TYPE
// lines once, then the samples, with label values escaped as the format says.

/// Builds the text format: HELP and TYPE once per family, then its samples.
struct MetricsWriter {
    private(set) var text = ""

    mutating func family(_ name: String, _ type: String, _ help: String) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }

    mutating func sample(_ name: String, _ labels: [(String, String)], _ value: UInt64) {
        appendSeries(name, labels)
        text += String(value)
        text += "\n"
    }

    mutating func sample(_ name: String, _ labels: [(String, String)], _ value: Double) {
        appendSeries(name, labels)
        text += "\(value)\n"
    }

    /// `name{label="value",...} `, appended in place: a node of 10,000 Services writes
    /// hundreds of thousands of these per scrape, so no intermediate strings are made.
    private mutating func appendSeries(_ name: String, _ labels: [(String, String)]) {
        text += name
        if !labels.isEmpty {
            text += "{"
            for (index, (label, value)) in labels.enumerated() {
                if index > 0 { text += "," }
                text += label
                text += "=\""
                appendEscaped(value)
                text += "\""
            }
            text += "}"
        }
        text += " "
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

    /// Label values escape backslash, double quote and newline (the text format's rules);
    /// most have none of them and are appended as they are.
    private mutating func appendEscaped(_ value: String) {
        guard value.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") }) else {
            text += value
            return
        }
        for character in value.unicodeScalars {
            switch character {
            case "\\": text += "\\\\"
            case "\"": text += "\\\""
            case "\n": text += "\\n"
            default: text.unicodeScalars.append(character)
            }
        }
    }
}
