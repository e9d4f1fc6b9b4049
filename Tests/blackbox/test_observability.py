"""Seeing inside: /metrics parsed by Prometheus' own parser equals the traffic the test sent,
/healthz and /livez follow the daemon's state, `svcproxy status` shows live connections and
refuses other users, and abusive admin clients do not disturb forwarding."""

import json
import os
import signal
import socket
import subprocess
import threading
import time

import pytest
from harness import (
    BINARY, MiB, Deadline, ask_name, connect, duplex_transfer, echo, echo_once, identify, refusing_endpoint,
    service_yaml,
)
from harness.admin import health, scrape, series


def test_metrics_count_exactly_the_traffic_sent(start_backend, start_daemon, write_config, node_port):
    a = start_backend(identify, name="a")
    b = start_backend(identify, name="b")
    dead = refusing_endpoint()
    daemon = start_daemon(write_config(service_yaml("web", node_port=node_port, endpoints=[a.endpoint, b.endpoint, dead])),
                          workers=2)
    empty_port = node_port + 1 if node_port < 32767 else node_port - 1

    answers = [ask_name(("127.0.0.1", node_port)) for _ in range(30)]

    samples = scrape(daemon)
    service = {"namespace": "default", "service": "web", "port": "http"}
    assert series(samples, "svcproxy_connections_accepted_total", **service) == 30
    for backend, name in ((a, "a"), (b, "b")):
        endpoint = "%s:%d" % backend.endpoint
        established = series(samples, "svcproxy_endpoint_connections_total", endpoint=endpoint, **service)
        assert established == answers.count(name)
        assert series(samples, "svcproxy_endpoint_received_bytes_total", endpoint=endpoint, **service) == answers.count(name) * len(name)
        assert series(samples, "svcproxy_endpoint_active_connections", endpoint=endpoint, **service) == 0
    dead_endpoint = "%s:%d" % dead
    assert series(samples, "svcproxy_endpoint_connections_total", endpoint=dead_endpoint, **service) == 0
    assert series(samples, "svcproxy_endpoint_connect_errors_total", endpoint=dead_endpoint, **service) == 10
    assert series(samples, "svcproxy_connect_retries_total", **service) == 10
    assert series(samples, "svcproxy_listeners") == 2  # the ClusterIP and the NodePort on 127.0.0.1 (an IPv4 Service)
    assert series(samples, "svcproxy_sync_proxy_rules_duration_seconds_count") == 1
    assert series(samples, "svcproxy_reloads_total", result="success") == 0
    assert series(samples, "process_open_fds") > 0

    daemon.reload()
    assert series(scrape(daemon), "svcproxy_reloads_total", result="success") == 1
    assert series(scrape(daemon), "svcproxy_connections_accepted_total", **service) == 30  # kept across the reload


def test_healthz_turns_503_while_draining_and_livez_stays_200(start_backend, start_daemon, write_config, node_port):
    backend = start_backend(echo)
    daemon = start_daemon(write_config(service_yaml("web", node_port=node_port, endpoints=[backend.endpoint])))
    assert health(daemon, "/healthz")[0] == 200
    status, body = health(daemon, "/livez")
    assert status == 200 and set(body) >= {"lastUpdated", "currentTime"}

    sock = connect(("127.0.0.1", node_port))
    sock.sendall(b"x")
    assert sock.recv(1) == b"x"
    daemon.process.send_signal(signal.SIGTERM)
    assert daemon.next_notification(timeout=5).get("STOPPING") == "1"

    status, body = health(daemon, "/healthz")
    assert status == 503 and body["draining"] is True
    assert health(daemon, "/livez")[0] == 200
    sock.close()
    assert daemon.wait_exit(timeout=10) == 0


def run_status(daemon, *args, user=None):
    command = [str(BINARY), "status", "--socket", daemon.status_socket, *args]
    if user is not None:
        command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=10)


def test_status_shows_endpoints_with_their_active_connections(start_backend, start_daemon, write_config, node_port):
    backend = start_backend(echo)
    daemon = start_daemon(write_config(service_yaml("web", node_port=node_port, endpoints=[backend.endpoint])))
    open_connections = [connect(("127.0.0.1", node_port)) for _ in range(3)]
    for sock in open_connections:
        sock.sendall(b"y")
        assert sock.recv(1) == b"y"

    result = run_status(daemon)
    report = json.loads(run_status(daemon, "--output", "json").stdout)

    assert result.returncode == 0, result.stderr
    endpoint = "%s:%d" % backend.endpoint
    row = next(line for line in result.stdout.splitlines() if line.strip().startswith(endpoint))
    assert row.split()[1:3] == ["up", "3"], result.stdout
    assert "default/web:http" in result.stdout and f"127.0.0.1:{node_port}" in result.stdout
    [service] = report["services"]
    assert service["endpoints"][0]["active"] == 3 and report["state"] == "serving"
    for sock in open_connections:
        sock.close()


def test_status_socket_refuses_another_user(start_backend, start_daemon, write_config, node_port):
    backend = start_backend(echo)
    daemon = start_daemon(write_config(service_yaml("web", node_port=node_port, endpoints=[backend.endpoint])))
    assert oct(os.stat(daemon.status_socket).st_mode & 0o777) == "0o600"

    os.chmod(daemon.notify_dir, 0o755)  # let the other user reach the socket file itself
    result = run_status(daemon, user=65534)

    assert result.returncode == 77
    assert "Permission denied" in result.stderr
    assert result.stdout == ""


def test_malformed_and_slow_admin_clients_do_not_disturb_forwarding(start_backend, start_daemon, write_config, node_port):
    backend = start_backend(echo)
    daemon = start_daemon(write_config(service_yaml("web", node_port=node_port, endpoints=[backend.endpoint])))

    def timed_transfer():
        with connect(("127.0.0.1", node_port), timeout=30) as sock:
            started = time.monotonic()
            result = duplex_transfer(sock, 64 * MiB, seed=9, timeout=30)
            assert (result.received, result.received_sha256) == (result.sent, result.sent_sha256)
            return time.monotonic() - started

    baseline = min(timed_transfer() for _ in range(2))

    stop = threading.Event()
    answers = []

    def garbage():
        while not stop.is_set():
            with socket.create_connection(daemon.metrics_address, timeout=5) as sock:
                sock.sendall(b"\x00\xffNOT HTTP AT ALL\r\n\r\n")
                answers.append(sock.recv(64))

    def huge_headers():
        while not stop.is_set():
            with socket.create_connection(daemon.metrics_address, timeout=5) as sock:
                try:
                    sock.sendall(b"GET /metrics HTTP/1.1\r\nX-Filler: " + b"a" * MiB + b"\r\n\r\n")
                except OSError:
                    pass  # the daemon stops reading at 8 KiB and closes
                answers.append(sock.recv(64))

    slow = [socket.create_connection(daemon.metrics_address, timeout=5) for _ in range(8)]

    def one_byte_per_second():
        deadline = Deadline(10)
        for byte in b"GET /metrics HTTP/1.1\r\n":
            if stop.is_set() or deadline.expired():
                return
            for sock in slow:
                try:
                    sock.send(bytes([byte]))
                except OSError:
                    pass
            stop.wait(1)

    abusers = [threading.Thread(target=f) for f in (garbage, huge_headers, one_byte_per_second)]
    for thread in abusers:
        thread.start()
    try:
        under_abuse = timed_transfer()
    finally:
        stop.set()
        for thread in abusers:
            thread.join(timeout=15)
        for sock in slow:
            sock.close()

    assert under_abuse < baseline * 2 + 0.5, f"64 MiB each way took {under_abuse:.2f} s under abuse, {baseline:.2f} s before"
    assert any(answer.startswith(b"HTTP/1.1 400") for answer in answers)
    assert any(answer.startswith(b"HTTP/1.1 431") for answer in answers)
    assert health(daemon, "/livez")[0] == 200
    assert echo_once(("127.0.0.1", node_port), b"fine") == b"fine"


def test_access_log_has_one_entry_per_finished_connection(start_backend, start_daemon, write_config, node_port):
    backend = start_backend(echo)
    daemon = start_daemon(write_config(service_yaml("web", node_port=node_port, endpoints=[backend.endpoint])),
                          extra_args=("--access-log",))

    for payload in (b"ping", b"pong!"):
        assert echo_once(("127.0.0.1", node_port), payload) == payload

    endpoint = "%s:%d" % backend.endpoint
    deadline = Deadline(5)
    while daemon.log_text().count("event=access") < 2 and not deadline.expired():
        time.sleep(0.05)  # the entry is written as the daemon closes, just after the client sees EOF
    entries = [line for line in daemon.log_text().splitlines() if "event=access" in line]
    assert len(entries) == 2, entries
    assert f"to default/web:http via {endpoint} closed: 4 bytes sent, 4 bytes received" in entries[0]
    assert f"to default/web:http via {endpoint} closed: 5 bytes sent, 5 bytes received" in entries[1]
    assert all("client=127.0.0.1:" in entry for entry in entries)


def test_access_log_says_connect_failed_when_every_endpoint_refused(start_daemon, write_config, node_port):
    daemon = start_daemon(write_config(service_yaml("web", node_port=node_port, endpoints=[refusing_endpoint()])),
                          extra_args=("--access-log",))

    # The request is read before the first connect; it goes nowhere, the client is reset,
    # and the entry says why.
    with pytest.raises(ConnectionResetError):
        echo_once(("127.0.0.1", node_port), b"ping", timeout=8)
    deadline = Deadline(8)
    while "event=access" not in daemon.log_text() and not deadline.expired():
        time.sleep(0.05)
    entries = [line for line in daemon.log_text().splitlines() if "event=access" in line]
    assert len(entries) == 1 and "connect-failed: 0 bytes sent, 0 bytes received" in entries[0], entries
