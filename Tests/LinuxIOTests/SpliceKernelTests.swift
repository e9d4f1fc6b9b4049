// What the TCP relay's splicing relies on (docs/kernel-notes.md, "Relaying"): bytes move
// from one TCP socket through a pipe to another and arrive whole and in order, an empty
// socket says EAGAIN rather than blocking, a finished one says 0, and a pipe holds what
// F_SETPIPE_SZ asked for.
import Glibc
import Testing
@testable import LinuxIO

@Suite struct SpliceKernelTests {
    /// Splices everything `source` has into `pipe` and on to `destination`; the byte count.
    private func relay(from source: borrowing FileDescriptor, through pipe: borrowing Pipe,
                       to destination: borrowing FileDescriptor) throws -> Int {
        guard case .done(let count) = try source.splice(toPipe: pipe.writeEnd.rawValue, count: 1 << 16) else { return 0 }
        var left = count
        while left > 0 {
            guard case .done(let written) = try destination.splice(fromPipe: pipe.readEnd.rawValue, count: left) else {
                Issue.record("a loopback socket with room would not take the pipe's bytes")
                return count - left
            }
            left -= written
        }
        return count
    }

    @Test func bytesMoveFromOneSocketThroughAPipeToAnotherWholeAndInOrder() throws {
        let inbound = try LoopbackConnection()
        let outbound = try LoopbackConnection()
        let pipe = try Pipe(capacity: 1 << 16)
        let message = (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try send(message, on: inbound.client)
        #expect(try readiness(of: inbound.accepted, for: .readable).contains(.readable))
        var moved = 0
        while moved < message.count {
            let count = try relay(from: inbound.accepted, through: pipe, to: outbound.client)
            if count == 0 { _ = try readiness(of: inbound.accepted, for: .readable) }
            moved += count
        }
        var received: [UInt8] = []
        while received.count < message.count {
            #expect(try readiness(of: outbound.accepted, for: .readable).contains(.readable))
            received += try #require(try receive(on: outbound.accepted))
        }
        #expect(received == message)
    }

    @Test func spliceFromAnEmptySocketWouldBlockAndFromAFinishedOneReturnsZero() throws {
        let connection = try LoopbackConnection()
        let pipe = try Pipe(capacity: 1 << 16)
        #expect(try connection.accepted.splice(toPipe: pipe.writeEnd.rawValue, count: 4096) == .wouldBlock)
        try connection.client.shutdown(.write)
        #expect(try readiness(of: connection.accepted, for: .readable).contains(.readable))
        #expect(try connection.accepted.splice(toPipe: pipe.writeEnd.rawValue, count: 4096) == .done(0))
    }

    @Test func aPipeHoldsTheCapacityAskedFor() throws {
        let pipe = try Pipe(capacity: 1 << 18)
        // F_GETPIPE_SZ (1032): fcntl.h declares it for _GNU_SOURCE only, which Swift's Glibc hides.
        #expect(fcntl(pipe.readEnd.rawValue, 1032) == 1 << 18)
    }
}
