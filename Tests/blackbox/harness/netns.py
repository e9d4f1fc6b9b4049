"""Test hosts in network namespaces this suite makes: a pair of namespaces joined by a veth
pair, svcproxy started inside one of them, and Python snippets run inside either. Needs root
(ip netns); every namespace made here is deleted again. Traffic stays inside them."""

from __future__ import annotations

import secrets
import subprocess
import sys
from contextlib import contextmanager

import harness.daemon


def ip(*args: str) -> str:
    return subprocess.run(["ip", *args], check=True, capture_output=True, text=True, timeout=10).stdout


@contextmanager
def namespace_pair(first_address: str = "10.250.0.1", second_address: str = "10.250.0.2", prefix: int = 30):
    """Two namespaces, (first, second), with lo up and a veth pair between them addressed
    `first_address` and `second_address`."""
    suffix = secrets.token_hex(3)
    first, second = f"svcp-a-{suffix}", f"svcp-b-{suffix}"
    veth_first, veth_second = f"sva{suffix}", f"svb{suffix}"
    made = []
    try:
        for name in (first, second):
            ip("netns", "add", name)
            made.append(name)
        ip("link", "add", veth_first, "type", "veth", "peer", "name", veth_second)
        ip("link", "set", veth_first, "netns", first)
        ip("link", "set", veth_second, "netns", second)
        ip("-n", first, "addr", "add", f"{first_address}/{prefix}", "dev", veth_first)
        ip("-n", second, "addr", "add", f"{second_address}/{prefix}", "dev", veth_second)
        for name, veth in ((first, veth_first), (second, veth_second)):
            ip("-n", name, "link", "set", "lo", "up")
            ip("-n", name, "link", "set", veth, "up")
        yield first, second
    finally:
        for name in made:
            subprocess.run(["ip", "netns", "delete", name], timeout=10, check=False)


def run_daemons_in(namespace: str, tmp_path, monkeypatch, prefix: str = "") -> None:
    """Make start_daemon run svcproxy inside `namespace` (through a wrapper script), with
    `prefix` (e.g. a setpriv call) in front of it."""
    wrapper = tmp_path / "svcproxy-in-namespace"
    wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {namespace} {prefix}{harness.daemon.BINARY} "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setattr(harness.daemon, "BINARY", wrapper)


def python_in(namespace: str, code: str, *args: str, **popen) -> subprocess.Popen:
    """`code` run by this Python inside `namespace`; the caller ends it (by its PID)."""
    return subprocess.Popen(["ip", "netns", "exec", namespace, sys.executable, "-c", code, *args], **popen)


# A backend for a namespace: on HOST:PORT, answers every connection with REPLY and closes.
NAMING_BACKEND = """
import socket, sys
host, port, reply = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((host, port))
listener.listen(16)
print("ready", flush=True)
listener.settimeout(60)
for _ in range(100):
    conn, _ = listener.accept()
    conn.sendall(reply)
    conn.close()
"""

# A client for a namespace: connects to HOST:PORT and prints all it reads until the close.
READING_CLIENT = """
import socket, sys
with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5) as sock:
    data = b""
    while True:
        part = sock.recv(100)
        if not part:
            break
        data += part
print(data.decode())
"""


@contextmanager
def backends_in(namespace: str, *backends: tuple[str, int, str]):
    """A NAMING_BACKEND per (host, port, reply) inside `namespace`, for as long as the block runs."""
    processes = []
    try:
        for host, port, reply in backends:
            process = python_in(namespace, NAMING_BACKEND, host, str(port), reply, stdout=subprocess.PIPE, text=True)
            processes.append(process)
            assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        yield processes
    finally:
        for process in processes:
            process.kill()  # our own children, by PID
            process.wait(timeout=10)


def ask_from(namespace: str, host: str, port: int) -> str:
    """What a connection from `namespace` to host:port reads, or why it failed."""
    result = subprocess.run(["ip", "netns", "exec", namespace, sys.executable, "-c", READING_CLIENT, host, str(port)],
                            capture_output=True, text=True, timeout=15)
    return result.stdout.strip() if result.returncode == 0 else f"failed: {result.stderr.strip()[-200:]}"
