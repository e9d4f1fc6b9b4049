"""Which worker takes a new connection (`--connection-steering`). On loopback the kernel
receives a connection's handshake on the CPU of the thread that connects, so a client
thread pinned to one CPU plays a NIC queue: by default at two workers its connections all go
to the worker numbered after that CPU, and /metrics shows each worker's count; with `hash`
they spread over both. When connections keep arriving on one CPU only, the daemon says so
and leaves the choice to the kernel's hash, and the next ones spread over both workers."""

import os
import threading

import pytest
from harness import connect, echo, poll_until, service_yaml
from harness.admin import scrape, series

pytestmark = pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs to pin clients to")

WORKERS = 2


def connections_from_cpu(address, cpu: int, count: int) -> None:
    """`count` connections, each with one echoed message, from a thread pinned to `cpu`."""
    errors = []

    def run():
        try:
            os.sched_setaffinity(threading.get_native_id(), {cpu})
            for i in range(count):
                with connect(address) as sock:
                    sock.sendall(b"ping %d" % i)
                    assert sock.recv(64) == b"ping %d" % i
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive() and not errors, errors


def accepted(daemon) -> list[int]:
    samples = scrape(daemon)
    return [int(series(samples, "svcproxy_worker_connections_accepted_total", worker=str(w)) or 0) for w in range(WORKERS)]


def steering_by_cpu(daemon) -> float | None:
    return series(scrape(daemon), "svcproxy_connection_steering_by_cpu")


@pytest.fixture
def echo_service(start_backend, start_daemon, write_config, node_port):
    def start(*extra_args):
        backend = start_backend(echo)
        daemon = start_daemon(write_config(service_yaml("echo", node_port=node_port, endpoints=[backend.endpoint])),
                              workers=WORKERS, extra_args=extra_args)
        return daemon, ("127.0.0.1", node_port)
    return start


def test_by_default_a_cpus_connections_go_to_the_worker_numbered_after_it(echo_service):
    daemon, address = echo_service()
    assert steering_by_cpu(daemon) == 1
    cpus = sorted(os.sched_getaffinity(0))[:WORKERS]
    for cpu in cpus:
        before = accepted(daemon)
        connections_from_cpu(address, cpu, 20)
        after = accepted(daemon)
        gained = [a - b for a, b in zip(after, before)]
        expected = [20 if worker == cpu % WORKERS else 0 for worker in range(WORKERS)]
        assert gained == expected, f"CPU {cpu}'s connections went to workers {gained}"


def test_with_hash_one_cpus_connections_spread_over_the_workers(echo_service):
    daemon, address = echo_service("--connection-steering", "hash")
    assert steering_by_cpu(daemon) == 0
    connections_from_cpu(address, sorted(os.sched_getaffinity(0))[0], 40)
    # The kernel's hash of 40 different client ports leaves a worker without any about
    # once in 10^12 runs.
    assert all(count > 0 for count in accepted(daemon)), accepted(daemon)


def test_steering_gives_way_to_the_hash_when_connections_arrive_on_one_cpu(echo_service):
    daemon, address = echo_service()
    cpu = sorted(os.sched_getaffinity(0))[0]
    # More than the 64 per worker a window needs before the daemon judges it.
    connections_from_cpu(address, cpu, 160)
    assert poll_until(lambda: steering_by_cpu(daemon) == 0, timeout=10), accepted(daemon)
    assert "workers got less than a quarter of their share" in daemon.log_text()
    assert "the kernel's hash spreads them over the workers from now on" in daemon.log_text()

    before = accepted(daemon)
    connections_from_cpu(address, cpu, 40)
    gained = [a - b for a, b in zip(accepted(daemon), before)]
    assert sum(gained) == 40 and all(count > 0 for count in gained), gained


def test_one_worker_steers_nothing(start_backend, start_daemon, write_config, node_port):
    backend = start_backend(echo)
    daemon = start_daemon(write_config(service_yaml("echo", node_port=node_port, endpoints=[backend.endpoint])))
    assert steering_by_cpu(daemon) == 0
    connections_from_cpu(("127.0.0.1", node_port), sorted(os.sched_getaffinity(0))[-1], 5)
    assert accepted(daemon)[0] == 5
