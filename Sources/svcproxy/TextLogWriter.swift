// Readable log lines on stderr, written whole by the log pipeline's one thread, so lines
// never interleave and a slow reader holds up only that thread. When stderr is the journal
// (systemd sets JOURNAL_STREAM), each line starts with a `<N>` syslog priority prefix, which
// journald turns into the entry's priority; on a terminal, warnings and errors are marked
// in words instead.
import LogPipeline
import Logging
import Systemd

struct TextLogWriter: LogSink {
    /// Write `<N>` priority prefixes (stderr is the journal) rather than level words.
    let priorityPrefixes: Bool

    func record(for event: LogEvent, metadata: Logger.Metadata) -> [UInt8] {
        var line = priorityPrefixes ? "<\(SyslogPriority.of(event.level))>" : Self.levelWord(event.level)
        line += "\(event.message)"
        if !metadata.isEmpty {
            line += " " + metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        line += "\n"
        return Array(line.utf8)
    }

    func write(_ line: [UInt8]) {
        StandardError.write(bytes: line)
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
