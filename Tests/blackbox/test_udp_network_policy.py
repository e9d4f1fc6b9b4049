"""NetworkPolicy ingress admission for UDP: a flow's first datagram goes only to an endpoint
whose pod admits the client for protocol UDP on that port. A rule that names only TCP ports
(or a port without a protocol, which Kubernetes defaults to TCP) admits no UDP; a datagram
that no endpoint admits is dropped and counted (`svcproxy_udp_dropped_total{reason="policy"}`).
Pods a and b (app: web) listen on the same UDP port, each at a loopback IP of its own."""

from collections import Counter

import pytest

from harness import pick_cluster_ip
from harness.node import documents, policy_yaml
from harness.udp import (
    UdpClient, ask_new_flow, dropped, pick_udp_port, replies_within, settled_metrics, udp_pod_yaml,
    udp_selector_service_yaml,
)


ALLOWED, DENIED = "127.0.0.2", "127.0.0.3"


class Web:
    def __init__(self, start_udp_echo):
        self.cluster_ip = pick_cluster_ip()
        self.service_port = pick_udp_port((self.cluster_ip,))
        ips = {pod: pick_cluster_ip() for pod in ("a", "b")}
        self.pod_port = pick_udp_port(tuple(ips.values()))
        self.echoes = {pod: start_udp_echo(pod, host=ip, port=self.pod_port) for pod, ip in ips.items()}
        self.pods = [udp_pod_yaml(f"web-{pod}", ip, {"app": "web", "name": pod}, {"dns": self.pod_port})
                     for pod, ip in ips.items()]
        self.address = (self.cluster_ip, self.service_port)

    def yaml(self, *policies: str) -> str:
        service = udp_selector_service_yaml("web", self.cluster_ip, {"dns": (self.service_port, self.pod_port)})
        return documents(service, *self.pods, *policies)

    def metrics(self, daemon, until=lambda figures: True):
        return settled_metrics(daemon, "web", "dns", until)


def ingress(rule: str) -> str:
    return f"  podSelector: {{}}\n  ingress: [{rule}]\n"


def test_a_udp_rule_admits_its_clients_and_drops_the_others(start_udp_echo, start_daemon, write_config):
    web = Web(start_udp_echo)
    policy = policy_yaml("dns-from-allowed", ingress(
        f"{{from: [{{ipBlock: {{cidr: {ALLOWED}/32}}}}], ports: [{{protocol: UDP, port: {web.pod_port}}}]}}"))
    daemon = start_daemon(write_config(web.yaml(policy)))

    admitted = Counter(ask_new_flow(web.address, source=ALLOWED) for _ in range(4))
    with UdpClient(DENIED) as denied:
        for i in range(3):
            denied.send(web.address, b"let me in %d" % i)
        answers = replies_within([denied], count=3)

    assert admitted == {"a": 2, "b": 2}
    assert answers == [None] * 3
    assert all(s.client[0] != DENIED for echo in web.echoes.values() for s in echo.seen())
    figures = web.metrics(daemon, lambda f: dropped(f, "policy") >= 3)
    assert dropped(figures, "policy") == 3, figures
    assert figures["flows"] == 4, figures


@pytest.mark.parametrize("rule", ["{{ports: [{{protocol: TCP, port: {port}}}]}}", "{{ports: [{{port: {port}}}]}}"],
                         ids=["protocol-TCP", "protocol-defaulted"])
def test_a_rule_naming_only_tcp_ports_admits_no_udp(rule, start_udp_echo, start_daemon, write_config):
    web = Web(start_udp_echo)
    policy = policy_yaml("tcp-only", ingress(rule.format(port=web.pod_port)))
    daemon = start_daemon(write_config(web.yaml(policy)))

    clients = [UdpClient(ALLOWED) for _ in range(3)]
    try:
        for i, client in enumerate(clients):
            client.send(web.address, b"flow %d" % i)
        answers = replies_within(clients)
    finally:
        for client in clients:
            client.close()

    assert answers == [None] * 3
    assert sum(echo.count() for echo in web.echoes.values()) == 0
    figures = web.metrics(daemon, lambda f: dropped(f, "policy") >= 3)
    assert dropped(figures, "policy") == 3 and figures["active"] == 0, figures
