"""kube-proxy's rules for what it takes from the API, against the test API server
(harness/kubeapi.py) driven by the official `kubernetes` Python client: Services another
proxy names (service.kubernetes.io/service-proxy-name) are left alone, headless Services are
not proxied, and the time from an EndpointSlice change to its apply is measured from the
controller's last-change-trigger-time, as kube-proxy's network_programming_duration_seconds.
"""

from __future__ import annotations

import socket
import time
from datetime import datetime, timedelta, timezone

import pytest

kubernetes = pytest.importorskip("kubernetes")

from harness import identify, pick_cluster_ip, pick_port, poll_until  # noqa: E402
from harness.admin import scrape, series  # noqa: E402
from harness.kubeapi import create_web, service_body, slice_body  # noqa: E402
from test_api_source import api_server, names_seen, start_api_daemon  # noqa: E402,F401  (a fixture, used by name)

PROGRAMMING = "svcproxy_network_programming_duration_seconds"


def triggered(body: dict, when: datetime) -> dict:
    """`body` (an EndpointSlice) stamped as the EndpointSlice controller does: RFC3339Nano, UTC."""
    body["metadata"].setdefault("annotations", {})["endpoints.kubernetes.io/last-change-trigger-time"] = (
        when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f000Z"))
    return body


def programming(daemon) -> tuple[float, float, float]:
    """The histogram's count, sum, and count at or below one second."""
    samples = scrape(daemon)
    return (series(samples, PROGRAMMING + "_count") or 0, series(samples, PROGRAMMING + "_sum") or 0,
            series(samples, PROGRAMMING + "_bucket", le="1.0") or 0)


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return False
    except ConnectionRefusedError:
        return True


def test_network_programming_is_measured_from_the_trigger_time_of_changes_made_since_start(
        api_server, start_daemon, start_backend, tmp_path):
    one = start_backend(identify, name="one")
    two = start_backend(identify, name="two")
    node_port = pick_port()
    api = api_server.client()
    kubernetes.client.CoreV1Api(api).create_namespaced_service("default", service_body("web", pick_cluster_ip(), node_port))
    discovery = kubernetes.client.DiscoveryV1Api(api)
    # Changed an hour ago, before the daemon ran: kube-proxy leaves such changes out, they would measure its downtime.
    discovery.create_namespaced_endpoint_slice(
        "default", triggered(slice_body("web", [one.endpoint]), datetime.now(timezone.utc) - timedelta(hours=1)))
    started = time.time()
    daemon = start_api_daemon(start_daemon, api_server, tmp_path)
    assert names_seen(node_port, 2) == {"one"}
    assert programming(daemon) == (0, 0, 0)

    # A change the controller saw three seconds ago (once the daemon has run longer than
    # that): at least three seconds from it to the apply.
    time.sleep(max(0.0, started + 4 - time.time()))
    discovery.replace_namespaced_endpoint_slice(
        "web-1", "default", triggered(slice_body("web", [two.endpoint]), datetime.now(timezone.utc) - timedelta(seconds=3)))
    assert poll_until(lambda: programming(daemon)[0] == 1, 10), "the change was not measured"
    count, total, within_a_second = programming(daemon)
    assert 3 <= total < 300 and within_a_second == 0, (count, total)
    assert names_seen(node_port, 2) == {"two"}

    # A change without the annotation is applied and not measured.
    discovery.replace_namespaced_endpoint_slice("web-1", "default", slice_body("web", [one.endpoint]))
    assert poll_until(lambda: names_seen(node_port, 2) == {"one"}, 10)
    assert programming(daemon)[0] == 1


def test_services_another_proxy_names_are_left_alone_and_ours_are_served(api_server, start_daemon, start_backend, tmp_path):
    backend = start_backend(identify, name="one")
    ports = {name: pick_port() for name in ("plain", "ours", "theirs")}
    core = kubernetes.client.CoreV1Api(api_server.client())
    discovery = kubernetes.client.DiscoveryV1Api(api_server.client())
    bodies = {name: service_body(name, pick_cluster_ip(), port) for name, port in ports.items()}
    for name, body in bodies.items():
        if name != "plain":
            body["metadata"]["labels"] = {"service.kubernetes.io/service-proxy-name": "svcproxy" if name == "ours" else "other"}
        core.create_namespaced_service("default", body)
        discovery.create_namespaced_endpoint_slice("default", slice_body(name, [backend.endpoint]))
    start_api_daemon(start_daemon, api_server, tmp_path, extra_args=("--service-proxy-name", "svcproxy"))
    assert names_seen(ports["plain"], 1) == {"one"}
    assert names_seen(ports["ours"], 1) == {"one"}
    assert refused(ports["theirs"])

    # Handed over to the other proxy: it goes; handed back: it comes.
    for name, proxy in (("ours", "other"), ("theirs", "svcproxy")):
        bodies[name]["metadata"]["labels"] = {"service.kubernetes.io/service-proxy-name": proxy}
        core.replace_namespaced_service(name, "default", bodies[name])
    assert poll_until(lambda: refused(ports["ours"]), 10), "a Service handed to another proxy is still served"
    assert poll_until(lambda: not refused(ports["theirs"]), 10), "a Service handed to svcproxy is not served"
    assert names_seen(ports["theirs"], 1) == {"one"}


def test_without_a_proxy_name_every_labelled_service_is_another_proxys(api_server, start_daemon, start_backend, tmp_path):
    backend = start_backend(identify, name="one")
    node_port = pick_port()
    create_web(api_server.client(), backend, pick_cluster_ip(), node_port)
    core = kubernetes.client.CoreV1Api(api_server.client())
    other_port = pick_port()
    body = service_body("labelled", pick_cluster_ip(), other_port)
    body["metadata"]["labels"] = {"service.kubernetes.io/service-proxy-name": "svcproxy"}
    core.create_namespaced_service("default", body)
    kubernetes.client.DiscoveryV1Api(api_server.client()).create_namespaced_endpoint_slice(
        "default", slice_body("labelled", [backend.endpoint]))
    start_api_daemon(start_daemon, api_server, tmp_path)
    assert names_seen(node_port, 1) == {"one"}
    assert refused(other_port)


def test_a_headless_service_from_the_api_is_not_proxied(api_server, start_daemon, start_backend, tmp_path):
    backend = start_backend(identify, name="one")
    node_port = pick_port()
    create_web(api_server.client(), backend, pick_cluster_ip(), node_port)
    kubernetes.client.CoreV1Api(api_server.client()).create_namespaced_service("default", {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "db", "namespace": "default"},
        "spec": {"clusterIP": "None", "clusterIPs": ["None"], "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}})
    body = slice_body("db", [backend.endpoint])
    body["metadata"]["labels"]["service.kubernetes.io/headless"] = ""
    kubernetes.client.DiscoveryV1Api(api_server.client()).create_namespaced_endpoint_slice("default", body)
    daemon = start_api_daemon(start_daemon, api_server, tmp_path)
    assert names_seen(node_port, 1) == {"one"}
    assert poll_until(lambda: 'Service "default/db" is a headless service: not proxied' in daemon.log_text(), 5), daemon.log_text()
    assert "for default/db:" not in daemon.log_text()     # no "Listening on ... for default/db:http"
