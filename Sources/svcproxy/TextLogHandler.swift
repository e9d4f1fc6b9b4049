// Readable log lines on stderr, one write(2) per line so lines from several workers never
// interleave. When stderr is the journal (systemd sets JOURNAL_STREAM), each line starts
// with a `<N>` syslog priority prefix, which journald turns into the entry's priority; on
// a terminal, warnings and errors are marked in words instead.
import Glibc
import Logging
import Systemd

struct TextLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    /// Write `<N>` priority prefixes (stderr is the journal) rather than level words.
    let priorityPrefixes: Bool

    init(level: Logger.Level, priorityPrefixes: Bool) {
        logLevel = level
        self.priorityPrefixes = priorityPrefixes
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var line = priorityPrefixes ? "<\(SyslogPriority.of(event.level))>" : Self.levelWord(event.level)
        line += "\(event.message)"
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        if !merged.isEmpty {
            line += " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        line += "\n"
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    }

    static func levelWord(_ level: Logger.Level) -> String {
        switch level {
        case .trace, .debug, .info, .notice: ""
        case .warning: "warning: "
        case .error: "error: "
        case .critical: "critical: "
        }
    }
}
