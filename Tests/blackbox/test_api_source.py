"""The Kubernetes API as the configuration source, against the test API server
(harness/kubeapi.py) driven by the official `kubernetes` Python client.

Services and EndpointSlices created through the client become reachable through the
daemon; an endpoint removed stops getting new connections; an expired watch (410) costs
exactly one list per kind; the API server gone leaves traffic flowing and /healthz 503 with
the reason, until it answers again; every connection to the API server has a keepalive timer.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import time

import pytest

kubernetes = pytest.importorskip("kubernetes")

from harness import BINARY, DaemonError, ask_name, identify, pick_cluster_ip, pick_port, poll_until  # noqa: E402
from harness.admin import health, metric_total  # noqa: E402
from harness.kubeapi import ALWAYS_WATCHED, KubeAPIServer, create_web, service_body, slice_body  # noqa: E402


@pytest.fixture
def api_server():
    server = KubeAPIServer()
    yield server
    server.stop()


def start_api_daemon(start_daemon, api_server, tmp_path, extra_args=()):
    kubeconfig = api_server.kubeconfig(tmp_path / "kubeconfig")
    return start_daemon([], extra_args=("--kubeconfig", kubeconfig, "--min-sync-period", "200ms", *extra_args))


def names_seen(port: int, count: int) -> set[str]:
    return {ask_name(("127.0.0.1", port)) for _ in range(count)}


def test_a_service_created_through_the_client_becomes_reachable_and_a_removed_endpoint_stops(
        api_server, start_daemon, start_backend, tmp_path):
    one = start_backend(identify, name="one")
    two = start_backend(identify, name="two")
    node_port = pick_port()
    discovery = create_web(api_server.client(), one, pick_cluster_ip(), node_port)
    daemon = start_api_daemon(start_daemon, api_server, tmp_path)
    assert names_seen(node_port, 4) == {"one"}

    discovery.replace_namespaced_endpoint_slice("web-1", "default", slice_body("web", [two.endpoint]))
    # Within min-sync-period + 1 s, with room for a loaded machine.
    assert poll_until(lambda: names_seen(node_port, 2) == {"two"}, 0.2 + 1 + 5), "the replaced endpoint still gets connections"
    assert "Synced with the API server" in daemon.log_text()


def test_an_expired_watch_costs_exactly_one_list_per_kind(api_server, start_daemon, start_backend, tmp_path):
    backend = start_backend(identify, name="one")
    node_port = pick_port()
    discovery = create_web(api_server.client(), backend, pick_cluster_ip(), node_port)
    daemon = start_api_daemon(start_daemon, api_server, tmp_path)
    assert api_server.listed() == {path: 1 for path in ALWAYS_WATCHED}
    assert poll_until(lambda: all(count >= 1 for count in api_server.watched().values()), 5), "no watch opened"

    api_server.compact()
    assert poll_until(lambda: all(count == 2 for count in api_server.listed().values()), 10), "no relist after 410"
    assert poll_until(lambda: metric_total(daemon, "svcproxy_api_relists_total") == len(ALWAYS_WATCHED), 10), "the relists are not counted"
    # A change after the relist still arrives through the new watch, and no further list is made.
    other = start_backend(identify, name="two")
    discovery.replace_namespaced_endpoint_slice("web-1", "default", slice_body("web", [other.endpoint]))
    assert poll_until(lambda: names_seen(node_port, 2) == {"two"}, 10), "the change after the relist did not arrive"
    assert api_server.listed() == {path: 2 for path in ALWAYS_WATCHED}


def test_the_api_server_gone_keeps_traffic_and_turns_healthz_503_with_the_reason(
        api_server, start_daemon, start_backend, tmp_path):
    backend = start_backend(identify, name="one")
    node_port = pick_port()
    create_web(api_server.client(), backend, pick_cluster_ip(), node_port)
    daemon = start_api_daemon(start_daemon, api_server, tmp_path)
    status, body = health(daemon, "/healthz")
    assert status == 200, body

    api_server.stop()
    def unhealthy():
        status, body = health(daemon, "/healthz")
        return status == 503 and "no answer from the API server" in body.get("reason", "")
    assert poll_until(unhealthy, 20), "/healthz did not turn 503 with the reason"
    assert names_seen(node_port, 3) == {"one"}


def test_an_unreachable_api_server_holds_ready_and_says_why(start_daemon, tmp_path):
    """No READY=1 without a first list; the log says why (the harness waits 10 s for READY)."""
    server = f"http://127.0.0.1:{pick_port(('127.0.0.1',))}"   # nothing listens there
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "c", "cluster": {"server": server}}], "users": [{"name": "u", "user": {}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}]}))
    with pytest.raises(DaemonError) as failure:
        start_daemon([], extra_args=("--kubeconfig", str(kubeconfig)))
    assert "no READY=1" in str(failure.value)
    assert "Connection refused" in str(failure.value)


def test_a_kubeconfig_asking_for_a_plugin_is_refused_naming_the_field(tmp_path):
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:1\n"
        "users:\n- name: u\n  user:\n    exec:\n      command: aws\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\n")
    result = subprocess.run([str(BINARY), "run", "--kubeconfig", str(kubeconfig)], capture_output=True, text=True, timeout=10)
    assert result.returncode == 78, result.stderr
    assert f"{kubeconfig}:12:7: users[0].user.exec: Forbidden: svcproxy runs no credential plugins" in result.stderr


def test_a_watch_cut_mid_event_resumes_without_a_list(api_server, start_daemon, start_backend, tmp_path):
    backend = start_backend(identify, name="one")
    node_port = pick_port()
    discovery = create_web(api_server.client(), backend, pick_cluster_ip(), node_port)
    start_api_daemon(start_daemon, api_server, tmp_path)
    assert poll_until(lambda: all(count >= 1 for count in api_server.watched().values()), 5), "no watch opened"
    watches = api_server.watched()

    api_server.cut_watches()
    assert poll_until(lambda: all(api_server.watches[p] > watches[p] for p in watches), 10), "the watch was not resumed"
    other = start_backend(identify, name="two")
    discovery.replace_namespaced_endpoint_slice("web-1", "default", slice_body("web", [other.endpoint]))
    assert poll_until(lambda: names_seen(node_port, 2) == {"two"}, 10), "a change after the cut did not arrive"
    assert api_server.listed() == {path: 1 for path in ALWAYS_WATCHED}


def test_a_token_file_rotated_on_disk_is_read_again(api_server, start_daemon, start_backend, tmp_path):
    backend = start_backend(identify, name="one")
    node_port = pick_port()
    discovery = create_web(api_server.client(), backend, pick_cluster_ip(), node_port)
    token_file = tmp_path / "token"
    token_file.write_text(api_server.token + "\n")
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "c", "cluster": {"server": api_server.url}}],
        "users": [{"name": "u", "user": {"tokenFile": str(token_file)}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}]}))
    start_daemon([], extra_args=("--kubeconfig", str(kubeconfig), "--min-sync-period", "200ms"))
    assert poll_until(lambda: all(count >= 1 for count in api_server.watched().values()), 5), "no watch opened"
    token_file.write_text("rotated-token\n")
    api_server.token = "rotated-token"
    discovery.api_client.configuration.api_key = {"authorization": "rotated-token"}
    api_server.compact()        # every watch ends with 410: the lists that follow carry the new token
    assert poll_until(lambda: all(count == 2 for count in api_server.listed().values()), 10), "no list with the new token"
    other = start_backend(identify, name="two")
    discovery.replace_namespaced_endpoint_slice("web-1", "default", slice_body("web", [other.endpoint]))
    assert poll_until(lambda: names_seen(node_port, 2) == {"two"}, 10), "a change after the rotation did not arrive"


def test_a_burst_of_changes_is_applied_in_a_few_plans(api_server, start_daemon, start_backend, tmp_path):
    """Changes are applied at most once per --min-sync-period: 100 EndpointSlice updates cost
    one apply per period they span, plus the one that starts it, plus the last."""
    backends = [start_backend(identify, name=f"b{index}") for index in range(2)]
    node_port = pick_port()
    discovery = create_web(api_server.client(), backends[0], pick_cluster_ip(), node_port)
    period = 3.0
    daemon = start_daemon([], extra_args=("--kubeconfig", api_server.kubeconfig(tmp_path / "kubeconfig"),
                                          "--min-sync-period", f"{period}s"))
    before = daemon.log_text().count("event=api-sync")
    started = time.monotonic()
    for index in range(100):
        discovery.replace_namespaced_endpoint_slice("web-1", "default", slice_body("web", [backends[index % 2].endpoint]))
    spanned = time.monotonic() - started
    assert poll_until(lambda: names_seen(node_port, 2) == {"b1"}, period + 10), "the last change did not arrive"
    applies = daemon.log_text().count("event=api-sync") - before
    assert 1 <= applies <= math.ceil(spanned / period) + 2, (applies, spanned)


def test_an_object_svcproxy_refuses_is_skipped_counted_and_the_others_serve(api_server, start_daemon, start_backend, tmp_path):
    backend = start_backend(identify, name="one")
    node_port = pick_port()
    api = api_server.client()
    create_web(api, backend, pick_cluster_ip(), node_port)
    bad = service_body("bad", pick_cluster_ip(), pick_port())
    bad["spec"]["ports"][0]["port"] = 70000     # the test server does not validate; svcproxy does
    kubernetes.client.CoreV1Api(api).create_namespaced_service("default", bad)
    daemon = start_api_daemon(start_daemon, api_server, tmp_path)
    assert ask_name(("127.0.0.1", node_port)) == "one"
    assert 'Skipped Service "default/bad" from the API server' in daemon.log_text()
    assert "spec.ports[0].port: Invalid value: 70000" in daemon.log_text()
    assert metric_total(daemon, "svcproxy_api_objects_rejected_total") == 1


def test_an_ingress_and_its_class_from_the_api_route_http(api_server, start_ingress, start_http_backend, tmp_path):
    from harness.ingress import CONTROLLER, get, host_rule, path_rule

    backend = start_http_backend("a")
    api = api_server.client()
    create_web(api, backend, pick_cluster_ip(), pick_port())
    networking = kubernetes.client.NetworkingV1Api(api)
    networking.create_ingress_class({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
                                     "metadata": {"name": "svcproxy"}, "spec": {"controller": CONTROLLER}})
    networking.create_namespaced_ingress("default", {
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "site", "namespace": "default"},
        "spec": {"ingressClassName": "svcproxy", "rules": [host_rule("foo.example", path_rule("/", "web"))]}})
    daemon = start_ingress([], extra_args=("--kubeconfig", api_server.kubeconfig(tmp_path / "kubeconfig")))
    response = get(daemon.ingress_address, "/x")
    assert response.status == 200, response
    assert response.header("X-Backend") == "a"


@pytest.mark.skipif(shutil.which("ss") is None, reason="needs ss (iproute2)")
def test_every_connection_to_the_api_server_has_a_keepalive_timer(api_server, start_daemon, start_backend, tmp_path):
    """The kernel probes each watch's connection once it is silent (figures: KubeAPITests),
    so a server gone without a FIN is noticed in 30 s rather than after the watch's timeout."""
    backend = start_backend(identify, name="one")
    create_web(api_server.client(), backend, pick_cluster_ip(), pick_port())
    daemon = start_api_daemon(start_daemon, api_server, tmp_path)
    assert poll_until(lambda: all(count >= 1 for count in api_server.watched().values()), 5), "no watch opened"

    def daemons_connections() -> list[str]:
        result = subprocess.run(["ss", "-tnopH", "state", "established", f"( dport = :{api_server.port} )"],
                                capture_output=True, text=True, timeout=10)
        return [line for line in result.stdout.splitlines() if f"pid={daemon.pid}," in line]

    assert poll_until(lambda: len(daemons_connections()) >= len(api_server.watched()), 5), daemons_connections()
    lines = daemons_connections()
    timers = [re.search(r"timer:\((\w+),", line) for line in lines]
    assert all(timer and timer.group(1) == "keepalive" for timer in timers), lines
