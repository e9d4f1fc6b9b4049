"""Shared pieces of the harness: deadlines, loopback ports, and the data pattern.

Every wait in the suite is measured against a `Deadline`. Ports are picked by binding, never
fixed. The data pattern makes loss, duplication, reordering and cross-talk visible in a
SHA-256, so that transfers can be checked without keeping them in memory.
"""

from __future__ import annotations

import hashlib
import random
import socket
import struct
import subprocess
import threading
import time

NODEPORT_RANGE = (30000, 32767)  # below Linux's ephemeral range (32768-60999): no self-connects

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
CHUNK = 64 * KiB


class Deadline:
    """A point in monotonic time that every wait in this suite is measured against."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self.end - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self.end


def poll_until(predicate, timeout: float, interval: float = 0.02):
    """Check `predicate` until it is truthy or the deadline passes; return its last value.

    Only for conditions that no event announces (a descriptor count settling, a sender
    making no progress): everything else waits on a socket, a pidfd or a datagram."""
    deadline = Deadline(timeout)
    while True:
        value = predicate()
        if value or deadline.expired():
            return value
        time.sleep(min(interval, deadline.remaining()))



def wait_until_stalled(progress, quiet: float, timeout: float) -> int:
    """Poll `progress()` until it has not moved for `quiet` seconds; return its value then
    (a sender held back by a reader that stopped)."""
    deadline = Deadline(timeout)
    last = progress()
    last_change = time.monotonic()
    while not deadline.expired():
        time.sleep(0.05)
        now = progress()
        if now != last:
            last, last_change = now, time.monotonic()
        elif now > 0 and time.monotonic() - last_change >= quiet:
            return now
    raise AssertionError(f"the sender never stalled within {timeout} s: it had sent {last} bytes")

def family_of(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


# --------------------------------------------------------------------------- ports

_handed_out: set[tuple[str, int]] = set()
_ports_lock = threading.Lock()


def can_bind(host: str, port: int, kind: int = socket.SOCK_STREAM) -> bool:
    sock = socket.socket(family_of(host), kind)
    try:
        if ":" in host:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        sock.close()


def pick_port(hosts=("127.0.0.1", "::1")) -> int:
    """A port in the NodePort range that nothing holds on any of `hosts`, never handed out twice.

    The range lies below the kernel's ephemeral ports, so a port picked here and left unbound
    is a reliable "nothing listens" target: no outgoing connection can self-connect to it.
    """
    rng = random.SystemRandom()
    for _ in range(1000):
        port = rng.randint(*NODEPORT_RANGE)
        with _ports_lock:
            if any((h, port) in _handed_out for h in hosts):
                continue
        if all(can_bind(h, port) for h in hosts):
            with _ports_lock:
                _handed_out.update((h, port) for h in hosts)
            return port
    raise RuntimeError(f"no free port in {NODEPORT_RANGE} on {hosts} after 1000 tries")


def pick_cluster_ip() -> str:
    """A random loopback address other than 127.0.0.1, for ClusterIP services."""
    rng = random.SystemRandom()
    return f"127.{rng.randint(1, 254)}.{rng.randint(1, 254)}.{rng.randint(2, 254)}"


def refusing_endpoint(host: str = "127.0.0.1") -> tuple[str, int]:
    """An (ip, port) where nothing listens: connecting to it is refused at once."""
    return (host, pick_port((host,)))


# --------------------------------------------------------------------------- data

_BASE = random.Random(0x5EED).randbytes(MiB)


def pattern_chunks(total: int, seed: int = 0, chunk: int = CHUNK):
    """Yield `total` bytes of a deterministic pattern, `chunk` bytes at a time.

    Each chunk opens with the seed and its sequence number, so a lost, duplicated or reordered
    chunk, or bytes from another connection (another seed), change the SHA-256 of the stream.
    """
    index = 0
    produced = 0
    while produced < total:
        size = min(chunk, total - produced)
        offset = (index * chunk) % len(_BASE)
        body = _BASE[offset + 16 : offset + max(chunk, 16)]
        block = (struct.pack(">QQ", seed, index) + body)[:size]
        yield block
        produced += size
        index += 1


def pattern_bytes(total: int, seed: int = 0) -> bytes:
    return b"".join(pattern_chunks(total, seed))


class StreamTally:
    """The byte count and SHA-256 of a stream, fed chunk by chunk."""

    def __init__(self):
        self.count = 0
        self._digest = hashlib.sha256()

    def add(self, data) -> None:
        self.count += len(data)
        self._digest.update(data)

    @property
    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def recv_loop(conn: socket.socket, on_data, deadline: Deadline, bufsize: int = 256 * KiB) -> None:
    buf = bytearray(bufsize)
    view = memoryview(buf)
    while not deadline.expired():
        n = conn.recv_into(buf)
        if n == 0:
            return
        on_data(view[:n])
    raise TimeoutError("peer did not end its stream before the deadline")


class ChildProcess:
    """A helper server this suite started (dnsmasq, unbound, ...): `process` and `log_path` set
    by the subclass; its log's tail for failure messages, and a stop by its own PID."""

    process: "subprocess.Popen"
    log_path: str
    host: str
    port: int

    @property
    def endpoint(self) -> tuple[str, int]:
        return (self.host, self.port)

    def launch(self, argv: list[str], wait_ready) -> None:
        """Starts `argv` with its output in `log_path`; `wait_ready()` raises when it does not
        come up, and the process is stopped before the error goes on."""
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, close_fds=True)
        try:
            wait_ready()
        except BaseException:
            self.stop()
            raise

    def log(self) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()          # our own child, by PID
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
