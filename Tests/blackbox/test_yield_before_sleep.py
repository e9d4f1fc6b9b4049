"""Yielding before sleeping (`--yield-before-sleep`): off by default, a worker only ever
sleeps in epoll_wait and /metrics counts no yield; turned on, busy traffic makes the worker
yield its CPU and look again, some of those looks find events (a sleep and a wakeup
saved), /metrics counts both kinds, and every byte still comes back intact."""

import socket
import threading

import pytest
from harness import Deadline, connect, echo, service_yaml
from harness.admin import scrape, series

CLIENTS = 8
ROUND_TRIPS = 1500


def ping_pong(address, errors: list) -> None:
    """ROUND_TRIPS small messages, each waited for before the next: a worker that has just
    relayed one finds the next soon after, often within microseconds."""
    try:
        with connect(address) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for i in range(ROUND_TRIPS):
                message = b"%08d" % i
                sock.sendall(message)
                received = b""
                while len(received) < len(message):
                    chunk = sock.recv(64)
                    if not chunk:
                        raise ConnectionError(f"end of stream after {i} round trips")
                    received += chunk
                if received != message:
                    raise AssertionError(f"round trip {i}: sent {message!r}, got {received!r}")
    except Exception as error:  # noqa: BLE001 - reported by the test
        errors.append(error)


def busy_traffic(address) -> list:
    errors = []
    clients = [threading.Thread(target=ping_pong, args=(address, errors)) for _ in range(CLIENTS)]
    for client in clients:
        client.start()
    for client in clients:
        client.join(timeout=60)
    return errors


@pytest.mark.parametrize("rounds", [None, "8"], ids=["default", "yielding"])
def test_workers_yield_before_sleeping_only_when_asked_and_metrics_say_what_it_found(
        rounds, start_backend, start_daemon, write_config, node_port):
    backend = start_backend(echo)
    daemon = start_daemon(write_config(service_yaml("echo", node_port=node_port, endpoints=[backend.endpoint])),
                          extra_args=("--yield-before-sleep", rounds) if rounds else ())
    address = ("127.0.0.1", node_port)

    # Rounds are earned by a short sleep that ended with events; on a loaded machine that
    # may take more than one burst of traffic (bounded: at most a few bursts).
    deadline = Deadline(30)
    while True:
        errors = busy_traffic(address)
        assert errors == []
        samples = scrape(daemon)
        found = series(samples, "svcproxy_worker_yields_total", result="events")
        empty = series(samples, "svcproxy_worker_yields_total", result="none")
        if rounds is None or found > 0 or deadline.expired():
            break

    assert series(samples, "svcproxy_worker_blocking_polls_total") > 0
    if rounds is None:
        assert (found, empty) == (0, 0), "the default never yields"
    else:
        assert found > 0, f"no yield found events over the bursts ({empty} found none)"
        assert empty is not None, "yields that found nothing have their own series"
