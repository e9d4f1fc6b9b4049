"""Reload (SIGHUP) inside the running process: kept listeners stay the same sockets, endpoint
changes apply to new connections, dropped ports are freed, and no open connection is cut,
whatever happened to its service; a port that cannot be bound fails alone."""

import socket
import threading
import time

import pytest

from harness import (
    MiB, Deadline, connect, duplex_transfer, echo, echo_once, identify, ask_name, pick_port, poll_until, service_yaml,
)


def two_services(web_port, web_endpoints, extra_port=None, extra_endpoints=None):
    text = service_yaml("web", node_port=web_port, endpoints=web_endpoints)
    if extra_port is not None:
        text += "---\n" + service_yaml("extra", node_port=extra_port, endpoints=extra_endpoints,
                                       ip_family_policy="PreferDualStack")
    return text


def test_endpoint_changes_apply_to_the_next_connection(start_backend, start_daemon, write_config, node_port):
    a = start_backend(identify, name="a")
    b = start_backend(identify, name="b")
    config = write_config(service_yaml("web", node_port=node_port, endpoints=[a.endpoint]))
    daemon = start_daemon(config)
    assert {ask_name(("127.0.0.1", node_port)) for _ in range(4)} == {"a"}

    config.write_text(service_yaml("web", node_port=node_port, endpoints=[b.endpoint]))
    daemon.reload()

    assert {ask_name(("127.0.0.1", node_port)) for _ in range(4)} == {"b"}


def test_reload_under_load_loses_no_connection_and_keeps_the_listener(
        start_backend, start_daemon, write_config, node_port):
    backends = [start_backend(echo, name=f"echo-{i}") for i in range(3)]
    endpoints = [b.endpoint for b in backends]
    extra_port = pick_port()
    config = write_config(two_services(node_port, endpoints))
    daemon = start_daemon(config, workers=2)
    inodes_before = daemon.listening_inodes(node_port)
    assert len(inodes_before) == 2  # 127.0.0.1 (an IPv4 Service), one socket per worker

    stop = threading.Event()
    short_results = {"ok": 0, "failed": []}
    long_results = []

    def short_connections():
        deadline = Deadline(30)
        while not stop.is_set() and not deadline.expired():
            try:
                if echo_once(("127.0.0.1", node_port), b"ping", timeout=5) == b"ping":
                    short_results["ok"] += 1
                else:
                    short_results["failed"].append("wrong answer")
            except OSError as error:
                short_results["failed"].append(repr(error))

    def long_transfers(seed):
        deadline = Deadline(30)
        while not stop.is_set() and not deadline.expired():
            with connect(("127.0.0.1", node_port), timeout=10) as sock:
                long_results.append(duplex_transfer(sock, 8 * MiB, seed, timeout=20))

    threads = [threading.Thread(target=short_connections) for _ in range(2)]
    threads += [threading.Thread(target=long_transfers, args=(seed,)) for seed in range(2)]
    for thread in threads:
        thread.start()
    try:
        started = time.monotonic()
        for i in range(50):
            web = endpoints[: 1 + i % 3] if i % 2 == 0 else endpoints[i % 3:]
            if i == 25:
                text = two_services(node_port, web).replace(f"nodePort: {node_port}", "nodePort: 99999")
            elif i % 4 in (1, 2):
                text = two_services(node_port, web, extra_port, endpoints[:1])
            else:
                text = two_services(node_port, web)
            config.write_text(text)
            daemon.reload()
            # Spread the 50 reloads over about 10 s of traffic.
            pause = started + (i + 1) * 0.2 - time.monotonic()
            if pause > 0:
                time.sleep(pause)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=40)

    assert short_results["failed"] == []
    assert short_results["ok"] > 100
    assert len(long_results) >= 2
    for result in long_results:
        assert result.errors == []
        assert (result.received, result.received_sha256) == (result.sent, result.sent_sha256)
    assert daemon.listening_inodes(node_port) == inodes_before
    assert daemon.alive()


def test_deleted_service_refuses_new_connections_while_its_open_transfer_finishes(
        start_backend, start_daemon, write_config, node_port):
    backend = start_backend(echo)
    other_port = pick_port()
    config = write_config(two_services(node_port, [backend.endpoint], other_port, [backend.endpoint]))
    daemon = start_daemon(config)

    sock = connect(("127.0.0.1", other_port), timeout=10)
    transfer = {}
    sender_started = threading.Event()

    def run_transfer():
        sender_started.set()
        transfer["result"] = duplex_transfer(sock, 32 * MiB, seed=3, timeout=30)

    thread = threading.Thread(target=run_transfer)
    thread.start()
    sender_started.wait(5)
    config.write_text(two_services(node_port, [backend.endpoint]))
    daemon.reload()

    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", other_port), timeout=5).close()
    with socket.socket() as taker:  # no listener holds the port: a server can take it at once
        taker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do, past the open transfer
        taker.bind(("127.0.0.1", other_port))
        taker.listen(1)
    thread.join(timeout=40)
    sock.close()
    result = transfer["result"]
    assert result.errors == []
    assert (result.received, result.received_sha256) == (result.sent, result.sent_sha256)
    assert echo_once(("127.0.0.1", node_port), b"web") == b"web"


def test_port_held_by_another_process_fails_alone(start_backend, start_daemon, write_config, node_port):
    backend = start_backend(echo)
    held_port = pick_port()
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", held_port))
    holder.listen(1)
    try:
        daemon = start_daemon(write_config(two_services(node_port, [backend.endpoint], held_port, [backend.endpoint])))
        assert "1 listeners failed to bind" in daemon.notifications[-1]["STATUS"]
        # Written by the logging thread, possibly a moment later.
        line = f"Failed to listen on 127.0.0.1:{held_port} for default/extra:http: Address already in use"
        assert poll_until(lambda: line in daemon.log_text(), timeout=5), daemon.log_tail()
        assert echo_once(("127.0.0.1", node_port), b"web") == b"web"
        assert echo_once(("::1", held_port), b"extra") == b"extra"
    finally:
        holder.close()
