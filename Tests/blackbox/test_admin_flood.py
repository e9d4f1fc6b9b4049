"""Health stays answerable under a flood: while 10,000 idle connections sit on the admin
port (opened and never written to, or sent half a request), and the flood replaces 20,000 of
them a second, /healthz and /livez probes are answered within a probe's timeout, every time,
and forwarding goes on.

The flood is paced, not as fast as a thread can go: on two cores shared with the daemon, a
flood that outruns the admin thread's accepting fills the listen queue, and then the kernel
drops SYNs, a probe's among them, before any server sees them. 20,000 a second is a third of
what the admin thread takes in a debug build (README, "Bounds")."""

import resource
import socket
import threading
import time

import pytest

from harness import echo, echo_once, service_yaml
from harness.admin import health

IDLE_CONNECTIONS = 10_000
# kubelet's default probe timeout is 1 s; a shared CI machine gets twice that.
PROBE_TIMEOUT = 2.0
PROBES = 10
# Probes are spread over this long, so that the flood replaces its whole set meanwhile.
PROBE_SPACING = 0.25
REPLACEMENTS_PER_SECOND = 20_000


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


class Flood:
    """Keeps `count` connections on `address`, replacing them round-robin at
    REPLACEMENTS_PER_SECOND (a client that reconnects whenever it is dropped), until
    stopped. With `partial`, each sends the start of a request and never the rest
    (slowloris)."""

    def __init__(self, address, count, partial=False):
        self.address = address
        self.partial = partial
        self.replaced = 0
        self.sockets = open_idle(address, count)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._replace, name="admin-flood", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=10)
        close_all(self.sockets)

    def _replace(self):
        index = 0
        started = time.monotonic()
        burst = REPLACEMENTS_PER_SECOND // 50  # 20 ms worth, well inside the listen queue
        while not self._stop.wait(0.005):
            due = int((time.monotonic() - started) * REPLACEMENTS_PER_SECOND)
            if due - index > burst:
                # This thread was held up: go on at the pace from here rather than catch
                # up in one burst that could overrun the listen queue.
                started += (due - index - burst) / REPLACEMENTS_PER_SECOND
                due = index + burst
            while index < due and not self._stop.is_set():
                self._replace_one(index % len(self.sockets))
                index += 1
        self.replaced = index

    def _replace_one(self, slot):
        self.sockets[slot].close()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sockets[slot] = sock
        sock.setblocking(False)
        sock.connect_ex(self.address)
        if self.partial:
            try:
                sock.send(b"GET /healthz HTTP/1.1\r\n")
            except OSError:
                pass  # not connected yet, or already dropped: it is still a slot taken


def timed_probe(daemon, path):
    """(status or the failure's name, seconds taken) of one probe with the probe timeout."""
    started = time.monotonic()
    try:
        status, _ = health(daemon, path, timeout=PROBE_TIMEOUT)
    except OSError as error:
        status = type(error).__name__
    return status, time.monotonic() - started


@pytest.mark.parametrize("partial", [False, True], ids=["silent", "half-a-request"])
def test_probes_are_answered_while_ten_thousand_idle_connections_sit_on_the_admin_port(
        start_backend, start_daemon, write_config, node_port, partial):
    backend = start_backend(echo)
    daemon = start_daemon(write_config(service_yaml("web", node_port=node_port, endpoints=[backend.endpoint])))

    with RaisedDescriptorLimit(IDLE_CONNECTIONS):
        with Flood(daemon.healthz_address, IDLE_CONNECTIONS, partial=partial) as flood:
            probes = []
            for path in ("/healthz", "/livez") * PROBES:
                probes.append(timed_probe(daemon, path))
                time.sleep(PROBE_SPACING)  # pacing, not synchronisation: the flood runs meanwhile

    print(f"{flood.replaced} connections replaced; probes (status, seconds):", [(s, round(t, 3)) for s, t in probes])
    assert flood.replaced > IDLE_CONNECTIONS, "the flood did not keep up its pressure"
    assert [status for status, _ in probes] == [200] * len(probes), probes
    assert echo_once(("127.0.0.1", node_port), b"still relaying") == b"still relaying"
    assert daemon.alive()


def test_a_client_that_never_sends_its_request_is_reset_at_its_deadline(
        start_backend, start_daemon, write_config, node_port):
    """2 s to send a request, then a reset: no FIN exchange and no TIME_WAIT entry for a
    client that was never answered, which is what a flood is made of."""
    backend = start_backend(echo)
    daemon = start_daemon(write_config(service_yaml("web", node_port=node_port, endpoints=[backend.endpoint])))

    with socket.create_connection(daemon.healthz_address, timeout=10) as silent, \
            socket.create_connection(daemon.healthz_address, timeout=10) as half:
        half.sendall(b"GET /healthz HTTP/1.1\r\n")
        started = time.monotonic()
        for sock in (silent, half):
            with pytest.raises(ConnectionResetError):
                sock.recv(1)
        waited = time.monotonic() - started
    assert waited >= 1.9, f"reset after {waited:.2f} s, before the 2 s a request may take"
