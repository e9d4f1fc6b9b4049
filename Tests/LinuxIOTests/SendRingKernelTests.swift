// What the TCP relay's batched sends rely on (SendRing): a queued send goes out only at the
// submit and is reported there under its token; one the socket cannot take completes inside
// the submit with EAGAIN, as a non-blocking send(2) would, instead of waiting in the
// kernel; a withdrawn one sends nothing; a full ring says so.
import Testing
@testable import LinuxIO

@Suite struct SendRingKernelTests {
    /// The completions of one submit, in order.
    private func submit(_ ring: SendRing) -> [(UInt64, Result<Int, Errno>)] {
        var completions: [(UInt64, Result<Int, Errno>)] = []
        ring.submit { token, result in completions.append((token, result)) }
        return completions
    }

    @Test func queuedSendsGoOutAtTheSubmitAndAreReportedUnderTheirTokens() throws {
        let first = try LoopbackConnection()
        let second = try LoopbackConnection()
        let ring = try SendRing(capacity: 4)
        let hello = Array("hello".utf8), world = Array("world!".utf8)
        let completions = try hello.withUnsafeBytes { h throws in
            try world.withUnsafeBytes { w throws in
                #expect(ring.queue(descriptor: first.client.rawValue, buffer: h.baseAddress!, count: h.count, token: 7))
                #expect(ring.queue(descriptor: second.client.rawValue, buffer: w.baseAddress!, count: w.count, token: 9))
                let early = try readiness(of: first.accepted, for: .readable, milliseconds: 50)
                #expect(early.isEmpty, "nothing is sent before the submit")
                return submit(ring)
            }
        }
        #expect(completions.map(\.0) == [7, 9])
        #expect(completions.map { try? $0.1.get() } == [5, 6])
        #expect(ring.queued == 0)
        #expect(try receive(on: first.accepted) == hello)
        #expect(try receive(on: second.accepted) == world)
    }

    @Test func aSendTheSocketCannotTakeCompletesInsideTheSubmitWithWouldBlock() throws {
        let connection = try LoopbackConnection()
        // Fill the client's send buffer and the accepted socket's receive buffer.
        let chunk = [UInt8](repeating: 0x5a, count: 1 << 16)
        var full = false
        for _ in 0..<4096 where !full {
            full = try chunk.withUnsafeBytes { try connection.client.send(from: $0.baseAddress!, count: $0.count) } == .wouldBlock
        }
        #expect(full)
        let ring = try SendRing(capacity: 1)
        let completions = try chunk.withUnsafeBytes { bytes throws in
            #expect(ring.queue(descriptor: connection.client.rawValue, buffer: bytes.baseAddress!, count: 100, token: 1))
            return submit(ring)
        }
        #expect(completions.count == 1)
        #expect(completions.first.map { (try? $0.1.get()) == nil } == true)
        if case .failure(let error)? = completions.first?.1 { #expect(error == .wouldBlock) }
    }

    @Test func aWithdrawnSendSendsNothingAndIsNotReported() throws {
        let connection = try LoopbackConnection()
        let ring = try SendRing(capacity: 2)
        let bytes = Array("never".utf8), kept = Array("kept".utf8)
        let completions = try bytes.withUnsafeBytes { b throws in
            try kept.withUnsafeBytes { k throws in
                #expect(ring.queue(descriptor: connection.client.rawValue, buffer: b.baseAddress!, count: b.count, token: 3))
                #expect(ring.queue(descriptor: connection.client.rawValue, buffer: k.baseAddress!, count: k.count, token: 4))
                ring.withdraw(token: 3)
                return submit(ring)
            }
        }
        #expect(completions.map(\.0) == [4])
        #expect(completions.map { try? $0.1.get() } == [4])
        #expect(ring.queued == 0)
        #expect(try receive(on: connection.accepted) == kept)
    }

    @Test func aFullRingRefusesTheNextSend() throws {
        let connection = try LoopbackConnection()
        let ring = try SendRing(capacity: 1)
        let bytes = Array("ab".utf8)
        let completions = try bytes.withUnsafeBytes { b throws in
            #expect(ring.queue(descriptor: connection.client.rawValue, buffer: b.baseAddress!, count: 1, token: 1))
            #expect(!ring.queue(descriptor: connection.client.rawValue, buffer: b.baseAddress! + 1, count: 1, token: 2))
            return submit(ring)
        }
        #expect(completions.count == 1)
        #expect(try receive(on: connection.accepted) == Array("a".utf8))
    }

    @Test func aRingTheKernelRefusesIsAnErrorNotACrash() {
        // No entries: io_uring_setup(2) says EINVAL, as it says ENOSYS or EPERM where io_uring
        // is missing or disabled, and the relay then sends each message at once.
        #expect(throws: Errno.self) { _ = try SendRing(capacity: 0) }
    }
}
