"""Graceful stop: on SIGTERM the daemon stops accepting at once, lets open connections
finish, and after --shutdown-grace-period closes what is left and exits 0."""

import signal
import socket
import threading
import time

import pytest

from harness import MiB, connect, duplex_transfer, echo, service_yaml, wait_for_end


def test_open_transfer_finishes_after_sigterm(start_backend, start_daemon, write_config, node_port):
    backend = start_backend(echo)
    daemon = start_daemon(write_config(service_yaml("web", node_port=node_port, endpoints=[backend.endpoint])))
    sock = connect(("127.0.0.1", node_port), timeout=10)
    sock.sendall(b"warm-up")
    assert sock.recv(7) == b"warm-up"

    daemon.process.send_signal(signal.SIGTERM)
    stopping = daemon.next_notification(timeout=5)
    assert stopping is not None and stopping.get("STOPPING") == "1"
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", node_port), timeout=5).close()

    result = duplex_transfer(sock, 16 * MiB, seed=5, timeout=30)
    sock.close()
    assert result.errors == []
    assert (result.received, result.received_sha256) == (result.sent, result.sent_sha256)
    assert daemon.wait_exit(timeout=10) == 0


def test_stuck_connection_is_closed_at_the_grace_period_and_the_daemon_exits_0(
        start_backend, start_daemon, write_config, node_port):
    backend = start_backend(echo)
    daemon = start_daemon(write_config(service_yaml("web", node_port=node_port, endpoints=[backend.endpoint])),
                          extra_args=("--shutdown-grace-period", "2s"))
    sock = connect(("127.0.0.1", node_port), timeout=10)
    sock.sendall(b"x")
    assert sock.recv(1) == b"x"

    started = time.monotonic()
    daemon.process.send_signal(signal.SIGTERM)
    status = daemon.wait_exit(timeout=10)
    elapsed = time.monotonic() - started

    assert status == 0
    assert 1.8 <= elapsed < 4, f"exited after {elapsed:.2f} s with a 2 s grace period"
    assert wait_for_end(sock, timeout=2) in ("eof", "reset")
    sock.close()
