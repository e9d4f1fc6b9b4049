// Where log records end up (the journal, stderr), split at the thread boundary: the
// record is made on the thread that logs, from values it copies, and written later on the
// pipeline's one logging thread, which alone may block on the destination.
import Logging

/// A log destination driven by a `LogPipeline`.
public protocol LogSink: Sendable {
    /// Everything `write` needs, owned: no reference back into the caller's state.
    associatedtype Record: Sendable

    /// Makes the record for `event`; runs on the thread that logs, so it formats and copies
    /// and never makes a system call. `metadata` is the handler's merged with the event's.
    func record(for event: LogEvent, metadata: Logger.Metadata) -> Record

    /// Writes one record; runs on the logging thread and may block.
    func write(_ record: Record)
}
