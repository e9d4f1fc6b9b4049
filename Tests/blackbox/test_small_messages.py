"""Messages smaller than a relay buffer are sent at the end of a worker's turn, together,
through io_uring (`--batch-sends`, on by default), or one by one: either way every byte
arrives once and in order, also when the receiver stops reading and the sends find its
socket full (EAGAIN, then the rest once it has room)."""

import random
import socket
import threading
import time

from harness import KiB, echo, recv_to_eof, sha256

MESSAGES = 12000


def _messages(seed: int) -> list[bytes]:
    rng = random.Random(seed)
    return [rng.randbytes(rng.randint(1, 2000)) for _ in range(MESSAGES)]


DRIPS = 8000


def drip(conn: socket.socket, backend) -> None:
    """Send DRIPS messages one at a time with a pause after each, so that the daemon reads
    each alone (a read that does not fill its buffer), then close."""
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for message in _messages(seed=9)[:DRIPS]:
        conn.sendall(message)
        time.sleep(0.0002)
    conn.shutdown(socket.SHUT_WR)


def test_thousands_of_small_messages_echo_back_intact_past_a_reader_that_paused(relay_to, node_port):
    backend, daemon = relay_to(echo, "chat")
    messages = _messages(seed=5)
    sent = b"".join(messages)

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as client:
        # A small receive buffer fills while the client pauses, so that the daemon's sends
        # to it find it full and wait for room.
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * KiB)
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client.settimeout(30)
        client.connect(("127.0.0.1", node_port))
        errors = []

        def write_all():
            try:
                for message in messages:
                    client.sendall(message)
                client.shutdown(socket.SHUT_WR)
            except OSError as error:
                errors.append(error)

        writer = threading.Thread(target=write_all)
        writer.start()
        time.sleep(1.0)  # not reading: the echo backs up into the daemon's sends
        received = recv_to_eof(client, timeout=30)
        writer.join(timeout=30)

    assert errors == []
    assert len(received) == len(sent), f"received {len(received)} of {len(sent)} bytes"
    assert sha256(received) == sha256(sent), "the echoed stream differs from the sent one"
    assert backend.records == [(len(sent), sha256(sent))]
    assert "io-uring-unavailable" not in daemon.log_text() or _io_uring_disabled()


def test_messages_sent_one_by_one_to_a_reader_that_paused_arrive_intact(relay_to, node_port):
    relay_to(drip, "drip")
    sent = b"".join(_messages(seed=9)[:DRIPS])

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as client:
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * KiB)
        client.settimeout(30)
        client.connect(("127.0.0.1", node_port))
        # Not reading while most of the messages come: the daemon's socket to the client
        # fills, and a send of a single message finds it full.
        time.sleep(2.5)
        received = recv_to_eof(client, timeout=30)

    assert len(received) == len(sent), f"received {len(received)} of {len(sent)} bytes"
    assert sha256(received) == sha256(sent), "the stream differs from the one the backend sent"


def _io_uring_disabled() -> bool:
    try:
        with open("/proc/sys/kernel/io_uring_disabled") as f:
            return f.read().strip() != "0"
    except OSError:
        return False
