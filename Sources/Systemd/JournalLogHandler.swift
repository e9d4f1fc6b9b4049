// Native journal entries (sd_journal_sendv(3)): the message, its priority, where in the
// code it was logged, and every metadata key as a field of its own (`service` becomes
// SVCPROXY_SERVICE), so that `journalctl SVCPROXY_SERVICE=default/web` finds a service's
// lines. One entry is one datagram to journald, so lines from several threads never mix.
internal import CSystemd
import Glibc
import Logging

public struct JournalLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let identifier: String

    public init(identifier: String, level: Logger.Level) {
        self.identifier = identifier
        logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = [
            "MESSAGE=\(event.message)",
            "PRIORITY=\(SyslogPriority.of(event.level))",
            "SYSLOG_IDENTIFIER=\(identifier)",
            "CODE_FILE=\(event.file)",
            "CODE_LINE=\(event.line)",
            "CODE_FUNC=\(event.function)",
        ]
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for (key, value) in merged {
            fields.append("\(Self.fieldName(key))=\(value)")
        }
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
