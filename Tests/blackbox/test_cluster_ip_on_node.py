"""ClusterIPs on the node, in network namespaces this test makes: the daemon runs in a "node"
namespace with --cluster-ip-interface lo and serves 10.96.0.10:80; a client in a second
namespace, routed to the node over a veth pair, reaches it. Deleting the service by reload
takes its address off the interface, and after the daemon exits none of its addresses remain.
Needs root (ip netns); every namespace made here is deleted again."""

import os
import secrets
import subprocess
import sys
import time
from contextlib import contextmanager

import pytest

import harness.daemon
from harness import service_yaml

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")

BACKEND = """
import socket, sys
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 8080))
listener.listen(16)
print("ready", flush=True)
listener.settimeout(60)
for _ in range(100):
    conn, _ = listener.accept()
    conn.sendall(b"node-backend")
    conn.close()
"""

CLIENT = """
import socket, sys
with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5) as sock:
    data = b""
    while True:
        part = sock.recv(100)
        if not part:
            break
        data += part
print(data.decode())
"""


def ip(*args: str) -> str:
    return subprocess.run(["ip", *args], check=True, capture_output=True, text=True, timeout=10).stdout


@pytest.fixture
def namespaces():
    suffix = secrets.token_hex(3)
    node, client = f"svcp-node-{suffix}", f"svcp-client-{suffix}"
    veth_node, veth_client = f"svn{suffix}", f"svc{suffix}"
    made = []
    try:
        for name in (node, client):
            ip("netns", "add", name)
            made.append(name)
        ip("link", "add", veth_node, "type", "veth", "peer", "name", veth_client)
        ip("link", "set", veth_node, "netns", node)
        ip("link", "set", veth_client, "netns", client)
        ip("-n", node, "addr", "add", "10.250.0.1/30", "dev", veth_node)
        ip("-n", client, "addr", "add", "10.250.0.2/30", "dev", veth_client)
        for name, veth in ((node, veth_node), (client, veth_client)):
            ip("-n", name, "link", "set", "lo", "up")
            ip("-n", name, "link", "set", veth, "up")
        ip("-n", client, "route", "add", "10.96.0.0/12", "via", "10.250.0.1")
        yield node, client
    finally:
        for name in made:
            subprocess.run(["ip", "netns", "delete", name], timeout=10, check=False)


def run_daemons_in(namespace: str, tmp_path, monkeypatch, prefix: str = "") -> None:
    """Make start_daemon run svcproxy inside `namespace` (through a wrapper script), with
    `prefix` (e.g. a setpriv call) in front of it."""
    wrapper = tmp_path / "svcproxy-in-node"
    wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {namespace} {prefix}{harness.daemon.BINARY} "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setattr(harness.daemon, "BINARY", wrapper)


@contextmanager
def backend_in(namespace: str):
    """The echo-name backend on 127.0.0.1:8080 inside `namespace`, for as long as the block runs."""
    backend = subprocess.Popen(["ip", "netns", "exec", namespace, sys.executable, "-c", BACKEND],
                               stdout=subprocess.PIPE, text=True)
    try:
        assert backend.stdout is not None and backend.stdout.readline().strip() == "ready"
        yield backend
    finally:
        backend.kill()  # our own child, by PID
        backend.wait(timeout=10)


def lo_addresses(namespace: str) -> str:
    return ip("-n", namespace, "-o", "addr", "show", "dev", "lo")


def ask_from(namespace: str, host: str, port: int) -> str:
    result = subprocess.run(["ip", "netns", "exec", namespace, sys.executable, "-c", CLIENT, host, str(port)],
                            capture_output=True, text=True, timeout=15)
    return result.stdout.strip() if result.returncode == 0 else f"failed: {result.stderr.strip()[-200:]}"


def test_cluster_ips_are_added_to_the_interface_reached_from_another_namespace_and_removed(
        namespaces, start_daemon, write_config, tmp_path, monkeypatch):
    node, client = namespaces
    with backend_in(node):
        run_daemons_in(node, tmp_path, monkeypatch)
        web = service_yaml("web", cluster_ip="10.96.0.10", port=80, endpoints=[("127.0.0.1", 8080)])
        extra = service_yaml("extra", cluster_ip="10.96.0.11", port=80, endpoints=[("127.0.0.1", 8080)])
        extra = extra.replace('  clusterIP: "10.96.0.11"\n', '  clusterIP: "10.96.0.11"\n  externalIPs: ["10.250.1.1"]\n')
        config = write_config(web + "---\n" + extra)
        daemon = start_daemon(config, extra_args=("--service-cluster-ip-range", "10.96.0.0/12",
                                                  "--cluster-ip-interface", "lo"))
        addresses = lo_addresses(node)
        assert "10.96.0.10/32" in addresses and "10.96.0.11/32" in addresses and "10.250.1.1/32" in addresses

        assert ask_from(client, "10.96.0.10", 80) == "node-backend"

        write_config(extra)
        daemon.reload()
        addresses = lo_addresses(node)
        assert "10.96.0.10/32" not in addresses
        assert "10.96.0.11/32" in addresses
        assert ask_from(client, "10.96.0.11", 80) == "node-backend"

        daemon.stop()
        addresses = lo_addresses(node)
        assert "10.96.0.11/32" not in addresses and "10.250.1.1/32" not in addresses
        assert "127.0.0.1/8" in addresses


def test_without_an_interface_the_daemon_says_once_which_addresses_will_not_receive_traffic(
        namespaces, start_daemon, write_config, tmp_path, monkeypatch):
    node, _ = namespaces
    run_daemons_in(node, tmp_path, monkeypatch)
    config = write_config(service_yaml("web", cluster_ip="10.96.0.10", port=80, endpoints=[("127.0.0.1", 8080)]))
    daemon = start_daemon(config, extra_args=("--service-cluster-ip-range", "10.96.0.0/12"))
    daemon.reload()
    log = daemon.log_text()
    assert log.count("Service addresses 10.96.0.10 are not addresses of this node") == 1
    assert "10.96.0.10" not in lo_addresses(node)


def test_without_cap_net_admin_the_daemon_says_once_which_addresses_will_not_receive_traffic(
        namespaces, start_daemon, write_config, tmp_path, monkeypatch):
    node, _ = namespaces
    run_daemons_in(node, tmp_path, monkeypatch, prefix="setpriv --inh-caps=-net_admin --bounding-set=-net_admin ")
    config = write_config(service_yaml("web", cluster_ip="10.96.0.10", port=80, endpoints=[("127.0.0.1", 8080)]))
    daemon = start_daemon(config, extra_args=("--service-cluster-ip-range", "10.96.0.0/12", "--cluster-ip-interface", "lo"))
    daemon.reload()
    log = daemon.log_text()
    assert log.count("Service addresses 10.96.0.10 are not added to lo: adding addresses needs CAP_NET_ADMIN") == 1
    assert "10.96.0.10" not in lo_addresses(node)


def test_connect_timeout_replaces_the_per_try_timeout_of_the_ladder(namespaces, start_daemon, write_config, tmp_path, monkeypatch):
    node, _ = namespaces
    # Packets to 10.251.0.1 go to the client namespace, which does not forward them: a
    # connect there gets no answer at all and can only time out.
    ip("-n", node, "route", "add", "10.251.0.0/24", "via", "10.250.0.2")
    with backend_in(node):
        run_daemons_in(node, tmp_path, monkeypatch)
        config = write_config(service_yaml("web", cluster_ip="10.96.0.10", port=80,
                                           endpoints=[("10.251.0.1", 80), ("127.0.0.1", 8080)]))
        start_daemon(config, extra_args=("--service-cluster-ip-range", "10.96.0.0/12", "--cluster-ip-interface", "lo",
                                         "--connect-timeout", "1500ms"))
        started = time.monotonic()
        answer = ask_from(node, "10.96.0.10", 80)  # round-robin starts at the silent endpoint
        elapsed = time.monotonic() - started
        assert answer == "node-backend"
        assert 1.4 <= elapsed < 5.0, elapsed  # not the ladder's 250 ms first try
