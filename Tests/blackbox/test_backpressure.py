"""Backpressure: a client that stops reading holds its backend back through the daemon, and
the daemon does not buffer the difference in its own memory. When the client reads again,
every byte arrives intact."""

import socket
import struct

from harness import GiB, KiB, MiB, connect, recv_hash_to_eof, service_yaml, source, wait_until_stalled

TOTAL = 1 * GiB
STALL_QUIET = 1.0       # the backend counts as held back after this long without progress
MAX_RSS_GROWTH_KIB = 4 * 1024
MAX_IN_FLIGHT = 64 * MiB



def test_slow_reader_holds_backend_back_without_growing_daemon_memory_and_loses_nothing(
        start_backend, start_daemon, write_config, node_port):
    backend = start_backend(source)
    daemon = start_daemon(write_config(service_yaml("bulk", node_port=node_port, endpoints=[backend.endpoint])))
    address = ("127.0.0.1", node_port)
    # A small transfer first, so that memory the daemon sets up once is in the baseline.
    with connect(address) as warm_up:
        warm_up.sendall(struct.pack(">Q", MiB))
        assert recv_hash_to_eof(warm_up, timeout=10)[0] == MiB
    rss_before = daemon.rss_kib()
    sent_before = backend.bytes_sent

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as client:
        # A small receive buffer keeps the kernel's share of the in-flight bytes small, so that
        # what piles up anywhere else is visible.
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 256 * KiB)
        client.settimeout(10)
        client.connect(address)
        client.sendall(struct.pack(">Q", TOTAL))

        held_at = wait_until_stalled(lambda: backend.bytes_sent - sent_before, STALL_QUIET, timeout=15)
        rss_growth = daemon.rss_kib() - rss_before

        assert held_at < MAX_IN_FLIGHT, f"backend sent {held_at / MiB:.1f} MiB before being held back"
        assert rss_growth < MAX_RSS_GROWTH_KIB, f"daemon RSS grew by {rss_growth} KiB while the client was not reading"

        received, received_sha256 = recv_hash_to_eof(client, timeout=60)

    assert received == TOTAL, f"client received {received} of {TOTAL} bytes"
    assert backend.records[-1] == (TOTAL, received_sha256), "received stream differs from the sent stream"
