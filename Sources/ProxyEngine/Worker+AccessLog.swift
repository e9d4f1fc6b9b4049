// The access log (--access-log): one entry per finished connection, with the client, the
// service port, the endpoint, bytes each way, how long it lasted and how it ended.
import LinuxIO
import Logging

extension Worker {
    func logAccess(_ connection: Connection, reset: Bool) {
        let established: Bool
        if case .established = connection.state { established = true } else { established = false }
        let ending = !established ? "connect-failed" : reset ? "reset" : "closed"
        let milliseconds = (MonotonicClock.now() &- connection.acceptedAt) / 1_000_000
        let client = connection.clientAddress.map { "\($0)" } ?? "unknown"
        let endpoint = connection.endpoint.endpoint
        logger.info("""
            Connection from \(client) to \(connection.route.name) via \(endpoint) \(ending): \
            \(connection.upstream.bytesMoved) bytes sent, \(connection.downstream.bytesMoved) bytes received, \(milliseconds) ms
            """, metadata: [
                "event": "access", "client": "\(client)", "service": "\(connection.route.name)", "endpoint": "\(endpoint)",
                "bytes_sent": "\(connection.upstream.bytesMoved)", "bytes_received": "\(connection.downstream.bytesMoved)",
                "duration_ms": "\(milliseconds)", "ending": "\(ending)",
            ])
    }
}
