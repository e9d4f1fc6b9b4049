"""Bytes are never lost, reordered or duplicated (DESIGN invariant 1): large transfers in
both directions at once, and many connections at once, arrive with the SHA-256 they left with."""

from harness import MiB, connect, duplex_transfer, echo, echo_many, service_yaml


def _duplex_through(address, backend, size, timeout):
    with connect(address) as sock:
        result = duplex_transfer(sock, size, seed=1, timeout=timeout)
    assert result.errors == [], f"sending failed: {result.errors}"
    assert result.sent == size
    assert result.received == size, f"received {result.received} of {size} bytes"
    assert result.received_sha256 == result.sent_sha256, "echoed stream differs from the sent stream"
    assert backend.records == [(size, result.sent_sha256)], "backend did not receive the sent stream intact"


def test_64_mib_each_way_at_the_same_time_arrive_intact(start_backend, start_daemon, write_config, node_port):
    backend = start_backend(echo)
    start_daemon(write_config(service_yaml("bulk", node_port=node_port, endpoints=[backend.endpoint])))

    _duplex_through(("127.0.0.1", node_port), backend, 64 * MiB, timeout=60)


def test_200_concurrent_connections_each_echo_1_mib_intact(start_backend, start_daemon, write_config, node_port):
    backend = start_backend(echo)
    start_daemon(write_config(service_yaml("many", node_port=node_port, endpoints=[backend.endpoint])),
                 workers=2)

    outcome = echo_many(("127.0.0.1", node_port), count=200, size=MiB, timeout=60)

    assert outcome.failures == [], f"{len(outcome.failures)} of 200 connections failed: {outcome.failures[:10]}"
    assert outcome.ok == 200


def test_ipv6_echo_through_ipv6_node_port_to_ipv6_endpoint_arrives_intact(
        start_backend, start_daemon, write_config, node_port):
    backend = start_backend(echo, host="::1")
    start_daemon(write_config(service_yaml("bulk6", node_port=node_port, endpoints=[backend.endpoint],
                                           ip_family_policy="PreferDualStack")))

    _duplex_through(("::1", node_port), backend, 16 * MiB, timeout=60)
    outcome = echo_many(("::1", node_port), count=20, size=MiB, timeout=30, seed_base=100)
    assert outcome.failures == []
