// Health-check NodePorts that could not be bound: a counter of failed binds since start,
// and a gauge of 1 per address not answering now, so that an operator sees a Service whose
// load balancer takes this node as down for want of a port (kube-proxy raises a
// FailedToStartServiceHealthcheck event for the same case).

extension MetricsWriter {
    mutating func healthChecks(failures: [HealthCheckFailure], bindErrors: UInt64) {
        family("svcproxy_health_check_nodeport_bind_errors_total", "counter",
               "Failed binds of health-check NodePorts, at start and on each reload that tried again.")
        sample("svcproxy_health_check_nodeport_bind_errors_total", [], bindErrors)
        let name = "svcproxy_health_check_nodeport_unserved"
        family(name, "gauge", "Health-check NodePort addresses not served now because they could not be bound, by Service.")
        for failure in failures {
            sample(name, [("namespace", failure.service.namespace), ("service", failure.service.name),
                          ("address", failure.address.description)], UInt64(1))
        }
    }
}
