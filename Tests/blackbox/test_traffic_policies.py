"""The traffic policies as kube-proxy applies them, on one node named by --hostname-override:
externalTrafficPolicy Local sends NodePort traffic from off the node only to the endpoints on
this node (and resets it when there are none) while clients on the node itself reach every
endpoint, internalTrafficPolicy Local does the same for the ClusterIP,
and a LoadBalancer Service's health-check NodePort answers with the count of local endpoints
(200) or 503, following reloads. Where a policy finds no ready endpoint, EndpointSlice
endpoints that are serving while they terminate take its traffic (the health check still
counts ready ones only); a health-check NodePort that cannot be bound is a warning and a
metric; `check --print-plan` shows all of it."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections import Counter

from harness import ask_name, identify, pick_cluster_ip, pick_port, poll_until, wait_for_end
from harness.admin import scrape, series
from harness.udp import UdpClient, pick_udp_port, plan_block, print_plan

NODE = "test-node"
# A client off the node: a loopback address the node does not have (lo holds 127.0.0.1; the
# kernel routes the rest of 127.0.0.0/8 there, so it can be a source, but the daemon's node
# addresses, read from the interfaces, do not include it). pick_cluster_ip never picks it.
OUTSIDE = "127.0.0.2"
# A client on the node: the node's own address, which NodePorts listen on here.
ON_NODE = "127.0.0.1"


def policy_yaml(*, node_port, cluster_ip, port, endpoints, external="Cluster", internal="Cluster",
                kind="NodePort", health_port=None) -> str:
    """A Service and its Endpoints; `endpoints` are ((ip, port), nodeName or None) pairs."""
    lines = [
        "apiVersion: v1", "kind: Service", "metadata: {name: web, namespace: default}", "spec:",
        f"  type: {kind}", f'  clusterIP: "{cluster_ip}"',
        f"  externalTrafficPolicy: {external}", f"  internalTrafficPolicy: {internal}",
    ]
    if health_port is not None:
        lines.append(f"  healthCheckNodePort: {health_port}")
    lines += ["  ports:", f"  - {{name: http, port: {port}, targetPort: 8080, nodePort: {node_port}}}",
              "---", "apiVersion: v1", "kind: Endpoints", "metadata: {name: web, namespace: default}", "subsets:"]
    for (ip, ep_port), node in endpoints:
        node_field = f", nodeName: {node}" if node else ""
        lines += [f'- addresses: [{{ip: "{ip}"{node_field}}}]', f"  ports: [{{name: http, port: {ep_port}}}]"]
    return "\n".join(lines) + "\n"


def cluster_address() -> tuple[str, int]:
    """A ClusterIP and a port free on it."""
    cluster_ip = pick_cluster_ip()
    return cluster_ip, pick_port((cluster_ip,))


def names(address, count=8, source=None) -> Counter:
    """The backends' names over `count` connections, from `source` (an address to bind) if given."""
    if source is None:
        return Counter(ask_name(address) for _ in range(count))
    return Counter(ask_name_from(source, address) for _ in range(count))


def ask_name_from(source: str, address) -> str:
    with socket.create_connection(address, timeout=5, source_address=(source, 0)) as conn:
        chunks = []
        while chunk := conn.recv(4096):
            chunks.append(chunk)
        return b"".join(chunks).decode(errors="replace")


def ending(address, source=None) -> str:
    """How a connection that sends nothing ends; a reset may come before connect returns."""
    try:
        with socket.create_connection(address, timeout=5, source_address=(source, 0) if source else None) as conn:
            return wait_for_end(conn, timeout=5)
    except ConnectionResetError:
        return "reset"


def start(start_daemon, write_config, text):
    config = write_config(text)
    return config, start_daemon(config, extra_args=("--hostname-override", NODE))


def test_external_local_node_port_reaches_only_the_local_endpoint_and_cluster_ip_both(
        start_backend, start_daemon, write_config, node_port):
    local, remote = start_backend(identify, name="local"), start_backend(identify, name="remote")
    cluster_ip, port = cluster_address()
    start(start_daemon, write_config, policy_yaml(
        node_port=node_port, cluster_ip=cluster_ip, port=port, external="Local",
        endpoints=[(local.endpoint, NODE), (remote.endpoint, "other-node")]))

    assert names(("127.0.0.1", node_port), source=OUTSIDE) == {"local": 8}
    # From the node itself the Cluster policy applies, as kube-proxy's src-type LOCAL rule has it.
    assert names(("127.0.0.1", node_port), source=ON_NODE) == {"local": 4, "remote": 4}
    assert names((cluster_ip, port)) == {"local": 4, "remote": 4}


def test_internal_local_cluster_ip_reaches_only_the_local_endpoint_and_node_port_both(
        start_backend, start_daemon, write_config, node_port):
    local, remote = start_backend(identify, name="local"), start_backend(identify, name="remote")
    cluster_ip, port = cluster_address()
    start(start_daemon, write_config, policy_yaml(
        node_port=node_port, cluster_ip=cluster_ip, port=port, internal="Local",
        endpoints=[(local.endpoint, NODE), (remote.endpoint, "other-node")]))

    assert names((cluster_ip, port)) == {"local": 8}
    assert names(("127.0.0.1", node_port), source=OUTSIDE) == {"local": 4, "remote": 4}


def test_no_local_endpoint_resets_and_is_counted_while_the_cluster_ip_still_serves(
        start_backend, start_daemon, write_config, node_port):
    remote = start_backend(identify, name="remote")
    unnamed = start_backend(identify, name="unnamed")
    cluster_ip, port = cluster_address()
    _, daemon = start(start_daemon, write_config, policy_yaml(
        node_port=node_port, cluster_ip=cluster_ip, port=port, external="Local",
        endpoints=[(remote.endpoint, "other-node"), (unnamed.endpoint, None)]))  # no nodeName: not local

    assert [ending(("127.0.0.1", node_port), source=OUTSIDE) for _ in range(3)] == ["reset"] * 3
    assert names((cluster_ip, port), 4) == {"remote": 2, "unnamed": 2}
    # A client on the node still reaches the remote endpoints through the Local NodePort.
    assert names(("127.0.0.1", node_port), 4, source=ON_NODE) == {"remote": 2, "unnamed": 2}
    refused = series(scrape(daemon), "svcproxy_connections_refused_total",
                     namespace="default", service="web", port="http", reason="no_local_endpoints")
    assert refused == 3


def health_check(port: int) -> tuple[int, dict, dict]:
    """Status, JSON body and headers of a GET on the health-check NodePort."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/any/path", timeout=5) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), dict(error.headers)


def test_health_check_node_port_answers_the_local_count_then_503_after_a_reload(
        start_backend, start_daemon, write_config, node_port):
    local, remote = start_backend(identify, name="local"), start_backend(identify, name="remote")
    cluster_ip, port = cluster_address()
    health_port = pick_port(("127.0.0.1",))
    text = policy_yaml(node_port=node_port, cluster_ip=cluster_ip, port=port, external="Local", kind="LoadBalancer",
                       health_port=health_port, endpoints=[(local.endpoint, NODE), (remote.endpoint, "other-node")])
    config, daemon = start(start_daemon, write_config, text)

    status, body, headers = health_check(health_port)
    assert status == 200
    assert body == {"service": {"namespace": "default", "name": "web"}, "localEndpoints": 1, "serviceProxyHealthy": True}
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Load-Balancing-Endpoint-Weight"] == "1"

    config.write_text(policy_yaml(node_port=node_port, cluster_ip=cluster_ip, port=port, external="Local",
                                  kind="LoadBalancer", health_port=health_port,
                                  endpoints=[(remote.endpoint, "other-node")]))
    daemon.reload()

    status, body, headers = health_check(health_port)
    assert status == 503
    assert body["localEndpoints"] == 0
    assert headers["X-Load-Balancing-Endpoint-Weight"] == "0"
    assert headers["Content-Type"] == "application/json"


# --------------------------------------------------------------------------- terminating endpoints

READY = None
TERMINATING = "{ready: false, serving: true, terminating: true}"
NOT_SERVING = "{ready: false, serving: false, terminating: true}"


def slice_yaml(*, node_port, cluster_ip, port, endpoints, external="Cluster", kind="NodePort", health_port=None,
               protocol="TCP") -> str:
    """A Service and one EndpointSlice per endpoint (each with its own port number); `endpoints`
    are ((ip, port), nodeName or None, conditions or READY) triples."""
    lines = [
        "apiVersion: v1", "kind: Service", "metadata: {name: web, namespace: default}", "spec:",
        f"  type: {kind}", f'  clusterIP: "{cluster_ip}"', f"  externalTrafficPolicy: {external}",
    ]
    if health_port is not None:
        lines.append(f"  healthCheckNodePort: {health_port}")
    lines.append(f"  ports: [{{name: http, protocol: {protocol}, port: {port}, targetPort: 8080, nodePort: {node_port}}}]")
    for index, ((ip, ep_port), node, conditions) in enumerate(endpoints):
        fields = [f'addresses: ["{ip}"]'] + ([f"nodeName: {node}"] if node else [])
        fields += [f"conditions: {conditions}"] if conditions else []
        lines += ["---", "apiVersion: discovery.k8s.io/v1", "kind: EndpointSlice",
                  f"metadata: {{name: web-{index}, namespace: default, labels: {{kubernetes.io/service-name: web}}}}",
                  "addressType: IPv4", f"ports: [{{name: http, protocol: {protocol}, port: {ep_port}}}]",
                  "endpoints: [{" + ", ".join(fields) + "}]"]
    return "\n".join(lines) + "\n"


def test_traffic_reaches_a_serving_terminating_endpoint_until_a_ready_one_is_reloaded_in(
        start_backend, start_daemon, write_config, node_port):
    terminating = start_backend(identify, name="terminating")
    stopped = start_backend(identify, name="not-serving")
    cluster_ip, port = cluster_address()
    config, daemon = start(start_daemon, write_config, slice_yaml(
        node_port=node_port, cluster_ip=cluster_ip, port=port,
        endpoints=[(terminating.endpoint, None, TERMINATING), (stopped.endpoint, None, NOT_SERVING)]))

    assert names((cluster_ip, port)) == {"terminating": 8}, "no ready endpoint: the serving terminating one serves"
    assert names(("127.0.0.1", node_port), source=OUTSIDE) == {"terminating": 8}

    ready = start_backend(identify, name="ready")
    config.write_text(slice_yaml(node_port=node_port, cluster_ip=cluster_ip, port=port, endpoints=[
        (terminating.endpoint, None, TERMINATING), (stopped.endpoint, None, NOT_SERVING), (ready.endpoint, None, READY)]))
    daemon.reload()

    assert names((cluster_ip, port)) == {"ready": 8}, "a ready endpoint takes every new connection"
    assert names(("127.0.0.1", node_port), source=OUTSIDE) == {"ready": 8}


def test_udp_traffic_reaches_a_serving_terminating_endpoint_when_nothing_is_ready(
        start_udp_echo, start_daemon, write_config, node_port):
    echo = start_udp_echo("terminating")
    cluster_ip = pick_cluster_ip()
    port = pick_udp_port((cluster_ip,))
    start(start_daemon, write_config, slice_yaml(node_port=node_port, cluster_ip=cluster_ip, port=port, protocol="UDP",
                                                 endpoints=[(echo.endpoint, None, TERMINATING)]))

    with UdpClient() as client:
        reply = client.ask((cluster_ip, port), b"ping")
    assert reply is not None and reply.name == "terminating"


def test_a_udp_flow_stays_with_its_endpoint_while_it_terminates_serving_and_moves_when_it_stops_serving(
        start_udp_echo, start_daemon, write_config, node_port):
    old, new = start_udp_echo("old"), start_udp_echo("new")
    cluster_ip = pick_cluster_ip()
    port = pick_udp_port((cluster_ip,))

    def configure(*endpoints):
        return slice_yaml(node_port=node_port, cluster_ip=cluster_ip, port=port, protocol="UDP", endpoints=list(endpoints))

    config, daemon = start(start_daemon, write_config, configure((old.endpoint, None, READY)))
    with UdpClient() as flow:
        assert flow.name_from((cluster_ip, port), b"1") == "old"
        # A rolling update: the old endpoint terminates while still serving, a new one is ready.
        config.write_text(configure((old.endpoint, None, TERMINATING), (new.endpoint, None, READY)))
        daemon.reload()
        assert flow.name_from((cluster_ip, port), b"2") == "old", "the flow keeps its serving endpoint"
        with UdpClient() as other:
            assert other.name_from((cluster_ip, port), b"3") == "new", "a new flow goes to the ready endpoint"
        # Done serving: the flow ends at the reload and its next datagram starts one anew.
        config.write_text(configure((old.endpoint, None, NOT_SERVING), (new.endpoint, None, READY)))
        daemon.reload()
        assert flow.name_from((cluster_ip, port), b"4") == "new"


def test_local_traffic_uses_this_nodes_terminating_endpoint_while_the_health_check_drains_the_node(
        start_backend, start_daemon, write_config, node_port):
    local = start_backend(identify, name="local-terminating")
    remote = start_backend(identify, name="remote-ready")
    cluster_ip, port = cluster_address()
    health_port = pick_port(("127.0.0.1",))
    start(start_daemon, write_config, slice_yaml(
        node_port=node_port, cluster_ip=cluster_ip, port=port, external="Local", kind="LoadBalancer", health_port=health_port,
        endpoints=[(local.endpoint, NODE, TERMINATING), (remote.endpoint, "other-node", READY)]))

    assert names(("127.0.0.1", node_port), source=OUTSIDE) == {"local-terminating": 8}
    assert names((cluster_ip, port)) == {"remote-ready": 8}, "the Cluster policy has a ready endpoint"
    status, body, _ = health_check(health_port)
    assert (status, body["localEndpoints"]) == (503, 0), "only ready endpoints count: the load balancer drains the node"


# --------------------------------------------------------------------------- health-check NodePorts that cannot bind

def test_a_health_check_node_port_that_cannot_bind_is_a_warning_and_a_metric_and_the_service_still_serves(
        start_backend, start_daemon, write_config, node_port):
    local = start_backend(identify, name="local")
    cluster_ip, port = cluster_address()
    health_port = pick_port(("127.0.0.1",))
    text = policy_yaml(node_port=node_port, cluster_ip=cluster_ip, port=port, external="Local", kind="LoadBalancer",
                       health_port=health_port, endpoints=[(local.endpoint, NODE)])
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        holder.bind(("127.0.0.1", health_port))
        holder.listen(1)
        config, daemon = start(start_daemon, write_config, text)

        assert names(("127.0.0.1", node_port), 4, source=OUTSIDE) == {"local": 4}, "the rest is served"
        samples = scrape(daemon)
        assert series(samples, "svcproxy_health_check_nodeport_bind_errors_total") == 1
        assert series(samples, "svcproxy_health_check_nodeport_unserved", namespace="default", service="web",
                      address=f"127.0.0.1:{health_port}") == 1
        # Written by the logging thread, possibly a moment later.
        line = f"Failed to start the health check of default/web on port {health_port}"
        assert poll_until(lambda: line in daemon.log_text(), timeout=5), daemon.log_tail()
        assert any("1 health-check NodePort address not served" in n.get("STATUS", "") for n in daemon.notifications)
    finally:
        holder.close()

    daemon.reload()  # a reload tries again

    status, body, _ = health_check(health_port)
    assert (status, body["localEndpoints"]) == (200, 1)
    samples = scrape(daemon)
    assert series(samples, "svcproxy_health_check_nodeport_unserved", namespace="default", service="web",
                  address=f"127.0.0.1:{health_port}") is None
    assert series(samples, "svcproxy_health_check_nodeport_bind_errors_total") == 1


# --------------------------------------------------------------------------- check --print-plan

def test_check_print_plan_shows_local_endpoints_the_local_policy_and_the_health_check_node_port(write_config, node_port):
    cluster_ip, port = cluster_address()
    health_port = pick_port(("127.0.0.1",))
    config = write_config(slice_yaml(
        node_port=node_port, cluster_ip=cluster_ip, port=port, external="Local", kind="LoadBalancer", health_port=health_port,
        endpoints=[(("127.0.0.11", 8080), NODE, TERMINATING), (("127.0.0.12", 8080), "other-node", READY)]))

    result = print_plan([config], "--hostname-override", NODE)

    assert result.returncode == 0, result.stdout + result.stderr
    block = plan_block(result.stdout, "default/web:http (TCP, externalTrafficPolicy Local)")
    assert f"  listen   127.0.0.1:{node_port} (NodePort, Local)" in block, result.stdout
    assert f"  listen   {cluster_ip}:{port} (ClusterIP)" in block
    assert "  endpoint 127.0.0.12:8080" in block
    assert "  endpoint 127.0.0.11:8080 (local, serving and terminating, Local policy only)" in block
    health = plan_block(result.stdout, f"default/web (health-check NodePort {health_port})")
    assert health[1:] == [f"  listen   127.0.0.1:{health_port} (health check)", "  0 local ready endpoints: answers 503"], result.stdout
