"""Which worker takes a new connection (`--connection-steering`). On loopback the kernel
receives a connection's handshake on the CPU of the thread that connects, so a client
thread pinned to one CPU plays a NIC queue: by default (`hash`) its connections spread over
both workers; with `cpu` they all go to the worker numbered after that CPU, also on a port
a reload added, and /metrics shows each worker's count. When connections keep arriving on
one CPU only, the daemon says so and leaves the choice to the kernel's hash, for the ports
it has and those a reload adds, and the next connections spread over both workers."""

import os
import threading

import pytest
from harness import Deadline, connect, echo, pick_port, poll_until, service_yaml
from harness.admin import scrape, series

two_cpus = pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs to pin clients to")

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


def gained_by_workers(daemon, address, cpu: int, count: int) -> list[int]:
    before = accepted(daemon)
    connections_from_cpu(address, cpu, count)
    return [a - b for a, b in zip(accepted(daemon), before)]


def cpus_of_each_worker() -> list[int]:
    """One CPU this process may run on for each worker (CPU modulo the workers), or skip."""
    cpus = {}
    for cpu in sorted(os.sched_getaffinity(0)):
        cpus.setdefault(cpu % WORKERS, cpu)
    if len(cpus) < WORKERS:
        pytest.skip(f"the CPUs this test may use ({sorted(os.sched_getaffinity(0))}) do not cover every worker")
    return [cpus[worker] for worker in range(WORKERS)]


def assert_steered_by_cpu(daemon, address) -> None:
    for cpu in cpus_of_each_worker():
        gained = gained_by_workers(daemon, address, cpu, 20)
        expected = [20 if worker == cpu % WORKERS else 0 for worker in range(WORKERS)]
        assert gained == expected, f"CPU {cpu}'s connections went to workers {gained}"


def assert_spread_by_hash(daemon, address) -> None:
    # The kernel's hash of 40 different client ports leaves a worker without any about
    # once in 10^12 runs.
    gained = gained_by_workers(daemon, address, sorted(os.sched_getaffinity(0))[0], 40)
    assert sum(gained) == 40 and all(count > 0 for count in gained), gained


@pytest.fixture
def echo_service(start_backend, start_daemon, write_config, node_port):
    """echo_service(*extra_args) -> (daemon, address, add_port): two workers serving an echo
    Service at `node_port`; add_port() adds a second one by a reload and returns its address."""
    def start(*extra_args):
        backend = start_backend(echo)
        first = service_yaml("echo", node_port=node_port, endpoints=[backend.endpoint])
        config = write_config(first)
        daemon = start_daemon(config, workers=WORKERS, extra_args=extra_args)

        def add_port():
            second_port = pick_port()
            config.write_text(first + "---\n" + service_yaml("echo-2", node_port=second_port, endpoints=[backend.endpoint]))
            daemon.reload()
            return ("127.0.0.1", second_port)

        return daemon, ("127.0.0.1", node_port), add_port
    return start


@two_cpus
def test_steered_by_cpu_a_cpus_connections_go_to_the_worker_numbered_after_it(echo_service):
    daemon, address, add_port = echo_service("--connection-steering", "cpu")
    assert steering_by_cpu(daemon) == 1
    assert_steered_by_cpu(daemon, address)
    assert_steered_by_cpu(daemon, add_port())


@pytest.mark.parametrize("steering", [(), ("--connection-steering", "hash")], ids=["default", "hash"])
def test_by_default_and_with_hash_one_cpus_connections_spread_over_the_workers(steering, echo_service):
    daemon, address, _ = echo_service(*steering)
    assert steering_by_cpu(daemon) == 0
    assert_spread_by_hash(daemon, address)


@two_cpus
def test_steering_gives_way_to_the_hash_when_connections_arrive_on_one_cpu(echo_service):
    daemon, address, add_port = echo_service("--connection-steering", "cpu")
    cpu = sorted(os.sched_getaffinity(0))[0]
    # Windows of more than the 64 per worker the daemon needs before it judges one, judged
    # once a second; the second skewed window in a row gives steering up.
    deadline = Deadline(30)
    while steering_by_cpu(daemon) != 0:
        assert not deadline.expired(), accepted(daemon)
        connections_from_cpu(address, cpu, 160)
        poll_until(lambda: steering_by_cpu(daemon) == 0, timeout=1.5)
    # The notice goes through the log pipeline: it may reach the file after the gauge moved.
    notice = "the kernel's hash spreads them over the workers from now on"
    assert poll_until(lambda: notice in daemon.log_text(), timeout=5), daemon.log_tail()
    assert "workers got less than a quarter of their share" in daemon.log_text()
    assert_spread_by_hash(daemon, address)
    # A port the reload adds is not steered by CPU either.
    assert_spread_by_hash(daemon, add_port())


def test_one_worker_steers_nothing_and_counts_its_accepts(start_backend, start_daemon, write_config, node_port):
    backend = start_backend(echo)
    daemon = start_daemon(write_config(service_yaml("echo", node_port=node_port, endpoints=[backend.endpoint])),
                          extra_args=("--connection-steering", "cpu"))
    assert steering_by_cpu(daemon) == 0
    connections_from_cpu(("127.0.0.1", node_port), sorted(os.sched_getaffinity(0))[-1], 5)
    assert accepted(daemon)[0] == 5
