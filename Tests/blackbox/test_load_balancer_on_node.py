"""LoadBalancer Services without a cloud, on a "LAN" this test makes: a node namespace and a
client namespace joined by a veth pair (10.250.0.0/24). Pool mode: svcproxy adds each
Service's pool address to its end of the link, announces it with gratuitous ARP so that the
client's neighbour table learns the node's MAC before the client sends anything (arp_accept
on the client, as a LAN host that takes announcements), serves it, and removes it when the
Service goes, on exit, and after a SIGKILL on the next start; a full pool leaves the youngest
Service pending until a deletion frees an address. Node mode: the oldest Service on port 80
is served on the node's address, the next one is pending and takes over when the first is
deleted. Needs root (ip netns); every namespace made here is deleted again."""

import os
import re
import subprocess
import sys

import pytest

import harness.daemon
from harness import poll_until
from harness import netns
from harness.netns import backends_in, ip, namespace_pair, python_in, run_daemons_in

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")

NODE_IP, CLIENT_IP = "10.250.0.1", "10.250.0.2"




def balancer_yaml(name: str, created: str, target_port: int = 8080, port: int = 80) -> str:
    """A LoadBalancer Service created at `created`, with its endpoint on the node's 127.0.0.1."""
    return f"""\
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: default, creationTimestamp: "{created}"}}
spec:
  type: LoadBalancer
  ports: [{{name: http, port: {port}, targetPort: {target_port}}}]
---
apiVersion: v1
kind: Endpoints
metadata: {{name: {name}, namespace: default}}
subsets:
- addresses: [{{ip: 127.0.0.1}}]
  ports: [{{name: http, port: {target_port}}}]
"""


def veth_of(namespace: str) -> str:
    return re.search(r"^\d+: ([^@:]+)", ip("-n", namespace, "-o", "link", "show", "type", "veth"), re.M).group(1)


def mac_of(namespace: str, link: str) -> str:
    return re.search(r"link/ether ([0-9a-f:]+)", ip("-n", namespace, "-o", "link", "show", link)).group(1)


@pytest.fixture
def lan():
    """(node, client, node's link): the client takes gratuitous ARP into its neighbour table."""
    with namespace_pair(NODE_IP, CLIENT_IP, prefix=24) as (node, client):
        subprocess.run(["ip", "netns", "exec", client, "sysctl", "-q", "-w", "net.ipv4.conf.all.arp_accept=1"],
                       check=True, timeout=10)
        yield node, client, veth_of(node)


def ask_from(namespace: str, host: str, port: int = 80) -> str:
    return netns.ask_from(namespace, host, port)


def pool_addresses(namespace: str, link: str, prefix: str = "10.250.0.24") -> set[str]:
    """The /32 addresses from the pool on `link`."""
    text = ip("-n", namespace, "-o", "addr", "show", "dev", link)
    return set(re.findall(rf"inet ({re.escape(prefix)}\d)/32", text))


def assigned(daemon, service: str) -> str:
    """The pool address the daemon's log says `service` got last. The log is written by the
    daemon's logging thread, which may be a moment behind READY=1."""
    pattern = rf"LoadBalancer default/{service}: (\S+) from pool default"
    assert poll_until(lambda: re.search(pattern, daemon.log_text()), timeout=5), daemon.log_tail()
    return re.findall(pattern, daemon.log_text())[-1]


def neighbour(namespace: str, address: str) -> str:
    return ip("-n", namespace, "neigh", "show", address)


def load_balancer_metric(namespace: str, daemon, pool: str, state: str) -> float | None:
    """svcproxy_load_balancer_addresses{pool,state}, scraped inside `namespace` where the daemon's
    metrics endpoint listens."""
    url = "http://%s:%d/metrics" % daemon.metrics_address
    code = f"import urllib.request; print(urllib.request.urlopen({url!r}, timeout=5).read().decode())"
    text = subprocess.run(["ip", "netns", "exec", namespace, sys.executable, "-c", code],
                          check=True, capture_output=True, text=True, timeout=15).stdout
    found = re.search(rf'^svcproxy_load_balancer_addresses{{pool="{pool}",state="{state}"}} (\S+)$', text, re.M)
    return float(found.group(1)) if found else None


def pool_flags(link: str, pool: str) -> tuple[str, ...]:
    return ("--load-balancer-ip-pool", pool, "--load-balancer-interface", link)


def test_a_pool_address_is_announced_served_and_removed_on_delete_and_exit(lan, start_daemon, write_config, tmp_path, monkeypatch):
    node, client, link = lan
    with backends_in(node, ("127.0.0.1", 8080, "web")):
        run_daemons_in(node, tmp_path, monkeypatch)
        config = write_config(balancer_yaml("web", "2024-01-01T00:00:00Z"))
        daemon = start_daemon(config, extra_args=pool_flags(link, "10.250.0.240/29"))
        address = assigned(daemon, "web")
        assert pool_addresses(node, link) == {address}

        # The announcement, not an answer to a question: the client has sent nothing yet.
        node_mac = mac_of(node, link)
        assert poll_until(lambda: node_mac in neighbour(client, address), timeout=5), neighbour(client, address)
        assert ask_from(client, address) == "web"

        write_config("")
        daemon.reload()
        assert pool_addresses(node, link) == set()
        assert ask_from(client, address).startswith("failed")

        write_config(balancer_yaml("web", "2024-01-01T00:00:00Z"))
        daemon.reload()
        assert pool_addresses(node, link) == {address}, "the same address again: derived from the name"
        daemon.stop()
        assert pool_addresses(node, link) == set()


def test_a_restart_after_sigkill_removes_the_addresses_no_longer_given_out(lan, start_daemon, write_config, tmp_path, monkeypatch):
    node, _, link = lan
    run_daemons_in(node, tmp_path, monkeypatch)
    flags = pool_flags(link, "10.250.0.240/29")
    config = write_config(balancer_yaml("web", "2024-01-01T00:00:00Z") + "---\n" + balancer_yaml("api", "2024-02-01T00:00:00Z"))
    first = start_daemon(config, extra_args=flags)
    web, api = assigned(first, "web"), assigned(first, "api")
    assert pool_addresses(node, link) == {web, api}
    first.kill()  # SIGKILL: nothing removed
    assert pool_addresses(node, link) == {web, api}

    write_config(balancer_yaml("api", "2024-02-01T00:00:00Z"))
    second = start_daemon(config, extra_args=flags)
    api_now = assigned(second, "api")
    assert pool_addresses(node, link) == {api_now}
    if api_now != web:
        assert f"Removed {web} from {link}, left by an earlier run" in second.log_text()
    second.stop()
    assert pool_addresses(node, link) == set()


def test_a_full_pool_leaves_the_youngest_pending_until_a_deletion_frees_an_address(
        lan, start_daemon, write_config, tmp_path, monkeypatch):
    node, client, link = lan
    with backends_in(node, ("127.0.0.1", 8080, "one"), ("127.0.0.1", 8081, "two"), ("127.0.0.1", 8082, "three")):
        run_daemons_in(node, tmp_path, monkeypatch)
        services = [balancer_yaml("one", "2020-01-01T00:00:00Z", 8080), balancer_yaml("two", "2021-01-01T00:00:00Z", 8081),
                    balancer_yaml("three", "2022-01-01T00:00:00Z", 8082)]
        config = write_config("---\n".join(services))
        daemon = start_daemon(config, extra_args=pool_flags(link, "10.250.0.240/31"))
        one = assigned(daemon, "one")
        assert pool_addresses(node, link) == {"10.250.0.240", "10.250.0.241"}
        pending = "LoadBalancer default/three: pending: no free address in pool default"
        assert poll_until(lambda: pending in daemon.log_text(), timeout=5), daemon.log_tail()
        assert load_balancer_metric(node, daemon, "default", "pending") == 1
        assert load_balancer_metric(node, daemon, "default", "assigned") == 2
        status = subprocess.run([str(harness.daemon.BINARY), "status", "--socket", daemon.status_socket],
                                capture_output=True, text=True, timeout=10)
        assert "default/three: pending: no free address in pool default" in status.stdout, status

        daemon.reload()  # still full: said once, not at every reload
        daemon.reload()  # whatever the first reload logged comes before this one's "Reloaded:"
        assert poll_until(lambda: daemon.log_text().count("Reloaded:") == 2, timeout=5)
        assert daemon.log_text().count(pending) == 1

        write_config("---\n".join(services[1:]))
        daemon.reload()
        assert poll_until(lambda: "LoadBalancer default/three: 10.250.0" in daemon.log_text(), timeout=5), daemon.log_tail()
        assert assigned(daemon, "three") == one
        assert ask_from(client, one) == "three"
        assert load_balancer_metric(node, daemon, "default", "pending") == 0


def test_node_mode_serves_the_oldest_on_the_node_address_and_the_next_takes_over(
        lan, start_daemon, write_config, tmp_path, monkeypatch):
    node, client, _ = lan
    with backends_in(node, ("127.0.0.1", 8080, "first"), ("127.0.0.1", 8081, "second")):
        run_daemons_in(node, tmp_path, monkeypatch)
        first = balancer_yaml("first", "2020-01-01T00:00:00Z", 8080)
        # The younger Service is written first and sorts first by name: only its age decides.
        second = balancer_yaml("a-second", "2024-01-01T00:00:00Z", 8081)
        config = write_config(second + "---\n" + first)
        flags = ("--load-balancer-addresses", f"{NODE_IP}/32")
        check = subprocess.run([str(harness.daemon.BINARY), "check", "--config", str(config),
                                "--print-plan", *flags], capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, check.stderr
        assert f"warning: LoadBalancer default/a-second: pending: {NODE_IP}:80 is taken by default/first" in check.stderr
        assert f"default/first: {NODE_IP} (node addresses)" in check.stdout

        daemon = start_daemon(config, extra_args=flags)
        assert ask_from(client, NODE_IP) == "first"
        assert load_balancer_metric(node, daemon, "node", "pending") == 1

        write_config(second)
        daemon.reload()
        assert ask_from(client, NODE_IP) == "second"
        assert load_balancer_metric(node, daemon, "node", "pending") == 0


CLUSTER_IP_SERVICE = """\
apiVersion: v1
kind: Service
metadata: {name: dns, namespace: default, creationTimestamp: "2020-01-01T00:00:00Z"}
spec:
  clusterIP: 10.96.0.10
  ports: [{name: http, port: 80, targetPort: 8081}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: dns, namespace: default}
subsets:
- addresses: [{ip: 127.0.0.1}]
  ports: [{name: http, port: 8081}]
"""


def test_node_mode_restarts_after_sigkill_with_the_cluster_ips_it_left_on_the_node(
        lan, start_daemon, write_config, tmp_path, monkeypatch):
    """The ClusterIP the killed daemon left on lo is among the node's addresses at the next
    start: node mode must not serve the LoadBalancer's port there (10.96.0.10:80 is the other
    Service's ClusterIP socket), or the plan fails and the daemon exits 78."""
    node, client, _ = lan
    with backends_in(node, ("127.0.0.1", 8080, "web"), ("127.0.0.1", 8081, "dns")):
        run_daemons_in(node, tmp_path, monkeypatch)
        # Every IPv4 address of the node, so that the ClusterIP on lo is a candidate.
        flags = ("--service-cluster-ip-range", "10.96.0.0/12", "--cluster-ip-interface", "lo",
                 "--load-balancer-addresses", "0.0.0.0/0")
        config = write_config(CLUSTER_IP_SERVICE + "---\n" + balancer_yaml("web", "2024-01-01T00:00:00Z"))
        first = start_daemon(config, extra_args=flags)
        assert "10.96.0.10/32" in ip("-n", node, "-o", "addr", "show", "dev", "lo")
        first.kill()  # SIGKILL: the ClusterIP stays on lo

        second = start_daemon(config, extra_args=flags)
        assert ask_from(client, NODE_IP) == "web"
        assert poll_until(lambda: "LoadBalancer default/web: " in second.log_text(), timeout=5), second.log_tail()
        line = re.search(r"LoadBalancer default/web: .*", second.log_text()).group(0)
        assert "10.96.0.10" not in line and NODE_IP in line, line
        second.reload()
        assert poll_until(lambda: "Reloaded:" in second.log_text(), timeout=5), second.log_tail()
        assert ask_from(client, NODE_IP) == "web"
        second.stop()


def test_node_mode_shows_a_port_another_program_holds_as_pending(lan, start_daemon, write_config, tmp_path, monkeypatch):
    node, _, _ = lan
    squatter = python_in(node, netns.NAMING_BACKEND, NODE_IP, "80", "squatter", stdout=subprocess.PIPE, text=True)
    try:
        assert squatter.stdout is not None and squatter.stdout.readline().strip() == "ready"
        run_daemons_in(node, tmp_path, monkeypatch)
        config = write_config(balancer_yaml("web", "2024-01-01T00:00:00Z"))
        daemon = start_daemon(config, extra_args=("--load-balancer-addresses", f"{NODE_IP}/32"))
        status = subprocess.run([str(harness.daemon.BINARY), "status", "--socket", daemon.status_socket],
                                capture_output=True, text=True, timeout=10)
        assert f"default/web: pending: failed to listen on {NODE_IP}:80" in status.stdout, status
        assert load_balancer_metric(node, daemon, "node", "pending") == 1
        assert load_balancer_metric(node, daemon, "node", "assigned") == 0
        daemon.stop()
    finally:
        squatter.kill()  # our own child, by PID
        squatter.wait(timeout=10)
