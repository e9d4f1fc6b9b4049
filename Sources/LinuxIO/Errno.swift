// Errno: the error every LinuxIO call throws, a small value type with readable names.
// svcproxy is Linux-only; there is no portability layer anywhere in this module.
internal import CLinux

/// An error number from the C library, as a value.
public struct Errno: Error, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The calling thread's `errno`.
    public static var current: Errno { Errno(rawValue: clinux_errno()) }

    /// The C library's text for this error ("Connection refused").
    public var description: String { String(cString: strerror(rawValue)) }

    public static let wouldBlock = Errno(rawValue: EAGAIN)
    public static let interrupted = Errno(rawValue: EINTR)
    public static let inProgress = Errno(rawValue: EINPROGRESS)
    public static let badFileDescriptor = Errno(rawValue: EBADF)
    public static let badAddress = Errno(rawValue: EFAULT)
    public static let connectionRefused = Errno(rawValue: ECONNREFUSED)
    public static let connectionReset = Errno(rawValue: ECONNRESET)
    public static let connectionAborted = Errno(rawValue: ECONNABORTED)
    public static let timedOut = Errno(rawValue: ETIMEDOUT)
    public static let brokenPipe = Errno(rawValue: EPIPE)
    public static let tooManyOpenFiles = Errno(rawValue: EMFILE)
    public static let fileTableOverflow = Errno(rawValue: ENFILE)
    public static let noBufferSpace = Errno(rawValue: ENOBUFS)
    public static let noMemory = Errno(rawValue: ENOMEM)
    public static let addressInUse = Errno(rawValue: EADDRINUSE)
    public static let addressNotAvailable = Errno(rawValue: EADDRNOTAVAIL)
    public static let invalidArgument = Errno(rawValue: EINVAL)
    public static let permissionDenied = Errno(rawValue: EACCES)

    /// True for the errors that mean "out of descriptors": the process limit or the system's.
    public var isDescriptorExhaustion: Bool { self == .tooManyOpenFiles || self == .fileTableOverflow }
}
