// What the TCP relay's batched sends rely on (SendRing): a queued send goes out only at the
// submit and is reported there under its token; one the socket cannot take completes inside
// the submit with EAGAIN, as a non-blocking send(2) would, instead of waiting in the
// kernel; a withdrawn one sends nothing; a full ring says so.
import Testing
@testable import LinuxIO

/// Bytes at an address that stays put until they are released: a queued send reads them
/// at the submit.
private final class PinnedBytes {
    let base: UnsafeMutableRawPointer
    let count: Int

    init(_ text: String) {
        let bytes = Array(text.utf8)
        count = bytes.count
        base = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 1)
        base.copyMemory(from: bytes, byteCount: count)
    }

    deinit { base.deallocate() }
}

@Suite struct SendRingKernelTests {
    /// The completions of one submit, in order.
    private func submit(_ ring: SendRing) -> [(UInt64, Result<Int, Errno>)] {
        var completions: [(UInt64, Result<Int, Errno>)] = []
        ring.submit { token, result in completions.append((token, result)) }
        return completions
    }

    private func queue(_ ring: SendRing, _ bytes: PinnedBytes, on descriptor: Int32, token: UInt64) -> Bool {
        ring.queue(descriptor: descriptor, buffer: bytes.base, count: bytes.count, token: token)
    }

    @Test func queuedSendsGoOutAtTheSubmitAndAreReportedUnderTheirTokens() throws {
        let first = try LoopbackConnection()
        let second = try LoopbackConnection()
        let ring = try SendRing(capacity: 4)
        let hello = PinnedBytes("hello"), world = PinnedBytes("world!")
        #expect(queue(ring, hello, on: first.client.rawValue, token: 7))
        #expect(queue(ring, world, on: second.client.rawValue, token: 9))
        #expect(try readiness(of: first.accepted, for: .readable, milliseconds: 50).isEmpty, "nothing is sent before the submit")
        let completions = submit(ring)
        #expect(completions.map(\.0) == [7, 9])
        #expect(completions.map { try? $0.1.get() } == [5, 6])
        #expect(ring.queued == 0)
        #expect(try receive(on: first.accepted) == Array("hello".utf8))
        #expect(try receive(on: second.accepted) == Array("world!".utf8))
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
        let more = PinnedBytes(String(repeating: "z", count: 100))
        #expect(queue(ring, more, on: connection.client.rawValue, token: 1))
        let completions = submit(ring)
        #expect(completions.count == 1)
        if case .failure(let error)? = completions.first?.1 { #expect(error == .wouldBlock) } else { Issue.record("not EAGAIN: \(completions)") }
    }

    @Test func aWithdrawnSendSendsNothingAndIsNotReported() throws {
        let connection = try LoopbackConnection()
        let ring = try SendRing(capacity: 2)
        let never = PinnedBytes("never"), kept = PinnedBytes("kept")
        #expect(queue(ring, never, on: connection.client.rawValue, token: 3))
        #expect(queue(ring, kept, on: connection.client.rawValue, token: 4))
        ring.withdraw(token: 3)
        let completions = submit(ring)
        #expect(completions.map(\.0) == [4])
        #expect(completions.map { try? $0.1.get() } == [4])
        #expect(ring.queued == 0)
        #expect(try receive(on: connection.accepted) == Array("kept".utf8))
    }

    @Test func aFullRingRefusesTheNextSend() throws {
        let connection = try LoopbackConnection()
        let ring = try SendRing(capacity: 1)
        let a = PinnedBytes("a"), b = PinnedBytes("b")
        #expect(queue(ring, a, on: connection.client.rawValue, token: 1))
        #expect(!queue(ring, b, on: connection.client.rawValue, token: 2))
        #expect(submit(ring).count == 1)
        #expect(try receive(on: connection.accepted) == Array("a".utf8))
    }

    @Test func aRingTheKernelRefusesIsAnErrorNotACrash() {
        // No entries: io_uring_setup(2) says EINVAL, as it says ENOSYS or EPERM where io_uring
        // is missing or disabled, and the relay then sends each message at once.
        #expect(throws: Errno.self) { _ = try SendRing(capacity: 0) }
    }
}
