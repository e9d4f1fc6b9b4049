"""Connect failures: a refusing endpoint is skipped by retrying the next one, a service whose
endpoints all refuse closes the client within the retry budget (250+500+1000+2000 ms at
worst), and a service without endpoints resets the client at once."""

import os
import signal
import threading
import socket

import pytest

from harness import (ask_name, connect, echo, echo_once, identify, pattern_bytes, recv_to_eof, refusing_endpoint, service_yaml,
                     time_until_end)


def test_every_connection_is_answered_when_one_of_three_endpoints_refuses(
        start_backend, start_daemon, write_config, node_port):
    a = start_backend(identify, name="a")
    b = start_backend(identify, name="b")
    dead = refusing_endpoint()
    daemon = start_daemon(write_config(service_yaml("web", node_port=node_port, endpoints=[a.endpoint, dead, b.endpoint])))

    answers = []
    for _ in range(100):
        try:
            answers.append(ask_name(("127.0.0.1", node_port), timeout=5))
        except OSError as error:
            answers.append(repr(error))

    unanswered = [answer for answer in answers if answer not in ("a", "b")]
    assert unanswered == [], f"{len(unanswered)} of 100 connections got no answer: {unanswered[:5]}"
    # About 33 connects failed; the log says so once, not once per connection.
    daemon_log = daemon.log_text()
    assert daemon_log.count(f"Failed to connect to endpoint {dead[0]}:{dead[1]}") == 1


def test_client_connection_ends_within_5_s_when_every_endpoint_refuses(start_daemon, write_config, node_port):
    start_daemon(write_config(service_yaml(
        "web", node_port=node_port, endpoints=[refusing_endpoint(), refusing_endpoint("::1")])))

    ending, elapsed = time_until_end(("127.0.0.1", node_port), timeout=8)

    assert ending in ("eof", "reset"), "the client connection stayed open after every endpoint refused"
    assert elapsed < 5, f"the client connection ended only after {elapsed:.2f} s"


@pytest.mark.parametrize("size", [0, 100, 200_000], ids=["end-only", "small", "larger-than-a-buffer"])
def test_what_a_client_sends_with_its_connection_survives_a_refusing_endpoint(
        size, start_backend, start_daemon, write_config, node_port):
    # The client's first bytes and its end are sent before the proxy has connected anywhere:
    # they are read at once and must reach the endpoint the retry ladder ends at, whole.
    live = start_backend(echo, name="live")
    start_daemon(write_config(service_yaml("web", node_port=node_port, endpoints=[refusing_endpoint(), live.endpoint])))

    for i in range(20):
        payload = pattern_bytes(size, seed=i)
        assert echo_once(("127.0.0.1", node_port), payload, timeout=10) == payload, f"connection {i}: wrong echo"
    assert len(live.records) == 20, "every connection reached the live endpoint, once"


def test_bytes_sent_while_an_endpoint_does_not_answer_reach_the_next_one_after_the_connect_timeout(
        start_backend, start_daemon, write_config, node_port):
    # A listener whose accept queue is full drops SYNs: a connect to it neither succeeds nor
    # fails, so its first try times out (250 ms) and the client's early bytes, read while
    # it waited, go to the next endpoint.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(0)
    filler = socket.create_connection(silent.getsockname())
    try:
        live = start_backend(echo, name="live")
        daemon = start_daemon(write_config(service_yaml("web", node_port=node_port,
                                                        endpoints=[silent.getsockname(), live.endpoint])))
        for i in range(6):
            payload = pattern_bytes(1000, seed=i)
            # Sent and ended while the daemon is stopped, so that all of it waits in the
            # accepted socket and is read ahead, before any connect.
            os.kill(daemon.pid, signal.SIGSTOP)
            try:
                client = connect(("127.0.0.1", node_port), timeout=10)
                client.sendall(payload)
                client.shutdown(socket.SHUT_WR)
            finally:
                os.kill(daemon.pid, signal.SIGCONT)
            with client:
                assert recv_to_eof(client, timeout=10) == payload, f"connection {i}: wrong echo"
        assert len(live.records) == 6
    finally:
        filler.close()
        silent.close()


@pytest.mark.parametrize("endpoints", [None, []], ids=["no-endpoints-object", "empty-subsets"])
def test_connection_ends_at_once_when_the_service_has_no_endpoints(
        endpoints, start_daemon, write_config, node_port):
    start_daemon(write_config(service_yaml("empty", node_port=node_port, endpoints=endpoints)))

    ending, elapsed = time_until_end(("127.0.0.1", node_port), timeout=5)

    assert ending in ("eof", "reset"), "the client connection stayed open though the service has no endpoints"
    assert elapsed < 1, f"the client connection ended only after {elapsed:.2f} s"


ANSWER = b"HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


def answer_and_reset(conn: socket.socket, backend) -> None:
    """Read a little of an upload, answer, and close with the rest unread: a reset follows
    the answer at once (what a server that refuses a large body does)."""
    conn.recv(1024)
    conn.sendall(ANSWER)


def test_an_answer_the_endpoint_sends_just_before_resetting_reaches_the_uploading_client(relay_to, node_port):
    relay_to(answer_and_reset, "upload")

    for attempt in range(10):
        with socket.create_connection(("127.0.0.1", node_port), timeout=10) as client:
            upload = threading.Thread(target=_upload_until_refused, args=(client,))
            upload.start()
            received = b""
            try:
                while len(received) < len(ANSWER):
                    data = client.recv(4096)
                    if not data:
                        break
                    received += data
            except ConnectionResetError:
                pass
            upload.join(timeout=10)
        assert received == ANSWER, f"attempt {attempt}: the client got {received!r} before the end"


def _upload_until_refused(client: socket.socket) -> None:
    chunk = bytes(64 * 1024)
    try:
        for _ in range(256):
            client.sendall(chunk)
    except OSError:
        pass  # reset: the endpoint refused the rest
