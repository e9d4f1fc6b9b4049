// The cluster DNS's part of GET /metrics: queries by type, answers by response code,
// forwarded queries by result and their latency, truncations, upstream retries over TCP,
// and TCP clients.
import ProxyEngine

extension MetricsWriter {
    mutating func dns(_ snapshot: DNSSnapshot) {
        family("svcproxy_dns_queries_total", "counter", "DNS queries received, by type (other for types outside the usual set).")
        for (type, count) in snapshot.queries { sample("svcproxy_dns_queries_total", [("type", type)], count) }
        family("svcproxy_dns_responses_total", "counter", "DNS answers sent, by response code.")
        for (rcode, count) in snapshot.responses { sample("svcproxy_dns_responses_total", [("rcode", rcode)], count) }
        family("svcproxy_dns_dropped_total", "counter", "Datagrams on the DNS listeners that were no query to answer.")
        sample("svcproxy_dns_dropped_total", [], snapshot.dropped)
        family("svcproxy_dns_truncated_total", "counter", "Answers sent over UDP truncated (TC set): the client asks again over TCP.")
        sample("svcproxy_dns_truncated_total", [], snapshot.truncated)
        family("svcproxy_dns_forwarded_total", "counter",
               "Queries for names outside the zone (and ExternalName targets) sent upstream, by result.")
        for (result, count) in snapshot.forwarded { sample("svcproxy_dns_forwarded_total", [("result", result)], count) }
        family("svcproxy_dns_upstream_tcp_retries_total", "counter", "Truncated upstream answers asked again over TCP.")
        sample("svcproxy_dns_upstream_tcp_retries_total", [], snapshot.upstreamTCPRetries)
        let name = "svcproxy_dns_forward_duration_seconds"
        family(name, "histogram", "From a forwarded query's arrival to the upstream's answer, in seconds.")
        histogram(name, [], bounds: DNSSnapshot.durationBounds, buckets: snapshot.forwardDurationBuckets, sum: snapshot.forwardSeconds)
        family("svcproxy_dns_tcp_connections_total", "counter", "TCP connections of DNS clients, by whether they were taken.")
        sample("svcproxy_dns_tcp_connections_total", [("result", "accepted")], snapshot.tcpConnections)
        sample("svcproxy_dns_tcp_connections_total", [("result", "refused")], snapshot.tcpRefused)
    }
}
