// The swift-log handler every Logger of the daemon uses: it keeps swift-log's LogHandler
// API (level, metadata), and hands each record to the pipeline instead of writing it, so a
// log call costs the caller formatting and one short lock, never a write that can block.
import Logging

public struct QueuedLogHandler<Sink: LogSink>: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let pipeline: LogPipeline<Sink>

    public init(pipeline: LogPipeline<Sink>, level: Logger.Level) {
        self.pipeline = pipeline
        logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = event.metadata.map { metadata.merging($0) { _, new in new } } ?? metadata
        pipeline.submit(pipeline.sink.record(for: event, metadata: merged))
    }
}
