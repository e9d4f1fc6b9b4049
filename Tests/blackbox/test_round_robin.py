"""Round-robin is exact per service port: N connections over K endpoints give each N/K,
whether one worker or several accept them (the rotation counter is shared, not per worker)."""

from collections import Counter

import pytest

from harness import ask_name, identify, pick_cluster_ip, pick_port, service_yaml


@pytest.mark.parametrize("workers", [1, 2])
def test_round_robin_gives_two_endpoints_exactly_50_of_100_connections_each(
        workers, start_backend, start_daemon, write_config, node_port):
    a = start_backend(identify, name="a")
    b = start_backend(identify, name="b")
    start_daemon(write_config(service_yaml("web", node_port=node_port, endpoints=[a.endpoint, b.endpoint])),
                 workers=workers)

    answers = Counter(ask_name(("127.0.0.1", node_port)) for _ in range(100))

    assert answers == {"a": 50, "b": 50}


@pytest.mark.parametrize("workers", [1, 2])
def test_round_robin_gives_three_endpoints_exactly_2_of_6_connections_each(
        workers, start_backend, start_daemon, write_config, node_port):
    backends = [start_backend(identify, name=name) for name in ("a", "b", "c")]
    start_daemon(write_config(service_yaml("web", node_port=node_port,
                                           endpoints=[b.endpoint for b in backends])),
                 workers=workers)

    answers = Counter(ask_name(("127.0.0.1", node_port)) for _ in range(6))

    assert answers == {"a": 2, "b": 2, "c": 2}


@pytest.mark.parametrize("workers", [1, 2])
def test_round_robin_over_ipv6_endpoints_through_ipv6_node_port_is_exact(
        workers, start_backend, start_daemon, write_config, node_port):
    a = start_backend(identify, host="::1", name="a6")
    b = start_backend(identify, host="::1", name="b6")
    start_daemon(write_config(service_yaml("web6", node_port=node_port, endpoints=[a.endpoint, b.endpoint],
                                           ip_family_policy="PreferDualStack")),
                 workers=workers)

    answers = Counter(ask_name(("::1", node_port)) for _ in range(100))

    assert answers == {"a6": 50, "b6": 50}


def test_node_port_is_served_on_every_node_address_of_the_services_families(
        start_backend, start_daemon, write_config, node_port):
    a = start_backend(identify, name="a")
    other_port = pick_port()
    start_daemon(write_config(service_yaml("web", node_port=node_port, endpoints=[a.endpoint], ip_family_policy="PreferDualStack")
                              + "---\n" + service_yaml("web4", node_port=other_port, endpoints=[a.endpoint])))

    assert ask_name(("127.0.0.1", node_port)) == "a"
    assert ask_name(("::1", node_port)) == "a"
    assert ask_name(("127.0.0.1", other_port)) == "a"
    with pytest.raises(ConnectionRefusedError):
        ask_name(("::1", other_port))  # an IPv4 Service: no NodePort on IPv6 addresses


def test_cluster_ip_service_round_robins_on_its_cluster_ip_and_port(start_backend, start_daemon, write_config):
    cluster_ip = pick_cluster_ip()
    port = pick_port((cluster_ip,))
    a = start_backend(identify, name="a")
    b = start_backend(identify, name="b")
    start_daemon(write_config(service_yaml("internal", cluster_ip=cluster_ip, port=port,
                                           endpoints=[a.endpoint, b.endpoint])))

    answers = Counter(ask_name((cluster_ip, port)) for _ in range(10))

    assert answers == {"a": 5, "b": 5}
