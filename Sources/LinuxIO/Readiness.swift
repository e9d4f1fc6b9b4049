// Waiting for one descriptor with a deadline, for the one thread that does blocking-style
// I/O on non-blocking sockets: the API client, whose every connect, read and write must
// end within a timeout (a silent API server must not hold a watch forever).
import Glibc

extension FileDescriptor {
    /// Waits until the descriptor is readable (or writable), an error or hangup is pending,
    /// or `timeoutMilliseconds` pass; false on the timeout. Interrupted waits are retried
    /// with the whole timeout again (a signal is rare; every signal is blocked on our threads).
    ///
    /// The corresponding C function is `poll`.
    public func waitUntil(writable: Bool, timeoutMilliseconds: Int32) throws(Errno) -> Bool {
        var entry = pollfd(fd: rawValue, events: Int16(writable ? POLLOUT : POLLIN), revents: 0)
        let ready = try retryingInterrupts { poll(&entry, 1, timeoutMilliseconds) }
        return ready > 0
    }

    /// As `waitUntil(writable:timeoutMilliseconds:)`, but given up as soon as `cancel` (an
    /// eventfd another thread signals) is readable: nil then, whatever this descriptor's state.
    ///
    /// The corresponding C function is `poll`.
    public func waitUntil(writable: Bool, timeoutMilliseconds: Int32, unlessSignalled cancel: borrowing EventDescriptor) throws(Errno) -> Bool? {
        var entries = [pollfd(fd: rawValue, events: Int16(writable ? POLLOUT : POLLIN), revents: 0),
                       pollfd(fd: cancel.descriptor.rawValue, events: Int16(POLLIN), revents: 0)]
        let ready = try retryingInterrupts { poll(&entries, 2, timeoutMilliseconds) }
        if entries[1].revents != 0 { return nil }
        return ready > 0
    }
}
