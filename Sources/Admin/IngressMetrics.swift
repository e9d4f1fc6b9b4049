// The Ingress proxy's part of GET /metrics: requests by Ingress path and status class, a
// request duration histogram, bytes each way, and how often connections to endpoints are
// reused. Codes without a name in the RFCs are grouped by class ("2xx"): endpoints choose
// codes freely, and a label per code would let them grow the series without bound.
import ProxyEngine
import TLS

extension MetricsWriter {
    mutating func ingress(_ snapshot: IngressSnapshot) {
        let routes = snapshot.routes
        family("svcproxy_ingress_requests_total", "counter", "Ingress requests answered, by Ingress path and status code (a class such as 2xx for unnamed codes).")
        for route in routes {
            for (code, count) in route.responses {
                sample("svcproxy_ingress_requests_total", labels(route.key) + [("code", code)], count)
            }
        }
        let name = "svcproxy_ingress_request_duration_seconds"
        family(name, "histogram", "From a request's complete head to the end of its response, in seconds.")
        for route in routes where route.requests > 0 {
            histogram(name, labels(route.key), bounds: IngressRouteSnapshot.durationBounds, buckets: route.durationBuckets,
                      sum: route.durationSeconds)
        }
        family("svcproxy_ingress_request_bytes_total", "counter", "Request bytes (heads and bodies) forwarded to endpoints.")
        for route in routes where route.requests > 0 { sample("svcproxy_ingress_request_bytes_total", labels(route.key), route.requestBytes) }
        family("svcproxy_ingress_response_bytes_total", "counter", "Response bytes (heads and bodies) sent to clients.")
        for route in routes where route.requests > 0 { sample("svcproxy_ingress_response_bytes_total", labels(route.key), route.responseBytes) }
        family("svcproxy_ingress_upstream_connections_total", "counter",
               "Requests sent to endpoints, by whether they took a new connection or reused a pooled one.")
        sample("svcproxy_ingress_upstream_connections_total", [("reused", "false")], snapshot.upstreamConnectionsOpened)
        sample("svcproxy_ingress_upstream_connections_total", [("reused", "true")], snapshot.upstreamConnectionsReused)
    }

    /// Handshakes of the HTTPS listeners by result and version, resumptions, kTLS, and
    /// when each served certificate expires.
    mutating func tls(_ snapshot: TLSSnapshot, certificates: [ServedCertificate]) {
        family("svcproxy_ingress_tls_handshakes_total", "counter", "TLS handshakes on the Ingress's HTTPS listeners, by result and version.")
        sample("svcproxy_ingress_tls_handshakes_total", [("result", "success"), ("version", "TLSv1.2")], snapshot.handshakesTLS12)
        sample("svcproxy_ingress_tls_handshakes_total", [("result", "success"), ("version", "TLSv1.3")], snapshot.handshakesTLS13)
        sample("svcproxy_ingress_tls_handshakes_total", [("result", "failure"), ("version", "")], snapshot.failed)
        sample("svcproxy_ingress_tls_handshakes_total", [("result", "timeout"), ("version", "")], snapshot.timedOut)
        family("svcproxy_ingress_tls_resumptions_total", "counter", "TLS handshakes that resumed a session (ticket).")
        sample("svcproxy_ingress_tls_resumptions_total", [], snapshot.resumed)
        family("svcproxy_ingress_tls_handshakes_paced_total", "counter",
               "TLS handshakes whose costly step waited for a later turn of a worker's loop, which had spent its handshake time on others.")
        sample("svcproxy_ingress_tls_handshakes_paced_total", [], snapshot.paced)
        family("svcproxy_ingress_tls_ktls_connections_total", "counter", "TLS connections whose records the kernel encrypts (kTLS).")
        sample("svcproxy_ingress_tls_ktls_connections_total", [], snapshot.kernelTLS)
        family("svcproxy_ingress_certificate_expiry_timestamp_seconds", "gauge",
               "When each certificate the HTTPS listeners serve expires (notAfter), in seconds since the epoch; the self-signed default has empty labels.")
        for certificate in certificates {
            sample("svcproxy_ingress_certificate_expiry_timestamp_seconds",
                   [("namespace", certificate.secret?.namespace ?? ""), ("secret", certificate.secret?.name ?? "")], certificate.notAfter)
        }
    }

    private func labels(_ key: IngressRouteKey) -> [(String, String)] {
        [("namespace", key.namespace), ("ingress", key.ingress), ("host", key.host), ("path", key.path), ("service", key.service)]
    }
}
