// The Ingress proxy's access log (--access-log): one entry per request, with the client,
// method, host, path, status, bytes each way, duration, endpoint and upstream status.
import HTTP1
import Logging
import ServiceConfig

extension HTTPProxyHandler {
    func logExchange(_ session: HTTPSession, _ exchange: Exchange, status: Int, nanoseconds: UInt64) {
        let request = exchange.request
        write(session, method: request.method, host: String(request.routingHost), path: String(request.originFormTarget),
              status: status, requestBytes: exchange.requestBytes, responseBytes: exchange.responseBytes,
              milliseconds: nanoseconds / 1_000_000, endpoint: "\(exchange.target.endpoint)", upstreamStatus: "\(status)")
    }

    func logAnswer(_ session: HTTPSession, status: Int, request: HTTPRequestHead?, bytes: Int, tried: Endpoint?) {
        write(session, method: request?.method ?? "-", host: request.map { String($0.routingHost) } ?? "-",
              path: request.map { String($0.originFormTarget) } ?? "-", status: status, requestBytes: 0, responseBytes: UInt64(bytes),
              milliseconds: 0, endpoint: tried.map { "\($0)" } ?? "-", upstreamStatus: "-")
    }

    private func write(_ session: HTTPSession, method: String, host: String, path: String, status: Int, requestBytes: UInt64,
                       responseBytes: UInt64, milliseconds: UInt64, endpoint: String, upstreamStatus: String) {
        loop.logger.info("""
            Request from \(session.clientAddress): \(method) \(host) \(path) \(status), \(requestBytes) bytes in, \
            \(responseBytes) bytes out, \(milliseconds) ms, endpoint \(endpoint) (status \(upstreamStatus))
            """, metadata: [
                "event": "http-access", "client": "\(session.clientAddress)", "method": "\(method)", "host": "\(host)",
                "path": "\(path)", "status": "\(status)", "bytes_received": "\(requestBytes)", "bytes_sent": "\(responseBytes)",
                "duration_ms": "\(milliseconds)", "endpoint": "\(endpoint)", "upstream_status": "\(upstreamStatus)",
            ])
    }
}
