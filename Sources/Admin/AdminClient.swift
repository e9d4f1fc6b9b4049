// One admin connection and where it stands: receiving its request, answering (the answer
// is being written), or answered (our side is shut and only the client's end of stream is
// awaited, so that unread request bytes never turn our close into a reset that destroys
// the answer in flight).
import HTTP1
import LinuxIO

final class AdminClient {
    enum Phase {
        case receiving
        case answering
        case answered
    }

    let descriptor: FileDescriptor
    let endpoint: AdminServer.Endpoint
    var phase: Phase = .receiving
    var deadline: UInt64
    var request = HTTPRequestHeadParser()
    var response: [UInt8] = []
    var written = 0
    var interest: EpollEvents = .readable

    init(descriptor: consuming FileDescriptor, endpoint: AdminServer.Endpoint, deadline: UInt64) {
        self.descriptor = descriptor
        self.endpoint = endpoint
        self.deadline = deadline
    }

    enum ReadOutcome {
        case received(ArraySlice<UInt8>)
        case nothingYet
        /// End of stream or an error: nothing more will come.
        case ended
    }

    /// One read of at most 4 KiB: a request head is 8 KiB at most, and a probe's is one
    /// small segment.
    func read() -> ReadOutcome {
        var chunk = [UInt8](repeating: 0, count: 4096)
        let result = chunk.withUnsafeMutableBytes { bytes -> IOResult<Int>? in
            guard let base = bytes.baseAddress else { return nil }
            return try? descriptor.read(into: base, count: bytes.count)
        }
        switch result {
        case .done(let count)? where count > 0: return .received(chunk[..<count])
        case .wouldBlock?: return .nothingYet
        default: return .ended
        }
    }

    enum WriteOutcome {
        case finished
        case blocked
        case failed
    }

    /// Writes what is left of the response, as far as the socket takes it.
    func writeResponse() -> WriteOutcome {
        while written < response.count {
            let result = response.withUnsafeBytes { bytes -> IOResult<Int>? in
                guard let base = bytes.baseAddress else { return nil }
                return try? descriptor.write(from: base + written, count: bytes.count - written)
            }
            switch result {
            case .done(let count)?: written += count
            case .wouldBlock?: return .blocked
            case nil: return .failed
            }
        }
        return .finished
    }
}
