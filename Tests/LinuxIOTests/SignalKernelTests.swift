// Signals as the daemon takes them (docs/kernel-notes.md): a signal blocked before a thread
// starts stays blocked in that thread, and a blocked signal is read from a signalfd instead
// of running a handler. On a thread of the test's own, so that the test runner's signal
// mask is never changed.
import Glibc
import Testing
@testable import LinuxIO

@Suite struct SignalKernelTests {
    @Test func blockedSignalsAreInheritedByNewThreadsAndReadFromTheSignalfd() throws {
        let (inherited, received) = try inPrivateThread { () throws -> (Bool, Int32) in
            let signals = try SignalDescriptor(blocking: [SIGUSR2])
            let child = ThreadResult()
            let thread = try JoinableThread(name: "test-child") {
                var mask = sigset_t()
                pthread_sigmask(SIG_BLOCK, nil, &mask)
                child.blocked = sigismember(&mask, SIGUSR2) == 1
            }
            thread.join()
            // Directed at this thread, where it is blocked: it waits in the signalfd.
            pthread_kill(pthread_self(), SIGUSR2)
            return (child.blocked, try signals.next())
        }
        #expect(inherited)
        #expect(received == SIGUSR2)
    }
}

/// What the child thread saw, read after it was joined.
private final class ThreadResult: @unchecked Sendable {
    var blocked = false
}
