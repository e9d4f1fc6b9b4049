// Native journal entries (sd_journal_sendv(3)): the message, its priority, where in the
// code it was logged, and every metadata key as a field of its own (`service` becomes
// SVCPROXY_SERVICE), so that `journalctl SVCPROXY_SERVICE=default/web` finds a service's
// lines. The entry's fields are made on the thread that logs; the datagram to journald is
// sent from the log pipeline's thread, which alone waits when journald does not keep up.
internal import CSystemd
import Glibc
import LogPipeline
import Logging

public struct JournalLogWriter: LogSink {
    private let identifier: String

    public init(identifier: String) {
        self.identifier = identifier
    }

    public func record(for event: LogEvent, metadata: Logger.Metadata) -> [String] {
        var fields = [
            "MESSAGE=\(event.message)",
            "PRIORITY=\(SyslogPriority.of(event.level))",
            "SYSLOG_IDENTIFIER=\(identifier)",
            "CODE_FILE=\(event.file)",
            "CODE_LINE=\(event.line)",
            "CODE_FUNC=\(event.function)",
        ]
        for (key, value) in metadata {
            fields.append("\(Self.fieldName(key))=\(value)")
        }
        return fields
    }

    public func write(_ fields: [String]) {
        Self.send(fields)
    }

    /// `endpoint` → `SVCPROXY_ENDPOINT`: journal field names are upper-case letters,
    /// digits and underscores.
    static func fieldName(_ key: String) -> String {
        "SVCPROXY_" + String(key.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    private static func send(_ fields: [String]) {
        // Each field is copied into memory of its own for the length of the call, so that
        // no pointer outlives the buffer it points into.
        let copies = fields.map { field in
            let bytes = Array(field.utf8)
            let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
            copy.copyBytes(from: bytes)
            return (copy, bytes.count)
        }
        defer { for (copy, _) in copies { copy.deallocate() } }
        var vectors = copies.map { iovec(iov_base: $0.0.baseAddress, iov_len: $0.1) }
        _ = sd_journal_sendv(&vectors, Int32(vectors.count))
    }
}

/// syslog(3) priorities, as journald and `<N>` prefixes on stderr use them.
public enum SyslogPriority {
    public static func of(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}
