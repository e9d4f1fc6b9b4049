// Where `svcproxy run` logs: native journal entries or lines on stderr, both written by the
// log pipeline's one thread (see LogPipeline), and every Logger of the process handing its
// records to that pipeline.
import Glibc
import LinuxIO
import LogPipeline
import Logging
import Systemd

enum LogSetup {
    /// How long the last records may take to reach their destination on the way out.
    static let flushTimeout: UInt64 = 2_000_000_000
    /// How long READY=1 may wait for the log's queue: a stuck destination delays it no more.
    static let readyWaitTimeout: UInt64 = 100_000_000

    /// Starts the logging thread and makes it the destination of every Logger. Call after
    /// the daemon's signals are blocked (the thread inherits the mask), and only once.
    static func start(_ format: RunCommand.LogFormat, level: Logger.Level) throws(Errno) -> any LogPipelineControl {
        switch format {
        case .journal:
            try bootstrap(JournalLogWriter(identifier: "svcproxy"), level: level)
        case .text:
            try bootstrap(TextLogWriter(priorityPrefixes: getenv("JOURNAL_STREAM") != nil), level: level)
        }
    }

    private static func bootstrap<Sink: LogSink>(_ sink: Sink, level: Logger.Level) throws(Errno) -> any LogPipelineControl {
        let pipeline = try LogPipeline(sink: sink)
        LoggingSystem.bootstrap { _ in QueuedLogHandler(pipeline: pipeline, level: level) }
        return pipeline
    }
}
