"""Session affinity by client IP, after Kubernetes' service affinity tests (test/e2e/network
service.go: execAffinityTestForNonLBService and friends): one client IP keeps its endpoint,
different client IPs spread round-robin, a pin expires after its timeout, and a pin moves only
when its endpoint goes away or fails. The pins are shared by the workers."""

import time
from collections import Counter

from harness import identify, pick_cluster_ip, pick_port, service_yaml
from harness.node import name_from

CLIENTS = [f"127.0.0.{i}" for i in range(2, 8)]


def affinity_yaml(name: str, cluster_ip: str, port: int, backends, timeout: int | None = 10800) -> str:
    text = service_yaml(name, cluster_ip=cluster_ip, port=port, endpoints=[b.endpoint for b in backends])
    if timeout is None:
        return text
    return text.replace("spec:\n", f"spec:\n  sessionAffinity: ClientIP\n"
                                   f"  sessionAffinityConfig: {{clientIP: {{timeoutSeconds: {timeout}}}}}\n", 1)


def start_three(start_backend):
    return [start_backend(identify, name=name) for name in ("a", "b", "c")]


def test_thirty_connections_from_one_client_ip_land_on_one_endpoint_across_workers(start_backend, start_daemon, write_config):
    backends = start_three(start_backend)
    cluster_ip = pick_cluster_ip()
    port = pick_port((cluster_ip,))
    start_daemon(write_config(affinity_yaml("web", cluster_ip, port, backends)), workers=2)

    answers = Counter(name_from(CLIENTS[0], (cluster_ip, port)) for _ in range(30))

    assert len(answers) == 1 and sum(answers.values()) == 30, answers
    assert set(answers) <= {"a", "b", "c"}


def test_clients_from_different_ips_spread_round_robin_and_each_keeps_its_endpoint(start_backend, start_daemon, write_config):
    backends = start_three(start_backend)
    cluster_ip = pick_cluster_ip()
    port = pick_port((cluster_ip,))
    start_daemon(write_config(affinity_yaml("web", cluster_ip, port, backends)))

    first = {client: name_from(client, (cluster_ip, port)) for client in CLIENTS}
    again = {client: name_from(client, (cluster_ip, port)) for client in reversed(CLIENTS)}

    assert Counter(first.values()) == {"a": 2, "b": 2, "c": 2}
    assert again == first


def test_a_client_idle_longer_than_the_timeout_can_move(start_backend, start_daemon, write_config):
    backends = [start_backend(identify, name=name) for name in ("a", "b")]
    cluster_ip = pick_cluster_ip()
    port = pick_port((cluster_ip,))
    start_daemon(write_config(affinity_yaml("web", cluster_ip, port, backends, timeout=2)))

    pinned = name_from(CLIENTS[0], (cluster_ip, port))
    # Within the timeout, each use refreshes the pin: 3 s of uses 1 s apart stay put.
    for _ in range(3):
        time.sleep(1.0)  # the behaviour under test is the passage of time itself
        assert name_from(CLIENTS[0], (cluster_ip, port)) == pinned
    time.sleep(2.5)
    moved = name_from(CLIENTS[0], (cluster_ip, port))

    assert moved != pinned  # the pin expired; round-robin moves on to the other endpoint
    assert name_from(CLIENTS[0], (cluster_ip, port)) == moved


def test_removing_a_pinned_clients_endpoint_moves_only_that_client(start_backend, start_daemon, write_config):
    backends = start_three(start_backend)
    cluster_ip = pick_cluster_ip()
    port = pick_port((cluster_ip,))
    config = write_config(affinity_yaml("web", cluster_ip, port, backends))
    daemon = start_daemon(config)
    clients = CLIENTS[:3]
    pins = {client: name_from(client, (cluster_ip, port)) for client in clients}
    assert sorted(pins.values()) == ["a", "b", "c"]
    gone = next(b for b in backends if b.name == pins[clients[1]])

    write_config(affinity_yaml("web", cluster_ip, port, [b for b in backends if b is not gone]))
    daemon.reload()
    after = {client: [name_from(client, (cluster_ip, port)) for _ in range(5)] for client in clients}

    assert after[clients[0]] == [pins[clients[0]]] * 5
    assert after[clients[2]] == [pins[clients[2]]] * 5
    moved = after[clients[1]]
    assert len(set(moved)) == 1 and moved[0] != gone.name, moved


def test_a_client_whose_endpoint_fails_to_connect_moves_and_stays(start_backend, start_daemon, write_config):
    backends = start_three(start_backend)
    cluster_ip = pick_cluster_ip()
    port = pick_port((cluster_ip,))
    start_daemon(write_config(affinity_yaml("web", cluster_ip, port, backends)))
    pinned = name_from(CLIENTS[0], (cluster_ip, port))
    other = name_from(CLIENTS[1], (cluster_ip, port))
    next(b for b in backends if b.name == pinned).stop()

    moved = [name_from(CLIENTS[0], (cluster_ip, port)) for _ in range(5)]

    assert len(set(moved)) == 1 and moved[0] != pinned, moved
    assert name_from(CLIENTS[1], (cluster_ip, port)) == other


def test_reload_switches_affinity_on_and_off_for_the_next_connection(start_backend, start_daemon, write_config):
    backends = start_three(start_backend)
    cluster_ip = pick_cluster_ip()
    port = pick_port((cluster_ip,))
    config = write_config(affinity_yaml("web", cluster_ip, port, backends, timeout=None))
    daemon = start_daemon(config)
    assert Counter(name_from(CLIENTS[0], (cluster_ip, port)) for _ in range(9)) == {"a": 3, "b": 3, "c": 3}

    write_config(affinity_yaml("web", cluster_ip, port, backends))
    daemon.reload()
    assert len(Counter(name_from(CLIENTS[0], (cluster_ip, port)) for _ in range(9))) == 1

    write_config(affinity_yaml("web", cluster_ip, port, backends, timeout=None))
    daemon.reload()
    assert Counter(name_from(CLIENTS[0], (cluster_ip, port)) for _ in range(9)) == {"a": 3, "b": 3, "c": 3}
