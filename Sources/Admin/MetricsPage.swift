// GET /metrics in the Prometheus text format (version 0.0.4): per service port and
// endpoint counters summed over workers, reload results in the shape of kube-proxy's
// sync_proxy_rules metrics, listeners, and the process's own figures.
import Foundation
import Glibc
import ProxyEngine
import ServiceConfig
import TLS

struct MetricsPage {
    let services: [ServicePortSnapshot]
    let ingress: IngressSnapshot
    let tls: TLSSnapshot
    let dns: DNSSnapshot
    let loops: LoopSnapshot
    let certificates: [ServedCertificate]
    let state: DaemonState.Snapshot
    let listeners: Int
    let startTime: Double
    let logMessagesDropped: UInt64

    func render() -> String {
        var out = MetricsWriter()
        out.family("svcproxy_connections_accepted_total", "counter", "Connections accepted on the service port's listeners.")
        for service in services { out.sample("svcproxy_connections_accepted_total", labels(service.name), service.accepted) }
        out.family("svcproxy_connections_refused_total", "counter", "Connections refused, by reason.")
        for service in services {
            out.sample("svcproxy_connections_refused_total", labels(service.name) + [("reason", "no_endpoints")], service.refusedNoEndpoints)
            out.sample("svcproxy_connections_refused_total", labels(service.name) + [("reason", "no_local_endpoints")],
                       service.refusedNoLocalEndpoints)
            out.sample("svcproxy_connections_refused_total", labels(service.name) + [("reason", "connect_failed")], service.connectsExhausted)
            out.sample("svcproxy_connections_refused_total", labels(service.name) + [("reason", "max_connections")], service.refusedNodeLimit)
            out.sample("svcproxy_connections_refused_total", labels(service.name) + [("reason", "service_max_connections")],
                       service.refusedServiceLimit)
            out.sample("svcproxy_connections_refused_total", labels(service.name) + [("reason", "network_policy")], service.deniedByPolicy)
            out.sample("svcproxy_connections_refused_total", labels(service.name) + [("reason", "network_policy_egress")],
                       service.deniedByEgressPolicy)
        }
        out.family("svcproxy_connect_retries_total", "counter", "Connect attempts after a connection's first, onto the next endpoint.")
        for service in services { out.sample("svcproxy_connect_retries_total", labels(service.name), service.retries) }
        out.family("svcproxy_affinity_evictions_total", "counter",
                   "Session-affinity pins evicted because the table was full (--affinity-table-size).")
        for service in services { out.sample("svcproxy_affinity_evictions_total", labels(service.name), service.affinityEvictions) }
        let endpointFamilies: [(String, String, String, (EndpointSnapshot) -> UInt64)] = [
            ("svcproxy_endpoint_connections_total", "counter", "Connections established to the endpoint.", { $0.established }),
            ("svcproxy_endpoint_active_connections", "gauge", "Connections to the endpoint open now.", { $0.active }),
            ("svcproxy_endpoint_connect_errors_total", "counter", "Failed connect attempts to the endpoint.", { $0.connectErrors }),
            ("svcproxy_endpoint_sent_bytes_total", "counter", "Bytes relayed from clients to the endpoint.", { $0.bytesSent }),
            ("svcproxy_endpoint_received_bytes_total", "counter", "Bytes relayed from the endpoint to clients.", { $0.bytesReceived }),
        ]
        for (name, type, help, value) in endpointFamilies {
            out.family(name, type, help)
            for service in services {
                for endpoint in service.endpoints {
                    out.sample(name, labels(service.name) + [("endpoint", endpoint.endpoint.description)], value(endpoint))
                }
            }
        }
        out.family("svcproxy_listeners", "gauge", "Listen addresses being served.")
        out.sample("svcproxy_listeners", [], UInt64(listeners))
        out.family("svcproxy_reloads_total", "counter", "Configuration reloads, by result.")
        out.sample("svcproxy_reloads_total", [("result", "success")], state.reloads - state.reloadFailures)
        out.sample("svcproxy_reloads_total", [("result", "failure")], state.reloadFailures)
        out.family("svcproxy_sync_proxy_rules_last_timestamp_seconds", "gauge", "When the last plan was applied (start or successful reload).")
        out.sample("svcproxy_sync_proxy_rules_last_timestamp_seconds", [], state.lastApplied)
        out.family("svcproxy_log_messages_dropped_total", "counter",
                   "Log messages dropped because the log destination (journal or stderr) did not keep up.")
        out.sample("svcproxy_log_messages_dropped_total", [], logMessagesDropped)
        renderHistogram(&out)
        out.family("svcproxy_worker_blocking_polls_total", "counter",
                   "Waits for events in epoll_wait with a timeout, where a worker sleeps when nothing is ready.")
        out.sample("svcproxy_worker_blocking_polls_total", [], loops.blockingPolls)
        out.family("svcproxy_worker_yields_total", "counter",
                   "Times a worker gave its CPU away before sleeping (--yield-before-sleep), by whether it then found events.")
        out.sample("svcproxy_worker_yields_total", [("result", "events")], loops.yieldsFoundEvents)
        out.sample("svcproxy_worker_yields_total", [("result", "none")], loops.yieldsFoundNone)
        out.family("svcproxy_worker_connections_accepted_total", "counter",
                   "Connections a worker accepted, on any listener: how evenly new connections are spread (--connection-steering).")
        for (worker, accepted) in loops.acceptedPerWorker.enumerated() {
            out.sample("svcproxy_worker_connections_accepted_total", [("worker", "\(worker)")], accepted)
        }
        out.family("svcproxy_connection_steering_by_cpu", "gauge",
                   "1 while new connections go to the worker numbered after the CPU that received them, 0 while the kernel's hash picks.")
        out.sample("svcproxy_connection_steering_by_cpu", [], UInt64(loops.steeringByCPU ? 1 : 0))
        let udpPorts = Set(state.plan.servicePorts.filter { $0.protocol == .udp }.map(\.name))
        out.udp(services.filter { udpPorts.contains($0.name) })
        out.ingress(ingress)
        out.loadBalancers(state.plan.loadBalancers)
        out.healthChecks(failures: state.healthCheckFailures, bindErrors: state.healthCheckBindErrors)
        out.tls(tls, certificates: certificates)
        if state.plan.dns != nil { out.dns(dns) }
        if let apiSource = state.apiSource { out.apiSource(apiSource) }
        renderProcess(&out)
        return out.text
    }

    private func renderHistogram(_ out: inout MetricsWriter) {
        out.histogram("svcproxy_sync_proxy_rules_duration_seconds",
                      help: "How long loading, validating, planning and applying a configuration took.", state.applyDurations)
    }

    private func renderProcess(_ out: inout MetricsWriter) {
        let process = ProcessFigures.read()
        out.family("process_cpu_seconds_total", "counter", "User and system CPU time spent, in seconds.")
        out.sample("process_cpu_seconds_total", [], process.cpuSeconds)
        out.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.")
        out.sample("process_resident_memory_bytes", [], UInt64(process.residentBytes))
        out.family("process_open_fds", "gauge", "Open file descriptors.")
        out.sample("process_open_fds", [], UInt64(process.openDescriptors))
        out.family("process_max_fds", "gauge", "The limit on open file descriptors.")
        out.sample("process_max_fds", [], UInt64(process.maxDescriptors))
        out.family("process_start_time_seconds", "gauge", "Start time of the process since the epoch, in seconds.")
        out.sample("process_start_time_seconds", [], startTime)
    }

    private func labels(_ name: ServicePortName) -> [(String, String)] {
        [("namespace", name.service.namespace), ("service", name.service.name), ("port", name.port)]
    }
}
