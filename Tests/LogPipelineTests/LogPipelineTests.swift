// The pipeline with a sink the test holds shut: records are written in the order they were
// logged, those beyond the capacity are dropped and counted (and the count is itself logged
// once the sink moves again), and waiting for the writer (before READY=1, or to finish) waits for
// the queue, but never past its deadline.
import Logging
import Synchronization
import Testing
@testable import LogPipeline

/// A sink whose writes wait at a gate the test opens, and that records what it wrote.
final class GatedSink: LogSink {
    private let gate = ConditionLock()
    nonisolated(unsafe) private var open = false
    nonisolated(unsafe) private var waiting = 0
    private let lines = Mutex<[String]>([])

    var written: [String] { lines.withLock { $0 } }

    func record(for event: LogEvent, metadata: Logger.Metadata) -> String {
        metadata["dropped"].map { "dropped \($0)" } ?? "\(event.message)"
    }

    func write(_ record: String) {
        gate.withLock {
            waiting += 1
            gate.broadcast()
            while !open { gate.wait() }
            waiting -= 1
        }
        lines.withLock { $0.append(record) }
    }

    func openGate() {
        gate.withLock {
            open = true
            gate.broadcast()
        }
    }

    /// Waits until the logging thread is inside `write`: from then on, nothing it has not
    /// taken yet can leave the queue.
    func waitForWriter() {
        gate.withLock {
            while waiting == 0 { gate.wait() }
        }
    }
}

private func logged(_ text: String) -> LogEvent {
    LogEvent(level: .info, message: "\(text)", metadata: nil, source: nil, file: #fileID, function: #function, line: #line)
}

@Suite struct LogPipelineTests {
    @Test func writesEveryRecordInTheOrderLogged() throws {
        let sink = GatedSink()
        sink.openGate()
        let pipeline = try LogPipeline(sink: sink, capacity: 1000)
        let logger = Logger(label: "test") { _ in QueuedLogHandler(pipeline: pipeline, level: .info) }
        for index in 0..<500 { logger.info("line \(index)") }

        #expect(pipeline.finish(timeout: 5_000_000_000))
        #expect(sink.written == (0..<500).map { "line \($0)" })
        #expect(pipeline.dropped == 0)
    }

    @Test func dropsAndCountsWhatFindsNoRoomAndSaysSoLater() throws {
        let sink = GatedSink()
        let pipeline = try LogPipeline(sink: sink, capacity: 4)
        pipeline.submit("first")
        sink.waitForWriter()  // "first" is being written; the queue is empty again
        for index in 0..<10 { pipeline.submit("queued \(index)") }
        #expect(pipeline.dropped == 6)

        sink.openGate()
        #expect(pipeline.finish(timeout: 5_000_000_000))
        // The count follows the batch during which the records were lost.
        #expect(sink.written == ["first", "dropped 6", "queued 0", "queued 1", "queued 2", "queued 3"])
    }

    @Test func waitingUntilWrittenLeavesThePipelineTakingRecords() throws {
        let sink = GatedSink()
        let pipeline = try LogPipeline(sink: sink, capacity: 4)
        pipeline.submit("held")
        sink.waitForWriter()
        #expect(!pipeline.waitUntilWritten(timeout: 50_000_000), "the sink still holds its record")

        sink.openGate()
        #expect(pipeline.waitUntilWritten(timeout: 5_000_000_000))
        #expect(sink.written == ["held"])
        pipeline.submit("after waiting")
        #expect(pipeline.finish(timeout: 5_000_000_000))
        #expect(sink.written == ["held", "after waiting"])
        #expect(pipeline.dropped == 0)
    }

    @Test func finishingGivesUpOnAStuckSinkAtItsDeadline() throws {
        let sink = GatedSink()
        let pipeline = try LogPipeline(sink: sink, capacity: 4)
        pipeline.submit("stuck")
        sink.waitForWriter()
        pipeline.submit("waiting")

        let clock = ContinuousClock()
        let started = clock.now
        #expect(!pipeline.finish(timeout: 200_000_000))
        let waited = clock.now - started
        #expect(waited >= .milliseconds(190) && waited < .seconds(2))

        pipeline.submit("after finishing")
        #expect(pipeline.dropped == 1, "a finished pipeline takes nothing more")
        sink.openGate()  // let the logging thread end with the test
    }
}
