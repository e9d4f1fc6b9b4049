// Signals as readable events. The daemon blocks the signals it handles before it starts
// any thread (threads inherit the mask), then reads them from a signalfd in its main
// loop: no handler runs on an arbitrary thread, and no signal is lost to a race.
internal import CLinux

/// A signalfd that receives the signals it was made for.
public struct SignalDescriptor: ~Copyable {
    public let descriptor: FileDescriptor

    /// Blocks `signals` for the calling thread (and every thread it starts later) and
    /// returns a descriptor that reads them.
    public init(blocking signals: [Int32]) throws(Errno) {
        var mask = sigset_t()
        let status = signals.withUnsafeBufferPointer { clinux_block_signals($0.baseAddress, Int32($0.count), &mask) }
        if status != 0 { throw Errno(rawValue: status) }
        descriptor = FileDescriptor(owning: try retryingInterrupts { signalfd(-1, &mask, Int32(SFD_CLOEXEC)) })
    }

    /// Waits for the next signal and returns its number.
    public func next() throws(Errno) -> Int32 {
        var info = signalfd_siginfo()
        _ = try retryingInterrupts { read(descriptor.rawValue, &info, MemoryLayout<signalfd_siginfo>.size) }
        return Int32(info.ssi_signo)
    }

    /// Makes writes to a closed connection fail with EPIPE instead of killing the process.
    public static func ignoreBrokenPipe() {
        _ = clinux_ignore_sigpipe()
    }
}
