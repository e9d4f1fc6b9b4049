"""UDP Service ports as a user sees them: a real DNS server answers `dig` through a ClusterIP
and a NodePort, over UDP and over TCP on the same port number; replies come back from the
very address the client sent to; the largest IPv4 datagrams pass whole both ways; the plan
lists UDP ports; metrics, `svcproxy status` and the access log account for datagrams and
flows."""

import hashlib
import json
import socket
import subprocess

import pytest

from harness import BINARY, identify, pick_cluster_ip, pick_port, poll_until
from harness.udp import (
    DNS_ADDRESS, LISTEN, MAX_DATAGRAM, Port, UdpClient, dig, ended, pick_udp_port, plan_block, print_plan,
    settled_metrics, udp_service_yaml,
)



def test_dig_answers_through_cluster_ip_and_node_port_over_udp_and_tcp_on_one_port_number(
        start_dns_server, start_daemon, write_config):
    dns = start_dns_server()
    cluster_ip = pick_cluster_ip()
    port = pick_udp_port((cluster_ip,))
    node_port = pick_udp_port()
    start_daemon(write_config(udp_service_yaml(
        "dns", [Port("dns", port, "UDP", node_port, target_port=dns.port),
                Port("dns-tcp", port, "TCP", node_port, target_port=dns.port)],
        {"dns": [dns.endpoint], "dns-tcp": [dns.endpoint]}, cluster_ip=cluster_ip)))

    for server, server_port in ((cluster_ip, port), ("127.0.0.1", node_port)):
        for tcp in (False, True):
            result = dig(server, server_port, tcp=tcp)
            assert result.returncode == 0 and result.stdout.split() == [DNS_ADDRESS], \
                (server, server_port, "tcp" if tcp else "udp", result.stdout, result.stderr)


def test_a_tcp_and_a_udp_port_of_one_number_each_reach_their_own_endpoints(
        start_backend, start_udp_echo, start_daemon, write_config):
    over_tcp = start_backend(identify, name="over-tcp")
    over_udp = start_udp_echo("over-udp")
    cluster_ip = pick_cluster_ip()
    port = pick_udp_port((cluster_ip,))
    node_port = pick_udp_port()
    start_daemon(write_config(udp_service_yaml(
        "both", [Port("u", port, "UDP", node_port, target_port=over_udp.port),
                 Port("t", port, "TCP", node_port, target_port=over_tcp.port)],
        {"u": [over_udp.endpoint], "t": [over_tcp.endpoint]}, cluster_ip=cluster_ip)))

    for address in ((cluster_ip, port), ("127.0.0.1", node_port)):
        with socket.create_connection(address, timeout=5) as conn:
            assert conn.recv(100) == b"over-tcp"
        with UdpClient() as client:
            assert client.name_from(address) == "over-udp"


def test_replies_come_from_the_address_and_port_the_client_sent_to(start_udp_echo, start_daemon, write_config):
    echo = start_udp_echo("a")
    # A ClusterIP and the NodePort on 127.0.0.1 (external IPs may not be loopback addresses,
    # Kubernetes' rule), each its own listener.
    cluster_ip = pick_cluster_ip()
    port = pick_udp_port((cluster_ip,))
    node_port = pick_udp_port()
    start_daemon(write_config(udp_service_yaml(
        "echo", [Port("dns", port, "UDP", node_port, target_port=echo.port)], {"dns": [echo.endpoint]},
        cluster_ip=cluster_ip, ip_family_policy="PreferDualStack")))
    addresses = [(cluster_ip, port), ("127.0.0.1", node_port)]

    # One client socket talks to every service address in turn (one flow each), unconnected,
    # and reads where each reply came from.
    with UdpClient() as client:
        for round_ in range(2):
            for address in addresses:
                client.send(address, b"to %s:%d" % (address[0].encode(), address[1]))
            replies = [client.receive() for _ in addresses]
            assert None not in replies, replies
            assert sorted(r.source for r in replies) == sorted(addresses), replies
            for reply in replies:
                assert reply.payload == b"to %s:%d" % (reply.source[0].encode(), reply.source[1])
    with UdpClient("::1") as client6:
        assert client6.name_from(("::1", node_port)) == "a"   # checks the reply's source too

    # The endpoint saw every datagram arrive at its own address.
    assert {s.local for s in echo.seen()} == {echo.endpoint}
    assert echo.count() == 2 * len(addresses) + 1


@pytest.mark.parametrize("size", [1, 1400, 9000, MAX_DATAGRAM])
def test_datagrams_up_to_65507_bytes_pass_whole_both_ways(size, start_udp_echo, start_daemon, write_config):
    echo = start_udp_echo("plain", named=False)
    cluster_ip = pick_cluster_ip()
    port = pick_udp_port((cluster_ip,))
    start_daemon(write_config(udp_service_yaml("big", [Port("dns", port, target_port=echo.port)],
                                               {"dns": [echo.endpoint]}, cluster_ip=cluster_ip)))
    payloads = [bytes([seed]) * 16 + bytes((i * 7 + seed) % 251 for i in range(size - 16)) if size > 16
                else bytes([seed]) * size for seed in (1, 2)]

    with UdpClient() as client:
        replies = [client.ask((cluster_ip, port), payload, named=False) for payload in payloads]

    for payload, reply in zip(payloads, replies):
        assert reply is not None, f"no answer to a {size}-byte datagram"
        assert len(reply.payload) == size and reply.payload == payload
    assert [(s.size, s.sha256) for s in echo.seen()] == [(size, hashlib.sha256(p).hexdigest()) for p in payloads]


def test_check_print_plan_lists_the_udp_port_with_its_listen_addresses(write_config):
    cluster_ip = pick_cluster_ip()
    port, node_port, target = pick_port((cluster_ip,)), pick_port(), pick_port()
    config = write_config(udp_service_yaml(
        "dns", [Port("dns", port, "UDP", node_port, target_port=target),
                Port("dns-tcp", port, "TCP", node_port, target_port=target)],
        {"dns": [("127.0.0.1", target)], "dns-tcp": [("127.0.0.1", target)]}, cluster_ip=cluster_ip))

    result = print_plan([config])

    assert result.returncode == 0, result.stdout + result.stderr
    assert "only TCP is proxied" not in result.stdout + result.stderr
    udp = plan_block(result.stdout, "default/dns:dns (UDP)")
    tcp = plan_block(result.stdout, "default/dns:dns-tcp (TCP)")
    assert udp, result.stdout
    assert tcp, result.stdout
    for block in (udp, tcp):
        listens = {m.group(1) for line in block if (m := LISTEN.match(line))}
        assert {f"{cluster_ip}:{port}", f"127.0.0.1:{node_port}"} <= listens, block
        assert any(f"127.0.0.1:{target}" in line for line in block if "endpoint" in line), block


def _flow_values(node, found):
    """Every number under a key that speaks of flows, anywhere in a JSON value."""
    if isinstance(node, dict):
        for key, value in node.items():
            if "flow" in key.lower() and isinstance(value, (int, float)) and not isinstance(value, bool):
                found.append(value)
            _flow_values(value, found)
    elif isinstance(node, list):
        for item in node:
            _flow_values(item, found)
    return found


def test_metrics_status_and_access_log_account_for_datagrams_and_flows(start_udp_echo, start_daemon, write_config):
    echo = start_udp_echo("a")
    cluster_ip = pick_cluster_ip()
    port = pick_udp_port((cluster_ip,))
    daemon = start_daemon(write_config(udp_service_yaml(
        "echo", [Port("dns", port, target_port=echo.port)], {"dns": [echo.endpoint]},
        cluster_ip=cluster_ip, udp_timeout="1s")), extra_args=("--access-log",))
    address = (cluster_ip, port)

    with UdpClient() as one, UdpClient() as two:
        for i in range(3):
            assert one.name_from(address, b"one %d" % i) == "a"
        for i in range(2):
            assert two.name_from(address, b"two %d" % i) == "a"
        figures = settled_metrics(daemon, "echo", "dns", lambda f: f["out"] >= 5)
        assert (figures["in"], figures["out"], figures["flows"], figures["active"]) == (5, 5, 2, 2), figures

        status = subprocess.run([str(BINARY), "status", "--socket", daemon.status_socket],
                                capture_output=True, text=True, timeout=10)
        report = subprocess.run([str(BINARY), "status", "--socket", daemon.status_socket, "--output", "json"],
                                capture_output=True, text=True, timeout=10)
        assert status.returncode == 0 and report.returncode == 0, status.stderr + report.stderr
        assert "default/echo:dns" in status.stdout and f"{cluster_ip}:{port}" in status.stdout, status.stdout
        [service] = [s for s in json.loads(report.stdout)["services"] if s.get("name") == "default/echo:dns"]
        assert 2 in _flow_values(service, []), service   # the port's active flows

        # Both flows end by their 1 s timeout; each ended flow is one access log entry.
        figures = settled_metrics(daemon, "echo", "dns", lambda f: ended(f, "timeout") >= 2, timeout=10)
        assert ended(figures, "timeout") == 2 and figures["active"] == 0, figures
        clients = ["%s:%d" % client.address for client in (one, two)]

    endpoint = "%s:%d" % echo.endpoint

    def access_entries():
        return [line for line in daemon.log_text().splitlines() if "event=access" in line]

    # The entry is written by the logging thread just after the flow ends.
    poll_until(lambda: len(access_entries()) >= 2, 5)
    entries = access_entries()
    for client in clients:
        mine = [line for line in entries if client in line]
        assert len(mine) == 1, (client, entries)
        assert "default/echo:dns" in mine[0] and endpoint in mine[0], mine
