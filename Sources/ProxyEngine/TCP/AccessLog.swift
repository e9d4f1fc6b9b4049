// The access log (--access-log): one entry per finished connection, with the client, the
// service port, the endpoint, bytes each way, how long it lasted and how it ended.
import LinuxIO
import Logging

extension TCPRelayHandler {
    /// `failure`: why the connection was reset, nil when it closed. Only an exhausted
    /// connect ladder is "connect-failed": a client that resets before any endpoint answered
    /// (its early bytes are read before the connect) is "reset".
    func logAccess(_ connection: Connection, failure: RelayMachine.Failure?) {
        let ending = failure == .connectsExhausted ? "connect-failed" : failure != nil ? "reset" : "closed"
        let milliseconds = (MonotonicClock.now() &- connection.acceptedAt) / 1_000_000
        let client = connection.clientAddress.map { "\($0)" } ?? "unknown"
        let endpoint = connection.endpoint.endpoint
        loop.logger.info("""
            Connection from \(client) to \(connection.route.name) via \(endpoint) \(ending): \
            \(connection.machine.upstream.bytesMoved) bytes sent, \(connection.machine.downstream.bytesMoved) bytes received, \(milliseconds) ms
            """, metadata: [
                "event": "access", "client": "\(client)", "service": "\(connection.route.name)", "endpoint": "\(endpoint)",
                "bytes_sent": "\(connection.machine.upstream.bytesMoved)", "bytes_received": "\(connection.machine.downstream.bytesMoved)",
                "duration_ms": "\(milliseconds)", "ending": "\(ending)",
            ])
    }
}
