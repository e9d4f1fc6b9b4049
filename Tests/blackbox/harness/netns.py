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
