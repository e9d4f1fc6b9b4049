"""Bounded by default: what a remote peer can grow has a limit, and hitting it neither costs
more per connection nor fills the log. A flood of clients that a NetworkPolicy denies, a
session-affinity table at its size, and an endpoint that vanishes without a FIN."""

import os
import re
import shutil
import socket
import subprocess
import time

import pytest

from harness import Deadline, echo, identify, pick_cluster_ip, pick_port, poll_until
from harness.netns import ip, namespace_pair, python_in, run_daemons_in
from harness.admin import metric_total
from harness.node import documents, echo_round_trip, name_from, pod_yaml, policy_yaml, selector_service_yaml
from harness.daemon import service_yaml

DENY_ALL = policy_yaml("deny-all", "  podSelector: {}\n  policyTypes: [Ingress]\n")


def flood_address(index: int) -> str:
    """A distinct loopback client address for each index: 127.77.x.y."""
    return f"127.77.{index // 250}.{index % 250 + 1}"


def flood(address: tuple[str, int], first: int, count: int) -> int:
    """Connect `count` times from distinct addresses; returns how many were reset."""
    resets = 0
    deadline = Deadline(120)
    for index in range(first, first + count):
        assert not deadline.expired(), "the flood took more than two minutes"
        with socket.socket() as sock:
            sock.settimeout(5)
            sock.bind((flood_address(index), 0))
            try:
                sock.connect(address)
                if sock.recv(16) == b"":
                    continue
            except ConnectionResetError:
                resets += 1
    return resets


def test_a_flood_of_denied_clients_costs_the_same_per_connection_and_a_bounded_log(start_backend, start_daemon, write_config):
    cluster_ip = pick_cluster_ip()
    port = pick_port((cluster_ip,))
    pod_ip = pick_cluster_ip()
    backend = start_backend(identify, host=pod_ip, name="web")
    config = documents(selector_service_yaml("web", cluster_ip, {"http": port}),
                       pod_yaml("web-a", pod_ip, {"app": "web"}, {"http": backend.port}), DENY_ALL)
    started = time.monotonic()
    daemon = start_daemon(write_config(config), workers=2)

    cpu_start, rss_start = daemon.cpu_seconds(), daemon.rss_kib()
    assert flood((cluster_ip, port), 0, 5000) == 5000
    cpu_first, rss_first = daemon.cpu_seconds() - cpu_start, daemon.rss_kib()
    assert flood((cluster_ip, port), 5000, 5000) == 5000
    cpu_second, rss_second = daemon.cpu_seconds() - cpu_start - cpu_first, daemon.rss_kib()

    print(f"CPU s: first 5,000 {cpu_first:.2f}, next 5,000 {cpu_second:.2f}; "
          f"RSS KiB: start {rss_start}, after 5,000 {rss_first}, after 10,000 {rss_second}")
    # Nothing per client is kept: the second 5,000 cost what the first did, and memory is flat.
    assert cpu_second <= 2 * cpu_first + 0.3
    assert rss_second - rss_first < 1024
    assert metric_total(daemon, "svcproxy_connections_refused_total") == 10_000
    denials = [line for line in daemon.log_text().splitlines() if "NetworkPolicy denies client" in line]
    print(f"{len(denials)} denial lines for 10,000 refused connections")
    # One line per worker per 10 s window, however many clients.
    assert 1 <= len(denials) <= 2 * (int(time.monotonic() - started) // 10 + 1)
    assert any("similar messages suppressed" in line for line in denials) or len(denials) <= 2


def test_affinity_at_its_size_bound_serves_new_clients_and_counts_evictions(start_backend, start_daemon, write_config):
    cluster_ip = pick_cluster_ip()
    port = pick_port((cluster_ip,))
    pods = []
    for name in ("a", "b"):
        pod_ip = pick_cluster_ip()
        backend = start_backend(identify, host=pod_ip, name=name)
        pods.append(pod_yaml(f"web-{name}", pod_ip, {"app": "web"}, {"http": backend.port}))
    service = selector_service_yaml("web", cluster_ip, {"http": port},
                                    extra_spec="  sessionAffinity: ClientIP\n")
    daemon = start_daemon(write_config(documents(service, *pods)), extra_args=("--affinity-table-size", "50"))
    clients = [f"127.78.0.{index}" for index in range(1, 151)]
    answers = [name_from(client, (cluster_ip, port)) for client in clients]
    assert set(answers) == {"a", "b"}, "every new client is served at the bound"
    assert metric_total(daemon, "svcproxy_affinity_evictions_total") == 100
    # The 50 most recent clients are still pinned; one evicted long ago may land anywhere.
    assert [name_from(client, (cluster_ip, port)) for client in clients[-50:]] == answers[-50:]
    assert "50 affinity pins per service port" in daemon.log_text(), daemon.log_tail()


def ip_netns_read(namespace: str, path: str) -> str:
    """A file as a process inside `namespace` sees it (sysctls are per namespace)."""
    return subprocess.run(["ip", "netns", "exec", namespace, "cat", path], check=True, capture_output=True,
                          text=True, timeout=10).stdout.strip()


KEEPALIVE_BACKEND = """
import socket
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("0.0.0.0", 8080))
listener.listen(4)
print("ready", flush=True)
listener.settimeout(60)
conn, _ = listener.accept()
conn.settimeout(60)
while True:
    data = conn.recv(100)
    if not data:
        break
    conn.sendall(data)
"""

KEEPALIVE_CLIENT = """
import socket, sys, time
sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
sock.sendall(b"ping")
assert sock.recv(4) == b"ping"
print("connected", flush=True)
sys.stdin.readline()  # the test drops the endpoint's packets, then says go
start = time.monotonic()
sock.settimeout(float(sys.argv[2]))
try:
    ending = "eof" if sock.recv(100) == b"" else "data"
except ConnectionResetError:
    ending = "reset"
except socket.timeout:
    ending = "timeout"
print(ending, round(time.monotonic() - start, 1), flush=True)
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")
def test_an_endpoint_that_vanishes_without_a_fin_is_closed_by_keepalive(start_daemon, write_config, tmp_path, monkeypatch):
    with namespace_pair() as (node, far):
        backend = python_in(far, KEEPALIVE_BACKEND, stdout=subprocess.PIPE, text=True)
        client = None
        try:
            assert backend.stdout is not None and backend.stdout.readline().strip() == "ready"
            node_port = pick_port(("127.0.0.1",))
            run_daemons_in(node, tmp_path, monkeypatch)
            start_daemon(write_config(service_yaml("far", node_port=node_port, endpoints=[("10.250.0.2", 8080)])),
                         extra_args=("--tcp-keepalive", "1s"))
            client = python_in(node, KEEPALIVE_CLIENT, str(node_port), "30", stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               text=True)
            assert client.stdout is not None and client.stdin is not None
            assert client.stdout.readline().strip() == "connected"
            # The far host stops answering: its replies to the node go nowhere, no FIN, no RST.
            ip("-n", far, "route", "add", "blackhole", "10.250.0.1/32")
            client.stdin.write("go\n")
            client.stdin.flush()
            ending, seconds = client.stdout.readline().split()
            # 1 s of silence, then the namespace's probe count (9 unless changed) a second
            # apart, and the client is told; a few seconds more for scheduling.
            probes = int(ip_netns_read(node, "/proc/sys/net/ipv4/tcp_keepalive_probes"))
            assert ending == "reset", ending
            assert float(seconds) <= 1 + probes * 1 + 4
        finally:
            for process in (client, backend):
                if process is not None:
                    process.kill()  # our own children, by PID
                    process.wait(timeout=10)


def keepalive_seconds_left(ss_line: str) -> float | None:
    """The time until a socket's keepalive timer fires, from `ss -o` ("timer:(keepalive,1.250ms,0)"
    is 1.25 s: seconds, then "." and the milliseconds; "14sec", "1min5sec"); None without one."""
    match = re.search(r"timer:\(keepalive,(?:(\d+)min)?(?:(\d+)(?:sec|\.))?(?:(\d+)ms)?,", ss_line)
    if match is None:
        return None
    minutes, seconds, milliseconds = (int(group) if group else 0 for group in match.groups())
    return minutes * 60 + seconds + milliseconds / 1000


@pytest.mark.skipif(shutil.which("ss") is None, reason="needs ss (iproute2)")
def test_an_endpoint_socket_gets_keepalive_once_its_connection_has_lived_a_second(start_backend, start_daemon,
                                                                                   write_config):
    """A connection that ends within its first second never goes silent long enough for a
    probe, so its endpoint socket is spared the keepalive system calls; a longer one gets
    keepalive then, and Linux counts the silence from the last segment received, so its
    probes leave when they would have had keepalive been on from the start."""
    backend = start_backend(echo)
    node_port = pick_port(("127.0.0.1",))
    idle = 3
    daemon = start_daemon(write_config(service_yaml("alive", node_port=node_port, endpoints=[backend.endpoint])),
                          extra_args=("--tcp-keepalive", f"{idle}s"))

    def daemons_sockets() -> dict[str, str]:
        """The daemon's two sockets of the connection: the client's and the endpoint's."""
        result = subprocess.run(["ss", "-tnopH", "state", "established",
                                 f"( sport = :{node_port} or dport = :{backend.port} )"],
                                capture_output=True, text=True, timeout=10)
        lines = [line for line in result.stdout.splitlines() if f"pid={daemon.pid}," in line]
        return {"client" if f":{node_port} " in line else "endpoint": line for line in lines}

    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", node_port), timeout=5) as sock:
        assert echo_round_trip(sock)
        silent_since = time.monotonic()  # the endpoint's answer was the last segment either socket received
        first = daemons_sockets()
        looked = time.monotonic()
        assert set(first) == {"client", "endpoint"}, first
        assert keepalive_seconds_left(first["client"]) is not None, "accepted sockets inherit it from the listener"
        if looked - started < 0.8:  # a machine this slow cannot tell
            assert keepalive_seconds_left(first["endpoint"]) is None, first["endpoint"]

        assert poll_until(lambda: keepalive_seconds_left(daemons_sockets().get("endpoint", "")) is not None, 5), \
            daemons_sockets()
        later = daemons_sockets()
        looked = time.monotonic()
        print(later)
        for side in ("client", "endpoint"):
            left = keepalive_seconds_left(later[side])
            assert left is not None, later[side]
            # Counted from when keepalive was turned on (a second after the connection
            # started), the endpoint's would have about a second more left.
            assert left <= idle - (looked - silent_since) + 0.3, (side, left, looked - silent_since)
