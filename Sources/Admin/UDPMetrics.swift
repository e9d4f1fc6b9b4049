// The UDP part of GET /metrics, per UDP service port: datagrams and bytes each way, flows
// made, open and ended by reason, and datagrams dropped by reason.
import ProxyEngine
import ServiceConfig

extension MetricsWriter {
    mutating func udp(_ services: [ServicePortSnapshot]) {
        func labels(_ name: ServicePortName) -> [(String, String)] {
            [("namespace", name.service.namespace), ("service", name.service.name), ("port", name.port)]
        }
        family("svcproxy_udp_datagrams_total", "counter", "Datagrams relayed, by direction (in: from clients, out: to clients).")
        for service in services {
            sample("svcproxy_udp_datagrams_total", labels(service.name) + [("direction", "in")], service.udp.datagramsIn)
            sample("svcproxy_udp_datagrams_total", labels(service.name) + [("direction", "out")], service.udp.datagramsOut)
        }
        family("svcproxy_udp_bytes_total", "counter", "Datagram bytes relayed, by direction.")
        for service in services {
            sample("svcproxy_udp_bytes_total", labels(service.name) + [("direction", "in")], service.udp.bytesIn)
            sample("svcproxy_udp_bytes_total", labels(service.name) + [("direction", "out")], service.udp.bytesOut)
        }
        family("svcproxy_udp_flows_total", "counter", "UDP flows made (a client address and port to a service address and port).")
        for service in services { sample("svcproxy_udp_flows_total", labels(service.name), service.udp.flowsCreated) }
        family("svcproxy_udp_flows_active", "gauge", "UDP flows open now.")
        for service in services { sample("svcproxy_udp_flows_active", labels(service.name), service.udp.activeFlows) }
        family("svcproxy_udp_flows_ended_total", "counter", "UDP flows ended, by reason.")
        for service in services {
            for (reason, count) in service.udp.flowsEnded {
                sample("svcproxy_udp_flows_ended_total", labels(service.name) + [("reason", reason)], count)
            }
        }
        family("svcproxy_udp_dropped_total", "counter", "Datagrams dropped, by reason.")
        for service in services {
            for (reason, count) in service.udp.dropped {
                sample("svcproxy_udp_dropped_total", labels(service.name) + [("reason", reason)], count)
            }
        }
    }
}
