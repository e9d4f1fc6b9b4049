// Every transition of the TCP relay's state machine, and the flows it settles, driven
// without a socket: scripted reads and writes stand in for the kernel.
import Glibc
import LinuxIO
import Testing
@testable import ProxyEngine

/// A socket that answers reads and writes (and splices, the same) from a script, and
/// records what was written.
final class ScriptedSocket: RelaySource, RelayDestination {
    enum Step {
        /// A read returns these bytes; a write takes at most this many.
        case bytes(Int)
        case endOfStream
        case wouldBlock
        case fail(Errno)
    }

    var reads: [Step]
    var writes: [Step]
    private(set) var written = 0

    init(reads: [Step] = [], writes: [Step] = []) {
        self.reads = reads
        self.writes = writes
    }

    private(set) var splices = 0

    func receive(into buffer: UnsafeMutableRawPointer, count: Int) throws(Errno) -> IOResult<Int> {
        try read(count: count)
    }

    /// What a splice from this socket says without taking a byte, as the kernel's does at
    /// an urgent (MSG_OOB) byte; nil: a splice reads as `read` does.
    var stuckSplice: IOResult<Int>?

    func splice(toPipe writeEnd: Int32, count: Int) throws(Errno) -> IOResult<Int> {
        splices += 1
        if let stuckSplice { return stuckSplice }
        return try read(count: count)
    }

    /// How many sends said the end follows them.
    private(set) var sendsBeforeEnd = 0

    func send(from buffer: UnsafeRawPointer, count: Int, endFollows: Bool) throws(Errno) -> IOResult<Int> {
        if endFollows { sendsBeforeEnd += 1 }
        return try write(count: count)
    }

    func splice(fromPipe readEnd: Int32, count: Int) throws(Errno) -> IOResult<Int> {
        splices += 1
        return try write(count: count)
    }

    private func read(count: Int) throws(Errno) -> IOResult<Int> {
        guard !reads.isEmpty else { return .wouldBlock }
        switch reads.removeFirst() {
        case .bytes(let n): return .done(min(n, count))
        case .endOfStream: return .done(0)
        case .wouldBlock: return .wouldBlock
        case .fail(let error): throw error
        }
    }

    private func write(count: Int) throws(Errno) -> IOResult<Int> {
        guard !writes.isEmpty else { return .wouldBlock }
        switch writes.removeFirst() {
        case .bytes(let n):
            written += min(n, count)
            return .done(min(n, count))
        case .endOfStream, .wouldBlock: return .wouldBlock
        case .fail(let error): throw error
        }
    }
}

@Suite struct RelayMachineTests {
    typealias Event = RelayMachine.Event
    typealias Action = RelayMachine.Action

    /// Runs `events` from a fresh machine and returns the actions.
    private func run(_ events: [Event], attempts: Int = 4) -> (RelayMachine, [Action]) {
        var machine = RelayMachine(attempts: attempts)
        let actions = events.map { machine.handle($0) }
        return (machine, actions)
    }

    @Test func connectingThenConnectedStartsRelaying() {
        let (machine, actions) = run([.connected])
        #expect(actions == [.startRelaying])
        #expect(machine.isEstablished && machine.connected)
        #expect(machine.wantedEvents(.client) == RelayMachine.reading)
        #expect(machine.wantedEvents(.backend) == RelayMachine.reading)
    }

    @Test func whileConnectingOnlyTheEndpointSocketIsWatchedForWritable() {
        let machine = RelayMachine(attempts: 4)
        #expect(machine.wantedEvents(.backend) == .writable)
        #expect(machine.wantedEvents(.client) == [])
    }

    @Test func failedAndTimedOutConnectsMoveToTheNextAttemptUntilTheLadderEnds() {
        let (machine, actions) = run([.connectFailed(.connectionRefused), .connectTimedOut, .connectFailed(.addressNotAvailable),
                                      .connectTimedOut])
        #expect(actions == [.connect(attempt: 1), .connect(attempt: 2), .connect(attempt: 3), .reset(.connectsExhausted)])
        #expect(machine.isClosed && !machine.connected)
    }

    @Test func aRetryThatConnectsRelays() {
        let (_, actions) = run([.connectFailed(.connectionRefused), .connected])
        #expect(actions == [.connect(attempt: 1), .startRelaying])
    }

    @Test func staleEventsForAnotherPhaseDoNothing() {
        let (_, connecting) = run([.relayed, .relayFailed(.connectionReset), .silenceExpired])
        #expect(connecting == [.none, .none, .none])
        let (machine, established) = run([.connected, .connectTimedOut, .connectFailed(.connectionRefused), .connected])
        #expect(established == [.startRelaying, .none, .none, .none])
        #expect(machine.isEstablished)
        let (_, closed) = run([.connected, .relayFailed(.connectionReset), .relayed, .drainExpired, .aborted(.noMemory)])
        #expect(closed == [.startRelaying, .reset(.io(.connectionReset)), .none, .none, .none])
    }

    @Test func eachTimeoutResetsWithItsOwnReason() {
        #expect(run([.connected, .silenceExpired]).1.last == .reset(.idleTimeout))
        #expect(run([.drainExpired]).1 == [.reset(.drainExpired)])
        #expect(run([.connected, .drainExpired]).1.last == .reset(.drainExpired))
        var machine = RelayMachine(attempts: 4)
        _ = machine.handle(.connected)
        machine.upstream.sourceEnded = true
        #expect(machine.handle(.relayed) == .shutDown(client: false, backend: true))
        #expect(machine.handle(.silenceExpired) == .reset(.halfCloseTimeout))
    }

    @Test func anAbortedConnectionResetsFromAnyPhase() {
        #expect(run([.aborted(.tooManyOpenFiles)]).1 == [.reset(.io(.tooManyOpenFiles))])
        #expect(run([.connected, .aborted(.invalidArgument)]).1.last == .reset(.io(.invalidArgument)))
    }

    @Test func endOfStreamInEachOrderRelaysHalfClosesThenCloses() {
        // Client first, then backend.
        var machine = RelayMachine(attempts: 1)
        _ = machine.handle(.connected)
        machine.upstream.sourceEnded = true
        #expect(machine.handle(.relayed) == .shutDown(client: false, backend: true))
        #expect(machine.handle(.relayed) == .watch, "a half-close is relayed once")
        #expect(machine.wantedEvents(.client) == [], "nothing more is read from an ended client")
        #expect(machine.wantedEvents(.backend) == RelayMachine.reading)
        machine.downstream.sourceEnded = true
        #expect(machine.handle(.relayed) == .close)
        #expect(machine.isClosed)

        // Backend first, then client.
        machine = RelayMachine(attempts: 1)
        _ = machine.handle(.connected)
        machine.downstream.sourceEnded = true
        #expect(machine.handle(.relayed) == .shutDown(client: true, backend: false))
        machine.upstream.sourceEnded = true
        #expect(machine.handle(.relayed) == .close)

        // Both in one step: no shutdown is needed, close sends both FINs.
        machine = RelayMachine(attempts: 1)
        _ = machine.handle(.connected)
        machine.upstream.sourceEnded = true
        machine.downstream.sourceEnded = true
        #expect(machine.handle(.relayed) == .close)
    }

    @Test func anEndedSourceWithBytesStillPendingIsNotShutYet() {
        var machine = RelayMachine(attempts: 1)
        _ = machine.handle(.connected)
        machine.upstream.sourceEnded = true
        machine.upstream.end = 10
        #expect(machine.handle(.relayed) == .watch)
        #expect(machine.wantedEvents(.backend) == RelayMachine.reading.union(.writable))
    }
}

@Suite struct FlowTests {
    @Test func aShortWriteKeepsTheRestPendingAndStopsReading() {
        let pool = BufferPool(bufferSize: 100)
        var flow = Flow()
        let source = ScriptedSocket(reads: [.bytes(100), .bytes(100)])
        let destination = ScriptedSocket(writes: [.bytes(30)])
        #expect(flow.pump(from: source, to: destination, pool: pool, pipes: nil) == .idle)
        #expect(flow.pending == 70 && flow.bytesMoved == 30)
        #expect(!flow.wantsRead && flow.wantsWrite, "backpressure: no read while bytes wait")
        #expect(source.reads.count == 1)
        destination.writes = [.bytes(70)]
        #expect(flow.pump(from: source, to: destination, pool: pool, pipes: nil) == .idle)
        #expect(destination.written == 100)
    }

    @Test func wouldBlockOnEitherSideWaitsAndHoldsNoBufferWhenNothingIsPending() {
        let pool = BufferPool(bufferSize: 64)
        var flow = Flow()
        #expect(flow.pump(from: ScriptedSocket(reads: [.wouldBlock]), to: ScriptedSocket(), pool: pool, pipes: nil) == .idle)
        #expect(flow.buffer == nil && flow.pending == 0, "an idle flow owns no buffer")
        #expect(flow.pump(from: ScriptedSocket(reads: [.bytes(10)]), to: ScriptedSocket(writes: [.wouldBlock]), pool: pool, pipes: nil) == .idle)
        #expect(flow.pending == 10 && flow.buffer != nil)
    }

    @Test func aFullReadIsFollowedByAnotherReadAndAShortOneIsNot() {
        let pool = BufferPool(bufferSize: 50)
        var flow = Flow()
        let source = ScriptedSocket(reads: [.bytes(50), .bytes(20), .bytes(50)])
        let destination = ScriptedSocket(writes: [.bytes(50), .bytes(50), .bytes(50)])
        _ = flow.pump(from: source, to: destination, pool: pool, pipes: nil)
        #expect(destination.written == 70, "the short read drained the socket: wait for epoll")
        #expect(source.reads.count == 1)
    }

    @Test func endOfStreamAfterDataIsRecordedOnceTheDataIsWritten() {
        let pool = BufferPool(bufferSize: 50)
        var flow = Flow()
        let source = ScriptedSocket(reads: [.bytes(50), .endOfStream])
        let destination = ScriptedSocket(writes: [.bytes(50)])
        _ = flow.pump(from: source, to: destination, pool: pool, pipes: nil)
        #expect(flow.sourceEnded && flow.isDrained && flow.shouldShutDestination)
        #expect(destination.written == 50)
    }

    @Test func aSourceEpollSaysEndedIsReadToItsEndAndItsLastBytesAreSentAheadOfTheFIN() {
        let pool = BufferPool(bufferSize: 50)
        var flow = Flow()
        let source = ScriptedSocket(reads: [.bytes(20), .endOfStream])
        let destination = ScriptedSocket(writes: [.bytes(50)])
        _ = flow.pump(from: source, to: destination, pool: pool, pipes: nil, sourceHungUp: true)
        #expect(flow.sourceEnded && flow.shouldShutDestination && destination.written == 20)
        #expect(destination.sendsBeforeEnd == 1, "the last bytes were not held for the FIN")

        // Without the hang-up, a short read is the last read of the step, as before.
        var unaware = Flow()
        let later = ScriptedSocket(reads: [.bytes(20), .endOfStream])
        let other = ScriptedSocket(writes: [.bytes(50)])
        _ = unaware.pump(from: later, to: other, pool: pool, pipes: nil)
        #expect(!unaware.sourceEnded && later.reads.count == 1 && other.sendsBeforeEnd == 0)
    }

    @Test func aResetFoundReadingToTheEndFailsTheFlowOnlyOnceTheBytesBeforeItAreWritten() {
        let pool = BufferPool(bufferSize: 50)
        var flow = Flow()
        let source = ScriptedSocket(reads: [.bytes(20), .fail(.connectionReset)])
        let destination = ScriptedSocket(writes: [.bytes(5), .wouldBlock, .bytes(50)])
        #expect(flow.pump(from: source, to: destination, pool: pool, pipes: nil, sourceHungUp: true) == .idle)
        #expect(flow.sourceReset && flow.pending == 15 && !flow.shouldShutDestination && !flow.wantsRead)
        #expect(flow.pump(from: source, to: destination, pool: pool, pipes: nil) == .idle, "the destination is full")
        #expect(flow.pump(from: source, to: destination, pool: pool, pipes: nil) == .failed(.connectionReset))
        #expect(destination.written == 20 && flow.pending == 0)
        #expect(destination.sendsBeforeEnd == 0, "bytes held for a FIN would be lost to the reset")
    }

    @Test func aResetBehindBytesLeftInTheRingFailsTheFlowWhenTheirSendCompletes() throws {
        let pool = BufferPool(bufferSize: 1024)
        let pair = try SocketPair()
        let ring = try SendRing(capacity: 2)
        var flow = Flow()
        let source = ScriptedSocket(reads: [.bytes(100), .fail(.connectionReset)])
        _ = flow.pump(from: source, to: ScriptedSocket(), pool: pool, pipes: nil,
                      deferring: DeferredSend(ring: ring, descriptor: pair.sending.rawValue, token: 7), sourceHungUp: true)
        #expect(flow.sendQueued && flow.sourceReset)
        let (_, result) = try completion(of: ring)
        #expect(flow.sendCompleted(result, pool: pool) == .failed(.connectionReset))
        #expect(flow.bytesMoved == 100)
    }

    @Test func bytesFoundBeforeTheEndJoinThePendingOnesAndAreSentTogether() {
        let pool = BufferPool(bufferSize: 50)
        var flow = Flow()
        let source = ScriptedSocket(reads: [.bytes(20), .bytes(10), .endOfStream])
        let destination = ScriptedSocket(writes: [.bytes(50)])
        _ = flow.pump(from: source, to: destination, pool: pool, pipes: nil, sourceHungUp: true)
        #expect(destination.written == 30 && flow.pending == 0 && !flow.sourceEnded)
        #expect(destination.sendsBeforeEnd == 0 && source.reads.count == 1)
    }

    @Test func aResetMidStreamFailsTheFlowFromEitherSide() {
        let pool = BufferPool(bufferSize: 50)
        var flow = Flow()
        #expect(flow.pump(from: ScriptedSocket(reads: [.bytes(50), .fail(.connectionReset)]),
                          to: ScriptedSocket(writes: [.bytes(50)]), pool: pool, pipes: nil) == .failed(.connectionReset))
        flow = Flow()
        #expect(flow.pump(from: ScriptedSocket(reads: [.bytes(10)]), to: ScriptedSocket(writes: [.fail(.brokenPipe)]),
                          pool: pool, pipes: nil) == .failed(.brokenPipe))
    }

    @Test func oneStepReadsAtMostItsByteBudget() {
        let pool = BufferPool(bufferSize: 1 << 16)
        var flow = Flow()
        let rounds = Flow.bytesPerStep / pool.bufferSize
        let source = ScriptedSocket(reads: Array(repeating: .bytes(1 << 16), count: rounds + 4))
        let destination = ScriptedSocket(writes: Array(repeating: .bytes(1 << 16), count: rounds + 4))
        _ = flow.pump(from: source, to: destination, pool: pool, pipes: nil)
        #expect(destination.written + flow.pending == Flow.bytesPerStep, "one busy connection cannot starve the others")
        #expect(source.reads.count == 4)
        flow.release(to: pool, pipes: nil)
    }

    @Test func aFlowStaysWithinThirtyTwoBytes() {
        // Every open connection holds two for its whole life, idle or not (`make bench`, memory per idle connection).
        #expect(MemoryLayout<Flow>.stride <= 32)
    }

    @Test func aStreamingSourceIsSplicedThroughAPipeThatGoesBackOnceItsBytesAreWritten() {
        let pool = BufferPool(bufferSize: 100)
        let pipes = PipePool(capacity: 4096, limit: 1)
        var flow = Flow()
        let source = ScriptedSocket(reads: [.bytes(100), .bytes(4096), .bytes(10)])
        let destination = ScriptedSocket(writes: [.bytes(100), .bytes(4096), .bytes(10)])
        #expect(flow.pump(from: source, to: destination, pool: pool, pipes: pipes) == .idle)
        #expect(destination.written == 4206)
        #expect(source.splices == 2 && destination.splices == 2,
                "the first read filled a buffer: the source streams, so the next reads splice")
        #expect(flow.pipe == 0 && flow.buffer == nil, "an idle flow holds no pipe")
        #expect(pipes.openCount == 1 && pipes.take() != 0, "the pipe went back to the pool")
    }

    @Test func aSpliceStuckAtAnUrgentByteIsConfirmedByAReadThatStepsPastIt() {
        for stuck in [IOResult<Int>.wouldBlock, .done(0)] {
            let pool = BufferPool(bufferSize: 100)
            let pipes = PipePool(capacity: 4096, limit: 1)
            var flow = Flow()
            flow.streaming = true
            let source = ScriptedSocket(reads: [.bytes(60)])
            source.stuckSplice = stuck
            let destination = ScriptedSocket(writes: [.bytes(60)])
            #expect(flow.pump(from: source, to: destination, pool: pool, pipes: pipes) == .idle)
            #expect(destination.written == 60, "the bytes behind the urgent byte are relayed (\(stuck))")
            #expect(!flow.sourceEnded, "an empty splice is not the end of the stream")
            #expect(!flow.streaming && flow.pipe == 0 && pipes.openCount == 1, "the empty pipe went back")
        }
    }

    @Test func smallMessagesAreCopiedNotSpliced() {
        let pool = BufferPool(bufferSize: 100)
        let pipes = PipePool(capacity: 4096, limit: 1)
        var flow = Flow()
        let source = ScriptedSocket(reads: [.bytes(40)])
        let destination = ScriptedSocket(writes: [.bytes(40)])
        _ = flow.pump(from: source, to: destination, pool: pool, pipes: pipes)
        source.reads = [.bytes(60)]
        destination.writes = [.bytes(60)]
        _ = flow.pump(from: source, to: destination, pool: pool, pipes: pipes)
        #expect(destination.written == 100 && source.splices == 0 && destination.splices == 0)
        #expect(pipes.openCount == 0, "no pipe was opened")
    }

    /// A streaming flow whose 50 bytes wait in a pipe: its destination is full.
    private func stalledFlow(pool: BufferPool, pipes: PipePool) -> Flow {
        var flow = Flow()
        flow.streaming = true
        _ = flow.pump(from: ScriptedSocket(reads: [.bytes(50)]), to: ScriptedSocket(writes: [.wouldBlock]),
                      pool: pool, pipes: pipes)
        return flow
    }

    @Test func aStreamingFlowCopiesThroughABufferWhenEveryPipeIsTaken() {
        let pool = BufferPool(bufferSize: 100)
        let pipes = PipePool(capacity: 4096, limit: 1)
        var stalled = stalledFlow(pool: pool, pipes: pipes)
        #expect(stalled.pipe != 0 && stalled.pending == 50, "bytes wait in the pipe while the destination is full")
        var flow = Flow()
        flow.streaming = true
        let source = ScriptedSocket(reads: [.bytes(30)])
        let destination = ScriptedSocket(writes: [.wouldBlock])
        #expect(flow.pump(from: source, to: destination, pool: pool, pipes: pipes) == .idle)
        #expect(flow.pipe == 0 && flow.buffer != nil && flow.pending == 30 && source.splices == 0)
        destination.writes = [.bytes(30)]
        _ = flow.pump(from: source, to: destination, pool: pool, pipes: pipes)
        #expect(destination.written == 30 && destination.splices == 0 && flow.buffer == nil)
        stalled.release(to: pool, pipes: pipes)
    }

    @Test func aPipeThatStillHoldsBytesWhenItsConnectionClosesIsClosedNotReused() {
        let pool = BufferPool(bufferSize: 100)
        let pipes = PipePool(capacity: 4096, limit: 2)
        var flow = stalledFlow(pool: pool, pipes: pipes)
        #expect(pipes.openCount == 1)
        flow.release(to: pool, pipes: pipes)
        #expect(pipes.openCount == 0, "its bytes must not reach another connection")
        #expect(pipes.take() != 0 && pipes.openCount == 1, "a new pipe opens in its place")
    }

    @Test func aFailedSpliceFailsTheFlowAndItsEmptyPipeIsKept() {
        let pool = BufferPool(bufferSize: 100)
        let pipes = PipePool(capacity: 4096, limit: 1)
        var flow = Flow()
        flow.streaming = true
        #expect(flow.pump(from: ScriptedSocket(reads: [.fail(.connectionReset)]), to: ScriptedSocket(), pool: pool,
                          pipes: pipes) == .failed(.connectionReset))
        flow.release(to: pool, pipes: pipes)
        #expect(pipes.openCount == 1 && pipes.take() != 0, "nothing was in it: it is kept for the next connection")
    }

    @Test func aPipeTheKernelRefusesLeavesTheFlowCopyingAndIsNotAskedForAgainAtOnce() {
        let pool = BufferPool(bufferSize: 100)
        var asked = 0
        let pipes = PipePool(capacity: 4096, limit: 4, open: { _ throws(Errno) in
            asked += 1
            throw Errno.tooManyOpenFiles
        })
        var flow = Flow()
        flow.streaming = true
        let source = ScriptedSocket(reads: [.bytes(100), .bytes(100)])
        let destination = ScriptedSocket(writes: [.bytes(100), .bytes(100)])
        _ = flow.pump(from: source, to: destination, pool: pool, pipes: pipes)
        #expect(destination.written == 200 && source.splices == 0, "the bytes were copied")
        #expect(pipes.refusal == .tooManyOpenFiles, "the worker logs why")
        #expect(asked == 1, "no pipe is asked for again within the retry interval")
    }

    @Test func bytesReadAheadWaitForAConnectingSocketAndGoOutOnceItTakesThem() {
        let pool = BufferPool(bufferSize: 100)
        var flow = Flow()
        let client = ScriptedSocket(reads: [.bytes(60), .bytes(100)])
        #expect(throws: Never.self) { try flow.readAhead(from: client, pool: pool) }
        #expect(flow.pending == 60 && !flow.readFilledBuffer)
        #expect(throws: Never.self) { try flow.readAhead(from: client, pool: pool) }
        #expect(flow.pending == 60, "nothing more is read while bytes are pending")
        let connecting = ScriptedSocket(writes: [.wouldBlock, .bytes(60)])
        #expect((try? flow.writeAhead(to: connecting, pool: pool, pipes: nil)) == false, "still connecting: nothing taken")
        #expect(flow.pending == 60 && flow.bytesMoved == 0)
        #expect((try? flow.writeAhead(to: connecting, pool: pool, pipes: nil)) == true, "connected: every byte taken")
        #expect(flow.pending == 0 && flow.bytesMoved == 60 && flow.buffer == nil)
    }

    @Test func aConnectThatFailsKeepsTheBytesReadAheadForTheNextAttempt() {
        let pool = BufferPool(bufferSize: 100)
        var flow = Flow()
        #expect(throws: Never.self) { try flow.readAhead(from: ScriptedSocket(reads: [.bytes(40)]), pool: pool) }
        #expect(throws: Errno.connectionRefused) {
            try flow.writeAhead(to: ScriptedSocket(writes: [.fail(.connectionRefused)]), pool: pool, pipes: nil)
        }
        #expect(flow.pending == 40 && flow.bytesMoved == 0)
        let next = ScriptedSocket(writes: [.bytes(40)])
        #expect((try? flow.writeAhead(to: next, pool: pool, pipes: nil)) == true)
        #expect(next.written == 40)
    }

    @Test func aClientThatSentNothingYetOrEndedIsReadAheadWithoutHoldingABuffer() {
        let pool = BufferPool(bufferSize: 100)
        var silent = Flow()
        #expect(throws: Never.self) { try silent.readAhead(from: ScriptedSocket(reads: [.wouldBlock]), pool: pool) }
        #expect(silent.pending == 0 && !silent.sourceEnded && silent.buffer == nil)
        var ended = Flow()
        #expect(throws: Never.self) { try ended.readAhead(from: ScriptedSocket(reads: [.endOfStream]), pool: pool) }
        #expect(ended.sourceEnded && ended.shouldShutDestination && ended.buffer == nil)
    }

    /// A connected socket pair: one end for a ring to send on, the other to read from.
    private struct SocketPair: ~Copyable {
        let sending: FileDescriptor
        let receiving: FileDescriptor

        init() throws {
            var ends: [Int32] = [-1, -1]
            try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &ends) == 0)
            sending = FileDescriptor(owning: ends[0])
            receiving = FileDescriptor(owning: ends[1])
        }
    }

    /// The one completion a submit of `ring` reports.
    private func completion(of ring: SendRing) throws -> (UInt64, Result<Int, Errno>) {
        var completions: [(UInt64, Result<Int, Errno>)] = []
        ring.submit { token, result in completions.append((token, result)) }
        try #require(completions.count == 1)
        return completions[0]
    }

    @Test func aMessageWaitsInTheRingUntilTheSubmitAndItsCompletionSettlesTheFlow() throws {
        let pool = BufferPool(bufferSize: 1024)
        let pair = try SocketPair()
        let ring = try SendRing(capacity: 2)
        let deferring = DeferredSend(ring: ring, descriptor: pair.sending.rawValue, token: 42)
        var flow = Flow()
        let source = ScriptedSocket(reads: [.bytes(100), .bytes(50)])
        let destination = ScriptedSocket()
        #expect(flow.pump(from: source, to: destination, pool: pool, pipes: nil, deferring: deferring) == .idle)
        #expect(flow.sendQueued && flow.pending == 100 && ring.queued == 1 && destination.written == 0)
        // Nothing moves, and nothing more is read, while the send waits.
        #expect(flow.pump(from: source, to: destination, pool: pool, pipes: nil, deferring: deferring) == .idle)
        #expect(source.reads.count == 1 && ring.queued == 1)
        let (token, result) = try completion(of: ring)
        #expect(token == 42)
        #expect(flow.sendCompleted(result, pool: pool) == .idle)
        #expect(!flow.sendQueued && flow.pending == 0 && flow.buffer == nil && flow.bytesMoved == 100)
        var received = [UInt8](repeating: 0, count: 200)
        #expect(try received.withUnsafeMutableBytes { try pair.receiving.receive(into: $0.baseAddress!, count: $0.count) } == .done(100))
    }

    @Test func onlyAnEndpointsAnswersWaitForTheEndOfTheTurnAndAClientsRequestsGoAtOnce() {
        // Requests held for the turn's end too cost keep-alive requests per second and
        // multiplied the worker's sleeps (docs/performance.md, "Requests at once, answers together").
        #expect(TCPRelayHandler.defersSends(from: .backend))
        #expect(!TCPRelayHandler.defersSends(from: .client))
    }

    @Test func aFullBufferIsSentAtOnceSoTheStepReadsOnAndOnlyTheShortReadWaits() throws {
        let pool = BufferPool(bufferSize: 1024)
        let pair = try SocketPair()
        let ring = try SendRing(capacity: 2)
        var flow = Flow()
        let source = ScriptedSocket(reads: [.bytes(1024), .bytes(10)])
        let destination = ScriptedSocket(writes: [.bytes(1024)])
        _ = flow.pump(from: source, to: destination, pool: pool, pipes: nil,
                      deferring: DeferredSend(ring: ring, descriptor: pair.sending.rawValue, token: 1))
        #expect(destination.written == 1024 && flow.sendQueued && flow.pending == 10 && ring.queued == 1)
        _ = try completion(of: ring)
    }

    @Test func aCompletionThatSaysWouldBlockKeepsTheBytesAndAnErrorFailsTheFlow() {
        let pool = BufferPool(bufferSize: 100)
        var flow = Flow()
        #expect(throws: Never.self) { try flow.readAhead(from: ScriptedSocket(reads: [.bytes(40)]), pool: pool) }
        flow.sendQueued = true
        #expect(flow.sendCompleted(.success(15), pool: pool) == .idle)
        #expect(flow.pending == 25 && flow.bytesMoved == 15 && flow.wantsWrite && !flow.sendQueued)
        flow.sendQueued = true
        #expect(flow.sendCompleted(.failure(.wouldBlock), pool: pool) == .idle)
        #expect(flow.pending == 25 && flow.wantsWrite)
        flow.sendQueued = true
        #expect(flow.sendCompleted(.failure(.connectionReset), pool: pool) == .failed(.connectionReset))
    }
}
