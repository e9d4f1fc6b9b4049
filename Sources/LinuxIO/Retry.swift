// The one seam every system call passes through. EINTR is retried, EAGAIN is a value
// (`.wouldBlock`) rather than an error, and EBADF/EFAULT trap because they can only mean
// a bug in svcproxy (a descriptor used after close, a bad pointer). `close` never comes
// here: on Linux a descriptor is released even when close reports EINTR (close(2)).
internal import CLinux

/// The result of a call on a non-blocking descriptor.
public enum IOResult<Value: ~Copyable>: ~Copyable {
    case done(Value)
    case wouldBlock
}

extension IOResult: Copyable where Value: Copyable {}
extension IOResult: Sendable where Value: Sendable {}
extension IOResult: Equatable where Value: Equatable {}

/// Runs `call` until it does not fail with EINTR; a result of -1 throws the errno.
@inline(__always)
func retryingInterrupts<T: FixedWidthInteger>(_ call: () -> T) throws(Errno) -> T {
    while true {
        let result = call()
        if result != -1 { return result }
        let error = Errno.current
        switch error {
        case .interrupted:
            continue
        case .badFileDescriptor, .badAddress:
            fatalError("svcproxy bug: system call failed with \(error)")
        default:
            throw error
        }
    }
}

/// Like `retryingInterrupts`, for non-blocking descriptors: EAGAIN comes back as `.wouldBlock`.
@inline(__always)
func nonBlocking<T: FixedWidthInteger>(_ call: () -> T) throws(Errno) -> IOResult<T> {
    do throws(Errno) {
        return .done(try retryingInterrupts(call))
    } catch .wouldBlock {
        return .wouldBlock
    }
}
