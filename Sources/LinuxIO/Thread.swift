// Joinable OS threads for the event loops. Foundation's Thread cannot be joined, and the
// daemon must know that every worker has finished before it exits.
internal import CLinux

/// A running thread that can be waited for.
public final class JoinableThread: @unchecked Sendable {
    private let handle: pthread_t

    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    /// Starts `body` on a new thread named `name` (at most 15 bytes, as Linux allows).
    public init(name: String, _ body: @escaping @Sendable () -> Void) throws(Errno) {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { context in
            guard let context else { return nil }
            let body = Unmanaged<Body>.fromOpaque(context).takeRetainedValue()
            body.run()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            throw Errno(rawValue: status)
        }
        handle = thread
        _ = clinux_set_thread_name(thread, String(name.prefix(15)))
    }

    /// Waits until the thread has returned.
    public func join() {
        _ = pthread_join(handle, nil)
    }
}
