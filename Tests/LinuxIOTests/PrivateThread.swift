// A thread of a test's own, and a network namespace of a test's own on it, so that tests
// of signal masks and address changes never touch the test runner or the machine's
// interfaces. The namespace belongs to one new thread (unshare(2) with
// CLONE_NEWNET changes only the calling thread) and goes away when that thread ends.
import Glibc
@testable import LinuxIO

/// Whether this process may make network namespaces (root; CAP_SYS_ADMIN in fact).
let canMakeNetworkNamespaces = geteuid() == 0

/// Runs `body` on a new thread inside a new, empty network namespace (only `lo`, down)
/// and returns what it returned; rethrows what it threw.
func inPrivateNetworkNamespace<T: Sendable>(_ body: @escaping @Sendable () throws -> T) throws -> T {
    try inPrivateThread {
        // Glibc's Swift module hides unshare (a GNU name): look it up instead.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "unshare") else { throw Errno.invalidArgument }
        let unshare = unsafeBitCast(symbol, to: (@convention(c) (Int32) -> Int32).self)
        let newNetworkNamespace: Int32 = 0x4000_0000  // CLONE_NEWNET
        guard unshare(newNetworkNamespace) == 0 else { throw Errno.current }
        return try body()
    }
}

/// Runs `body` on a new thread that ends with it, so that what it changes about its thread
/// (signal mask, network namespace) changes nothing else; returns or rethrows its outcome.
func inPrivateThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) throws -> T {
    let outcome = ThreadOutcome<T>()
    let thread = try JoinableThread(name: "test-private") { outcome.result = Result { try body() } }
    thread.join()
    return try outcome.result.get()
}

/// What a test thread returned, written by the thread and read only after it was joined.
private final class ThreadOutcome<T>: @unchecked Sendable {
    var result: Result<T, any Error> = .failure(Errno.invalidArgument)
}
