"""Clients: connections through the daemon, from one question to hundreds at once.

Small exchanges use blocking sockets with timeouts; many connections at once run in one
selector loop; a two-way bulk transfer uses one extra thread for the sending side.
"""

from __future__ import annotations

import hashlib
import selectors
import socket
import threading
import time
from dataclasses import dataclass, field

from .basics import CHUNK, KiB, MiB, Deadline, StreamTally, family_of, pattern_bytes, pattern_chunks, recv_loop, sha256

IO_TIMEOUT = 10.0


def connect(address: tuple[str, int], timeout: float = IO_TIMEOUT) -> socket.socket:
    return socket.create_connection(address, timeout=timeout)


def recv_to_eof(sock: socket.socket, timeout: float = IO_TIMEOUT) -> bytes:
    parts = []
    recv_loop(sock, lambda data: parts.append(bytes(data)), Deadline(timeout), bufsize=64 * KiB)
    return b"".join(parts)


def recv_hash_to_eof(sock: socket.socket, timeout: float) -> tuple[int, str]:
    received = StreamTally()
    recv_loop(sock, received.add, Deadline(timeout), bufsize=MiB)
    return received.count, received.hexdigest


def ask_name(address: tuple[str, int], timeout: float = IO_TIMEOUT) -> str:
    """Connect, read the backend's name to end of stream."""
    with connect(address, timeout) as sock:
        return recv_to_eof(sock, timeout).decode(errors="replace")


def echo_once(address: tuple[str, int], payload: bytes, timeout: float = IO_TIMEOUT) -> bytes:
    """Send a small payload, half-close, return what comes back before EOF."""
    with connect(address, timeout) as sock:
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        return recv_to_eof(sock, timeout)


def wait_for_end(sock: socket.socket, timeout: float) -> str:
    """Wait until the peer ends the connection: "eof", "reset", or "timeout"; data is drained."""
    deadline = Deadline(timeout)
    while not deadline.expired():
        sock.settimeout(max(0.001, deadline.remaining()))
        try:
            data = sock.recv(64 * KiB)
        except ConnectionResetError:
            return "reset"
        except (socket.timeout, TimeoutError):
            return "timeout"
        if not data:
            return "eof"
    return "timeout"


def time_until_end(address: tuple[str, int], timeout: float) -> tuple[str, float]:
    """Connect and wait for the daemon to end the connection; return how it ended ("eof",
    "reset" or "timeout") and the seconds from the start of connect. A reset that arrives
    while connect(2) is still returning counts: on loopback the kernel completes the handshake
    and the daemon can accept and reset before the client has looked at the socket."""
    started = time.monotonic()
    try:
        sock = connect(address, timeout)
    except ConnectionResetError:
        return "reset", time.monotonic() - started
    with sock:
        ending = wait_for_end(sock, max(0.001, timeout - (time.monotonic() - started)))
    return ending, time.monotonic() - started


@dataclass
class DuplexResult:
    sent: int
    sent_sha256: str
    received: int
    received_sha256: str
    errors: list = field(default_factory=list)


def duplex_transfer(sock: socket.socket, size: int, seed: int, timeout: float) -> DuplexResult:
    """Send `size` pattern bytes from one thread (then half-close) while this thread reads to
    end of stream; both directions run at the same time."""
    sent_digest = hashlib.sha256()
    sent = 0
    errors: list[BaseException] = []

    def send_all():
        nonlocal sent
        try:
            for chunk in pattern_chunks(size, seed):
                sock.sendall(chunk)
                sent_digest.update(chunk)
                sent += len(chunk)
            sock.shutdown(socket.SHUT_WR)
        except OSError as error:
            errors.append(error)

    sock.settimeout(timeout)
    sender = threading.Thread(target=send_all, name="duplex-sender", daemon=True)
    sender.start()
    try:
        received, received_sha = recv_hash_to_eof(sock, timeout)
    finally:
        sender.join(timeout=timeout)
    return DuplexResult(sent, sent_digest.hexdigest(), received, received_sha, errors)


@dataclass
class _EchoClient:
    sock: socket.socket
    payload: memoryview
    expected_sha256: str
    offset: int = 0
    received: int = 0
    digest: object = field(default_factory=hashlib.sha256)
    error: BaseException | None = None
    done: bool = False


@dataclass
class EchoOutcome:
    ok: int
    failures: list[str]


def echo_many(address: tuple[str, int], count: int, size: int, timeout: float, seed_base: int = 0) -> EchoOutcome:
    """Open `count` connections at once, send `size` distinct bytes on each, half-close, and
    read the echo to end of stream, all from one selector loop. Each connection is checked by
    length and SHA-256."""
    family = family_of(address[0])
    sel = selectors.DefaultSelector()
    clients: list[_EchoClient] = []
    try:
        for i in range(count):
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setblocking(False)
            sock.connect_ex(address)
            payload = pattern_bytes(size, seed=seed_base + i)
            client = _EchoClient(sock, memoryview(payload), sha256(payload))
            clients.append(client)
            sel.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE, client)
        pending = count
        deadline = Deadline(timeout)
        buf = bytearray(256 * KiB)
        while pending and not deadline.expired():
            for key, mask in sel.select(timeout=min(1.0, deadline.remaining())):
                client: _EchoClient = key.data
                try:
                    if mask & selectors.EVENT_WRITE and client.offset < len(client.payload):
                        try:
                            client.offset += client.sock.send(client.payload[client.offset:client.offset + CHUNK])
                        except BlockingIOError:
                            pass
                        if client.offset == len(client.payload):
                            client.sock.shutdown(socket.SHUT_WR)
                            sel.modify(client.sock, selectors.EVENT_READ, client)
                    if mask & selectors.EVENT_READ:
                        try:
                            n = client.sock.recv_into(buf)
                        except BlockingIOError:
                            continue
                        if n == 0:
                            client.done = True
                        else:
                            client.digest.update(memoryview(buf)[:n])
                            client.received += n
                except OSError as error:
                    client.error = error
                    client.done = True
                if client.done:
                    sel.unregister(client.sock)
                    client.sock.close()
                    pending -= 1
        failures = []
        for i, client in enumerate(clients):
            if client.error is not None:
                failures.append(f"#{i}: {client.error!r} after sending {client.offset} and receiving {client.received}")
            elif not client.done:
                failures.append(f"#{i}: no end of stream within {timeout} s (sent {client.offset}, received {client.received})")
            elif client.received != size or client.digest.hexdigest() != client.expected_sha256:
                failures.append(f"#{i}: received {client.received} bytes of {size}, sha256 match: "
                                f"{client.digest.hexdigest() == client.expected_sha256}")
        return EchoOutcome(count - len(failures), failures)
    finally:
        for client in clients:
            if client.sock.fileno() >= 0:
                client.sock.close()
        sel.close()
