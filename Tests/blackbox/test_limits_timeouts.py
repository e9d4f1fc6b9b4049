"""Connection limits and timeouts: --max-connections over the node and the annotation
svcproxy.io/max-connections per service refuse beyond the limit and leave open connections
working; --idle-timeout (and its annotation) closes exactly the silent connections, and the
half-close timeout closes exactly the half-closed ones whose peer never finishes."""

import select
import socket
import time

from harness import Deadline, echo, pick_cluster_ip, pick_port, poll_until, service_yaml, wait_for_end
from harness.node import connect_from, echo_round_trip, refused_count

CLIENT = "127.0.0.2"


def hold_after_eof(conn: socket.socket, backend) -> None:
    """Echo until the client half-closes, then never finish: keep the connection open, silent,
    until the daemon or the test ends it."""
    while True:
        data = conn.recv(65536)
        if not data:
            break
        conn.sendall(data)
    # After the client's end of stream the socket stays readable (at EOF), so wait for the
    # hang-up or error that the daemon's close, or Backend.stop(), brings.
    waiter = select.poll()
    waiter.register(conn, select.POLLHUP | select.POLLERR)
    waiter.poll(30_000)


def open_working(address, count: int) -> list[socket.socket]:
    socks = []
    for _ in range(count):
        sock = connect_from(CLIENT, address)
        assert echo_round_trip(sock), f"connection #{len(socks)} did not echo"
        socks.append(sock)
    return socks


def refused(address) -> bool:
    try:
        sock = connect_from(CLIENT, address)
    except ConnectionResetError:
        return True
    with sock:
        return wait_for_end(sock, 5.0) == "reset"


def annotated(text: str, annotations: str) -> str:
    return text.replace("metadata: {name: web, namespace: default}",
                        f"metadata: {{name: web, namespace: default, annotations: {annotations}}}", 1)


def test_max_connections_refuses_the_101st_and_the_100_open_keep_working(start_backend, start_daemon, write_config):
    backend = start_backend(echo)
    cluster_ip = pick_cluster_ip()
    port = pick_port((cluster_ip,))
    daemon = start_daemon(write_config(service_yaml("web", cluster_ip=cluster_ip, port=port, endpoints=[backend.endpoint])),
                          workers=2, extra_args=("--max-connections", "100"))
    address = (cluster_ip, port)
    socks = open_working(address, 100)
    try:
        assert refused(address)
        assert all(echo_round_trip(sock, b"still here") for sock in socks)
        socks.pop().close()
        # Written by the logging thread, possibly a moment later.
        line = "Refusing a connection to default/web:http"
        assert poll_until(lambda: line in daemon.log_text(), timeout=5), daemon.log_tail()
        assert refused_count(daemon, "default/web:http", "max_connections") == 1
        replacement = None
        deadline = Deadline(5)
        while replacement is None and not deadline.expired():  # the daemon sees the close a moment later
            sock = connect_from(CLIENT, address)
            if echo_round_trip(sock):
                replacement = sock
            else:
                sock.close()
        assert replacement is not None, "a place freed by a close was not given to a new connection"
        socks.append(replacement)
    finally:
        for sock in socks:
            sock.close()


def test_a_service_limit_refuses_beyond_it_and_leaves_other_services_alone(start_backend, start_daemon, write_config):
    backend = start_backend(echo)
    cluster_ip = pick_cluster_ip()
    port = pick_port((cluster_ip,))
    limited = annotated(service_yaml("web", cluster_ip=cluster_ip, port=port, endpoints=[backend.endpoint]),
                        '{svcproxy.io/max-connections: "2"}')
    other_ip = pick_cluster_ip()
    other_port = pick_port((other_ip,))
    free = service_yaml("other", cluster_ip=other_ip, port=other_port, endpoints=[backend.endpoint])
    daemon = start_daemon(write_config(limited + "---\n" + free))
    socks = open_working((cluster_ip, port), 2)
    try:
        assert refused((cluster_ip, port))
        assert refused_count(daemon, "default/web:http", "service_max_connections") == 1
        socks += open_working((other_ip, other_port), 3)
        assert all(echo_round_trip(sock) for sock in socks)
    finally:
        for sock in socks:
            sock.close()


def test_idle_timeout_closes_exactly_the_silent_connections(start_backend, start_daemon, write_config):
    backend = start_backend(echo)
    cluster_ip = pick_cluster_ip()
    port = pick_port((cluster_ip,))
    start_daemon(write_config(service_yaml("web", cluster_ip=cluster_ip, port=port, endpoints=[backend.endpoint])),
                 extra_args=("--idle-timeout", "1s"))
    silent, busy = open_working((cluster_ip, port), 2)
    with silent, busy:
        started = time.monotonic()
        for _ in range(8):  # 2.4 s of traffic, never 1 s apart
            time.sleep(0.3)
            assert echo_round_trip(busy), "a busy connection was closed"
        assert wait_for_end(silent, 0.1) in ("reset", "eof")
        assert time.monotonic() - started >= 1.0
        assert echo_round_trip(busy)


def test_idle_timeout_annotation_overrides_the_node_setting(start_backend, start_daemon, write_config):
    backend = start_backend(echo)
    cluster_ip = pick_cluster_ip()
    port = pick_port((cluster_ip,))
    text = annotated(service_yaml("web", cluster_ip=cluster_ip, port=port, endpoints=[backend.endpoint]),
                     "{svcproxy.io/idle-timeout: 500ms}")
    start_daemon(write_config(text))
    (sock,) = open_working((cluster_ip, port), 1)
    with sock:
        started = time.monotonic()
        assert wait_for_end(sock, 5.0) in ("reset", "eof")
        assert 0.4 <= time.monotonic() - started < 3.0


def test_half_close_timeout_closes_exactly_the_half_closed_connections_that_never_finish(
        start_backend, start_daemon, write_config):
    backend = start_backend(hold_after_eof)
    cluster_ip = pick_cluster_ip()
    port = pick_port((cluster_ip,))
    start_daemon(write_config(service_yaml("web", cluster_ip=cluster_ip, port=port, endpoints=[backend.endpoint])),
                 extra_args=("--half-close-timeout", "1s"))
    half_closed, open_silent = open_working((cluster_ip, port), 2)
    with half_closed, open_silent:
        half_closed.shutdown(socket.SHUT_WR)
        started = time.monotonic()
        assert wait_for_end(half_closed, 5.0) in ("reset", "eof")
        assert time.monotonic() - started >= 0.9
        time.sleep(1.5)  # longer than the timeout: the silent but whole connection must stay
        assert echo_round_trip(open_silent)
