"""Health stays answerable under a flood: while 10,000 idle connections sit on the admin
port (opened and never written to), /healthz and /livez probes are answered within a
probe's timeout, every time, and forwarding goes on."""

import resource
import socket
import time

from harness import echo, echo_once, service_yaml
from harness.admin import health

IDLE_CONNECTIONS = 10_000
# kubelet's default probe timeout is 1 s; a shared CI machine gets twice that.
PROBE_TIMEOUT = 2.0
PROBES = 5


class RaisedDescriptorLimit:
    """Raises this process's RLIMIT_NOFILE to hold `count` more sockets, and restores it."""

    def __init__(self, count: int):
        self.saved = resource.getrlimit(resource.RLIMIT_NOFILE)
        soft, hard = self.saved
        wanted = count + 1024
        assert hard == resource.RLIM_INFINITY or hard >= wanted, f"RLIMIT_NOFILE hard limit {hard} < {wanted}"
        self.wanted = max(soft, wanted)

    def __enter__(self):
        resource.setrlimit(resource.RLIMIT_NOFILE, (self.wanted, self.saved[1]))
        return self

    def __exit__(self, *exc):
        resource.setrlimit(resource.RLIMIT_NOFILE, self.saved)


def open_idle(address, count):
    """`count` connections started without waiting: each sends nothing, ever."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.setblocking(False)
            sock.connect_ex(address)
    except BaseException:
        close_all(sockets)
        raise
    return sockets


def close_all(sockets):
    for sock in sockets:
        sock.close()


def timed_probe(daemon, path):
    """(status or the failure's name, seconds taken) of one probe with the probe timeout."""
    started = time.monotonic()
    try:
        status, _ = health(daemon, path, timeout=PROBE_TIMEOUT)
    except OSError as error:
        status = type(error).__name__
    return status, time.monotonic() - started


def test_probes_are_answered_while_ten_thousand_idle_connections_sit_on_the_admin_port(
        start_backend, start_daemon, write_config, node_port):
    backend = start_backend(echo)
    daemon = start_daemon(write_config(service_yaml("web", node_port=node_port, endpoints=[backend.endpoint])))

    with RaisedDescriptorLimit(IDLE_CONNECTIONS):
        idle = open_idle(daemon.healthz_address, IDLE_CONNECTIONS)
        try:
            probes = [timed_probe(daemon, path) for path in ("/healthz", "/livez") * PROBES]
        finally:
            close_all(idle)

    print("probes under the flood (status, seconds):", [(s, round(t, 3)) for s, t in probes])
    assert [status for status, _ in probes] == [200] * len(probes), probes
    assert echo_once(("127.0.0.1", node_port), b"still relaying") == b"still relaying"
    assert daemon.alive()
