"""The cluster DNS on a node, as Pods use it: in a network namespace this test makes, whose
resolv.conf (/etc/netns/NAME/resolv.conf, which `ip netns exec` puts in place) names
svcproxy's DNS address with the Kubernetes search path and ndots:5, glibc's resolver finds
a Service by its full name and by its short names, and curl reaches the backend behind the
ClusterIP by name. Needs root (ip netns); the namespace and its /etc/netns directory are
removed again."""

import os
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest

from harness import service_yaml
from harness.netns import ip, python_in, run_daemons_in

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")

CLUSTER_IP = "127.0.96.10"
DNS_ADDRESS = "127.0.0.53"
SEARCH = "default.svc.cluster.local svc.cluster.local cluster.local"

BACKEND = """
import socket
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 8080))
listener.listen(16)
print("ready", flush=True)
listener.settimeout(60)
for _ in range(50):
    conn, _ = listener.accept()
    conn.settimeout(5)
    request = b""
    while b"\\r\\n\\r\\n" not in request:
        part = conn.recv(4096)
        if not part:
            break
        request += part
    body = b"hello from web"
    conn.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n" % len(body) + body)
    conn.close()
"""


@pytest.fixture
def node():
    """A namespace with lo up and /etc/netns/NAME/resolv.conf naming the cluster DNS."""
    name = f"svcp-dns-{secrets.token_hex(3)}"
    etc = Path("/etc/netns") / name
    made_parent = not etc.parent.exists()
    ip("netns", "add", name)
    try:
        ip("-n", name, "link", "set", "lo", "up")
        etc.mkdir(parents=True)
        (etc / "resolv.conf").write_text(f"nameserver {DNS_ADDRESS}\nsearch {SEARCH}\noptions ndots:5 timeout:2 attempts:2\n")
        yield name
    finally:
        shutil.rmtree(etc, ignore_errors=True)
        if made_parent:
            try:
                etc.parent.rmdir()      # only if empty: another test's namespace may use it now
            except OSError:
                pass
        subprocess.run(["ip", "netns", "delete", name], timeout=10, check=False)


@pytest.fixture
def backend(node):
    process = python_in(node, BACKEND, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        yield process
    finally:
        process.kill()  # our own child, by PID
        process.wait(timeout=10)


def run_in(namespace, *command):
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    return subprocess.run(["ip", "netns", "exec", namespace, *command], capture_output=True, text=True, timeout=30,
                          env=env)


@pytest.fixture
def cluster(node, backend, start_daemon, write_config, tmp_path, monkeypatch):
    run_daemons_in(node, tmp_path, monkeypatch)
    return start_daemon(write_config(service_yaml("web", cluster_ip=CLUSTER_IP, port=80,
                                                  endpoints=[("127.0.0.1", 8080)])),
                        extra_args=("--dns-bind-address", f"{DNS_ADDRESS}:53", "--dns-upstream", "none"))


def test_glibc_finds_a_service_by_its_full_name_and_by_its_short_names(node, cluster):
    for name in ("web.default.svc.cluster.local", "web", "web.default", "web.default.svc"):
        result = run_in(node, "getent", "hosts", name)
        assert result.returncode == 0, (name, result.stdout, result.stderr)
        assert result.stdout.split()[0] == CLUSTER_IP, (name, result.stdout)

    # Not found along the search path, nor outside the zone (--dns-upstream none).
    missing = run_in(node, "getent", "hosts", "nosuch")
    assert missing.returncode != 0 and missing.stdout == "", missing


def test_curl_reaches_the_backend_behind_a_cluster_ip_by_name(node, cluster):
    for url in ("http://web.default.svc.cluster.local/", "http://web/"):
        result = run_in(node, "curl", "-sS", "--max-time", "10", url)

        assert result.returncode == 0, (url, result.stderr)
        assert result.stdout == "hello from web", (url, result.stdout)
