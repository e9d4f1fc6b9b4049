"""Descriptors: every descriptor the daemon opens for a connection is closed again (DESIGN
invariant 5), and running out of descriptors (EMFILE) neither kills the daemon nor stops it
serving once descriptors are free again (invariant 4)."""

import selectors
import socket
import struct
import time

from harness import (
    Deadline, connect, echo, echo_many, echo_once, poll_until, service_yaml,
)


def reset_after_sending(address, payload: bytes) -> None:
    """Send, then close with SO_LINGER 0 so the daemon sees a reset instead of an orderly end."""
    sock = connect(address, timeout=5)
    sock.sendall(payload)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def settled_fd_targets(daemon, quiet: float = 0.5, timeout: float = 5) -> dict[str, str]:
    """The daemon's descriptors once their count has not changed for `quiet` seconds."""
    deadline = Deadline(timeout)
    count, since = daemon.fd_count(), time.monotonic()
    while not deadline.expired():
        time.sleep(0.02)
        now = daemon.fd_count()
        if now != count:
            count, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return daemon.fd_targets()
    raise AssertionError(f"the daemon's descriptor count did not settle within {timeout} s")


def test_descriptor_count_returns_to_its_baseline_after_1000_connections(
        start_backend, start_daemon, write_config, node_port):
    backend = start_backend(echo)
    daemon = start_daemon(write_config(service_yaml("web", node_port=node_port, endpoints=[backend.endpoint])),
                          workers=2)
    address = ("127.0.0.1", node_port)
    # Workers may still be setting up right after READY=1, and pools may fill on first use:
    # warm up with the same kinds of connections as below, then take the settled count.
    for i in range(10):
        assert echo_once(address, b"warm-up %d" % i, timeout=5) == b"warm-up %d" % i
    assert echo_many(address, count=50, size=16, timeout=20, seed_base=10_000).failures == []
    baseline = settled_fd_targets(daemon)

    for i in range(500):
        payload = b"hello %d\n" % i
        if i % 10 == 9:
            reset_after_sending(address, payload)
        else:
            assert echo_once(address, payload, timeout=5) == payload, f"sequential connection {i}"
    for batch in range(10):
        outcome = echo_many(address, count=50, size=16, timeout=20, seed_base=batch * 50)
        assert outcome.failures == [], f"batch {batch}: {outcome.failures[:5]}"

    settled = poll_until(lambda: daemon.fd_count() == len(baseline), timeout=5)
    if not settled:
        now = daemon.fd_targets()
        extra = sorted(f"{fd} -> {target}" for fd, target in now.items() if baseline.get(fd) != target)
        missing = sorted(f"{fd} -> {target}" for fd, target in baseline.items() if now.get(fd) != target)
        raise AssertionError(
            f"daemon holds {len(now)} descriptors, {len(baseline)} before the 1000 connections; "
            f"new: {extra[:20]}; gone: {missing[:20]}")


NOFILE_LIMIT = 64
CLIENTS = 100


def open_clients(address, count: int, timeout: float) -> list[socket.socket]:
    """Start `count` non-blocking connects at once and return those the kernel completed.

    The kernel completes a connect as soon as the listener's backlog takes it, whether or not
    the daemon has accepted it."""
    sel = selectors.DefaultSelector()
    pending = []
    for _ in range(count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.connect_ex(address)
        sel.register(sock, selectors.EVENT_WRITE)
        pending.append(sock)
    connected = []
    deadline = Deadline(timeout)
    while len(connected) < count and not deadline.expired() and sel.get_map():
        for key, _ in sel.select(timeout=deadline.remaining()):
            sock = key.fileobj
            sel.unregister(sock)
            if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                connected.append(sock)
            else:
                sock.close()
    for key in list(sel.get_map().values()):
        key.fileobj.close()
    sel.close()
    return connected


def probe_echo(clients: list[socket.socket], timeout: float) -> dict[str, int]:
    """Send one byte on each client and classify it by what comes back before the deadline:
    echoed (the daemon serves it), ended (EOF or reset), silent (not accepted yet)."""
    sel = selectors.DefaultSelector()
    outcome = {"echoed": 0, "ended": 0, "silent": 0}
    for sock in clients:
        try:
            sock.send(b"x")
            sel.register(sock, selectors.EVENT_READ)
        except OSError:
            outcome["ended"] += 1
    deadline = Deadline(timeout)
    while sel.get_map() and not deadline.expired():
        for key, _ in sel.select(timeout=deadline.remaining()):
            sel.unregister(key.fileobj)
            try:
                data = key.fileobj.recv(16)
            except BlockingIOError:
                sel.register(key.fileobj, selectors.EVENT_READ)
                continue
            except OSError:
                data = b""
            outcome["echoed" if data == b"x" else "ended"] += 1
    outcome["silent"] = len(sel.get_map())
    sel.close()
    return outcome


def serve_again(address, timeout: float) -> bool:
    """Try new echo connections, each with a short timeout, until one works or time is up."""
    deadline = Deadline(timeout)
    for _ in range(50):
        if deadline.expired():
            return False
        try:
            if echo_once(address, b"again", timeout=max(0.1, min(1.0, deadline.remaining()))) == b"again":
                return True
        except OSError:
            pass
    return False


def start_starved_daemon(start_backend, start_daemon, write_config, node_port):
    backend = start_backend(echo)
    daemon = start_daemon(write_config(service_yaml("web", node_port=node_port, endpoints=[backend.endpoint])),
                          nofile_limit=NOFILE_LIMIT)
    return daemon, ("127.0.0.1", node_port)


def test_daemon_survives_descriptor_exhaustion_and_serves_again_once_clients_leave(
        start_backend, start_daemon, write_config, node_port):
    daemon, address = start_starved_daemon(start_backend, start_daemon, write_config, node_port)

    clients = open_clients(address, CLIENTS, timeout=5)
    try:
        outcome = probe_echo(clients, timeout=2)
        assert daemon.alive(), f"daemon died with {len(clients)} clients at a descriptor limit of {NOFILE_LIMIT}"
        assert outcome["echoed"] >= 1, f"no client was served at all: {outcome}"
    finally:
        for sock in clients:
            sock.close()

    assert serve_again(address, timeout=5), "no new connection was served within 5 s after the clients left"
    assert daemon.alive()


def test_daemon_does_not_spin_while_out_of_descriptors(start_backend, start_daemon, write_config, node_port):
    daemon, address = start_starved_daemon(start_backend, start_daemon, write_config, node_port)

    clients = open_clients(address, CLIENTS, timeout=5)
    try:
        probe_echo(clients, timeout=1)
        cpu_before = daemon.cpu_seconds()
        time.sleep(1.0)  # a measurement window, not synchronisation
        cpu_used = daemon.cpu_seconds() - cpu_before
        assert daemon.alive()
        assert cpu_used < 0.3, f"daemon burned {cpu_used:.2f} s of CPU in 1 s while out of descriptors"
    finally:
        for sock in clients:
            sock.close()
