"""ClusterIPs on the node, in network namespaces this test makes: the daemon runs in a "node"
namespace with --cluster-ip-interface lo and serves 10.96.0.10:80; a client in a second
namespace, routed to the node over a veth pair, reaches it. Deleting the service by reload
takes its address off the interface, and after the daemon exits none of its addresses remain.
After a SIGKILL, the next start recognises the addresses the killed daemon added (by their
IFA_PROTO mark): it removes those it no longer wants, keeps the others in place, and never
touches an address someone else added. Needs root (ip netns); every namespace made here is deleted again."""

import os
import subprocess
import sys
import time
from contextlib import contextmanager

import pytest

from harness import service_yaml
from harness.netns import ask_from, backends_in, ip, namespace_pair, run_daemons_in

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")




@pytest.fixture
def namespaces():
    """A "node" namespace and a "client" one routed to the node's ClusterIPs over a veth pair."""
    with namespace_pair() as (node, client):
        ip("-n", client, "route", "add", "10.96.0.0/12", "via", "10.250.0.1")
        yield node, client


def lo_addresses(namespace: str) -> str:
    return ip("-n", namespace, "-o", "addr", "show", "dev", "lo")


# Lists the namespace's addresses with their IFA_PROTO, which iproute2 6.1 does not print:
# one "ADDRESS/PREFIX PROTO" line each, from an RTM_GETADDR dump (rtnetlink(7)).
ADDRESS_DUMP = r"""
import socket, struct
sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
sock.send(struct.pack("=IHHII", 24, 22, 0x301, 1, 0) + bytes(8))  # RTM_GETADDR, NLM_F_REQUEST|NLM_F_DUMP
while True:
    data, offset = sock.recv(65536), 0
    while offset + 16 <= len(data):
        length, kind = struct.unpack_from("=IH", data, offset)
        if kind == 3:  # NLMSG_DONE
            raise SystemExit(0)
        if kind == 20:  # RTM_NEWADDR
            family, prefix = struct.unpack_from("=BB", data, offset + 16)
            attributes, at = {}, offset + 24
            while at + 4 <= offset + length:
                size, name = struct.unpack_from("=HH", data, at)
                attributes[name] = data[at + 4:at + size]
                at += (size + 3) & ~3
            address = attributes.get(2) or attributes.get(1)  # IFA_LOCAL, IFA_ADDRESS
            protocol = attributes.get(11, b"\0")[0]  # IFA_PROTO
            print(f"{socket.inet_ntop(socket.AF_INET if family == 2 else socket.AF_INET6, address)}/{prefix} {protocol}")
        offset += (length + 3) & ~3
"""


def address_protocols(namespace: str) -> dict[str, int]:
    """Every address in `namespace` ("10.96.0.10/32") with its IFA_PROTO (0 when unmarked)."""
    result = subprocess.run(["ip", "netns", "exec", namespace, sys.executable, "-c", ADDRESS_DUMP],
                            check=True, capture_output=True, text=True, timeout=10)
    return {address: int(protocol) for address, protocol in (line.split() for line in result.stdout.splitlines())}


def test_cluster_ips_are_added_to_the_interface_reached_from_another_namespace_and_removed(
        namespaces, start_daemon, write_config, tmp_path, monkeypatch):
    node, client = namespaces
    with backends_in(node, ("127.0.0.1", 8080, "node-backend")):
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
    with backends_in(node, ("127.0.0.1", 8080, "node-backend")):
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


SVCPROXY_ADDRESS_PROTOCOL = 83  # ClusterIPAddresses.addressProtocol


@contextmanager
def address_events_in(namespace: str):
    """Yields a function that returns every address event (`ip monitor address`) seen in
    `namespace` since the block started; the monitor is known to be listening before the
    block runs because a probe address it printed was added and removed first."""
    monitor = subprocess.Popen(["ip", "-n", namespace, "monitor", "address"], stdout=subprocess.PIPE, text=True)
    seen: list[str] = []
    try:
        assert monitor.stdout is not None
        while "10.99.99.99" not in "".join(seen):
            ip("-n", namespace, "addr", "replace", "10.99.99.99/32", "dev", "lo")
            seen.append(monitor.stdout.readline())
        ip("-n", namespace, "addr", "del", "10.99.99.99/32", "dev", "lo")
        seen.clear()

        def events() -> str:
            # The monitor prints each event as it happens; a last probe marks the end of ours.
            ip("-n", namespace, "addr", "add", "10.99.99.98/32", "dev", "lo")
            while not seen or "10.99.99.98" not in seen[-1]:
                seen.append(monitor.stdout.readline())
            ip("-n", namespace, "addr", "del", "10.99.99.98/32", "dev", "lo")
            return "".join(seen)
        yield events
    finally:
        monitor.kill()  # our own child, by PID
        monitor.wait(timeout=10)


def two_services(*cluster_ips: str) -> str:
    return "---\n".join(service_yaml(f"web-{ip_.rsplit('.', 1)[1]}", cluster_ip=ip_, port=80,
                                      endpoints=[("127.0.0.1", 8080)]) for ip_ in cluster_ips)


def test_after_a_crash_the_next_start_removes_what_is_no_longer_wanted_and_keeps_the_rest_in_place(
        namespaces, start_daemon, write_config, tmp_path, monkeypatch):
    node, _ = namespaces
    run_daemons_in(node, tmp_path, monkeypatch)
    flags = ("--service-cluster-ip-range", "10.96.0.0/12", "--cluster-ip-interface", "lo")
    config = write_config(two_services("10.96.0.10", "10.96.0.11"))
    first = start_daemon(config, extra_args=flags)
    marked = address_protocols(node)
    assert marked.get("10.96.0.10/32") == SVCPROXY_ADDRESS_PROTOCOL, marked
    assert marked.get("10.96.0.11/32") == SVCPROXY_ADDRESS_PROTOCOL, marked

    first.kill()  # SIGKILL: no chance to remove anything
    assert "10.96.0.10/32" in lo_addresses(node) and "10.96.0.11/32" in lo_addresses(node)

    write_config(two_services("10.96.0.11"))
    with address_events_in(node) as events:
        second = start_daemon(config, extra_args=flags)
        changes = events()
    addresses = lo_addresses(node)
    assert "10.96.0.10/32" not in addresses
    assert "10.96.0.11/32" in addresses
    assert "Deleted" in changes and "10.96.0.10/32" in changes
    assert "10.96.0.11" not in changes, f"the still-wanted address was touched:\n{changes}"
    assert "Removed 10.96.0.10 from lo, left by an earlier run" in second.log_text()
    assert "Kept 10.96.0.11 on lo, added by an earlier run" in second.log_text()

    second.stop()  # and what the second start adopted, it removes on exit like its own
    assert "10.96.0.11/32" not in lo_addresses(node)


def test_an_address_someone_else_added_is_never_removed_before_or_after_a_crash(
        namespaces, start_daemon, write_config, tmp_path, monkeypatch):
    node, _ = namespaces
    ip("-n", node, "addr", "add", "10.96.0.12/32", "dev", "lo")  # someone else's, and the config wants it
    run_daemons_in(node, tmp_path, monkeypatch)
    flags = ("--service-cluster-ip-range", "10.96.0.0/12", "--cluster-ip-interface", "lo")
    config = write_config(two_services("10.96.0.10", "10.96.0.12"))
    first = start_daemon(config, extra_args=flags)
    assert address_protocols(node).get("10.96.0.12/32") == 0

    write_config(two_services("10.96.0.10"))
    first.reload()
    assert "10.96.0.12/32" in lo_addresses(node), "removed on reload"
    write_config(two_services("10.96.0.10", "10.96.0.12"))
    first.reload()
    first.kill()

    write_config(two_services("10.96.0.13"))
    second = start_daemon(config, extra_args=flags)
    addresses = lo_addresses(node)
    assert "10.96.0.12/32" in addresses, "removed after the crash"
    assert "10.96.0.10/32" not in addresses and "10.96.0.13/32" in addresses
    second.stop()
    addresses = lo_addresses(node)
    assert "10.96.0.12/32" in addresses, "removed on exit"
    assert "10.96.0.13/32" not in addresses
    logs = first.log_text() + second.log_text()
    assert "Added 10.96.0.12" not in logs and "Removed 10.96.0.12" not in logs and "Kept 10.96.0.12" not in logs
