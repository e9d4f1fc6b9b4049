"""Backends as threads: servers on loopback that the daemon relays to.

Each accepted connection runs a handler in its own thread with a socket timeout, so every
handler ends by itself; `Backend.stop()` wakes blocked calls with shutdown(2) and joins.
Handlers record what they saw (counts and SHA-256) for the test to compare.
"""

from __future__ import annotations

import hashlib
import socket
import struct
import threading

from .basics import Deadline, StreamTally, family_of, pattern_chunks, recv_loop

HANDLER_TIMEOUT = 60.0


class Backend:
    """A TCP server on a loopback address; each accepted connection runs `handler(conn, self)`
    in its own thread. `stop()` wakes every blocked call with shutdown(2) and joins."""

    MAX_CONNECTIONS = 100_000

    def __init__(self, handler, host: str = "127.0.0.1", name: str = "backend", port: int = 0):
        self.name = name
        self.host = host
        self._handler = handler
        self._lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._stopping = False
        self.accepted = 0
        self.errors: list[BaseException] = []
        self.records: list = []
        self.bytes_sent = 0
        self._listener = socket.socket(family_of(host), socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, port))
        self._listener.listen(1024)
        self.port = self._listener.getsockname()[1]
        self._accept_thread = threading.Thread(target=self._accept_loop, name=f"{name}-accept", daemon=True)
        self._accept_thread.start()

    @property
    def endpoint(self) -> tuple[str, int]:
        return (self.host, self.port)

    def record(self, value) -> None:
        with self._lock:
            self.records.append(value)

    def add_sent(self, n: int) -> None:
        with self._lock:
            self.bytes_sent += n

    def _accept_loop(self) -> None:
        for _ in range(self.MAX_CONNECTIONS):
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return  # stop() shut the listener down
            conn.settimeout(HANDLER_TIMEOUT)
            with self._lock:
                if self._stopping:
                    conn.close()
                    return
                self.accepted += 1
                self._conns.add(conn)
                thread = threading.Thread(target=self._serve, args=(conn,), name=f"{self.name}-conn", daemon=True)
                self._threads = [t for t in self._threads if t.is_alive()]
                self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            self._handler(conn, self)
        except (OSError, ValueError) as error:
            with self._lock:
                self.errors.append(error)
        finally:
            with self._lock:
                self._conns.discard(conn)
                conn.close()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            for conn in self._conns:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            threads = list(self._threads)
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._accept_thread.join(timeout=5)
        self._listener.close()
        deadline = Deadline(5)
        for thread in threads:
            thread.join(timeout=deadline.remaining())


def identify(conn: socket.socket, backend: Backend) -> None:
    """Answer with the backend's name, then close."""
    conn.sendall(backend.name.encode())


def echo(conn: socket.socket, backend: Backend) -> None:
    """Send back every byte received; at end of stream, half-close. Records (count, sha256)."""
    received = StreamTally()

    def on_data(data):
        received.add(data)
        conn.sendall(data)

    recv_loop(conn, on_data, Deadline(HANDLER_TIMEOUT))
    backend.record((received.count, received.hexdigest))  # before the peer can see our end of stream
    conn.shutdown(socket.SHUT_WR)


def answer_after_eof(answer_size: int, seed: int = 7):
    """Read the request to end of stream, then send `answer_size` pattern bytes and close.

    Records (request count, request sha256, answer sha256)."""

    def handler(conn: socket.socket, backend: Backend) -> None:
        request = StreamTally()
        recv_loop(conn, request.add, Deadline(HANDLER_TIMEOUT))
        answer = hashlib.sha256()
        for chunk in pattern_chunks(answer_size, seed):
            conn.sendall(chunk)
            answer.update(chunk)
        backend.record((request.count, request.hexdigest, answer.hexdigest()))

    return handler


def source(conn: socket.socket, backend: Backend) -> None:
    """Read an 8-byte big-endian length, then send that many pattern bytes as fast as the
    socket takes them, counting progress in `backend.bytes_sent`. Records (count, sha256)."""
    request = b""
    deadline = Deadline(HANDLER_TIMEOUT)
    while len(request) < 8 and not deadline.expired():
        data = conn.recv(8 - len(request))
        if not data:
            return
        request += data
    if len(request) < 8:
        return
    (total,) = struct.unpack(">Q", request)
    digest = hashlib.sha256()
    sent = 0
    for chunk in pattern_chunks(total, seed=total):
        conn.sendall(chunk)
        digest.update(chunk)
        sent += len(chunk)
        backend.add_sent(len(chunk))
    backend.record((sent, digest.hexdigest()))
