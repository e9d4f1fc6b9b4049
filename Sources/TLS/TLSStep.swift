// The outcome of one non-blocking TLS call, in the terms an epoll loop acts on: the value,
// or which readiness to wait for before calling again, or a failure that ends the
// connection.

/// One non-blocking TLS call's outcome.
public enum TLSStep<Value> {
    /// The call completed.
    case done(Value)
    /// Call again (the same call, with the same bytes for a write) once the socket is
    /// readable. A handshake or a write can want to read, too.
    case wantRead
    /// Call again once the socket is writable. A read can want to write, too.
    case wantWrite
    /// The connection is unusable; close it (`shutdown()` is a no-op after this).
    case failed(TLSError)
}

extension TLSStep: Sendable where Value: Sendable {}
