"""What a relayed connection costs on the wire. On a node most connections are short, and
each TCP segment is work for both ends' kernels (on loopback, all of it on this machine's
CPUs): an answer that ends its stream leaves with the FIN in the same segment, and the
client's first bytes carry the acknowledgement that ends the endpoint connection's
handshake, unless the endpoint is the one to speak first. Seen with a packet capture on
`lo`, so root only."""

import os
import socket

import pytest

from harness import Deadline, connect, recv_to_eof
from harness.capture import FIN, SYN, LoopbackCapture
from harness.ingress import http_services, ingress_yaml, join_yaml

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="an AF_PACKET capture needs root")

REQUEST = b"GET / HTTP/1.1\r\nHost: example\r\nConnection: close\r\n\r\n"
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"
GREETING = b"220 ready\r\n"


def answer_and_close(conn: socket.socket, backend) -> None:
    """Read the request, then send the answer and the FIN in one segment (MSG_MORE, then
    shutdown), so that the daemon finds both at its first read; wait for the daemon's end."""
    request = b""
    deadline = Deadline(10)
    while not request.endswith(b"\r\n\r\n") and not deadline.expired():
        data = conn.recv(4096)
        if not data:
            return
        request += data
    backend.record(request)
    conn.send(ANSWER, socket.MSG_MORE)
    conn.shutdown(socket.SHUT_WR)
    while conn.recv(4096):
        pass


def greet_first(conn: socket.socket, backend) -> None:
    """A server that speaks first (SMTP, MySQL): greet, then wait for the client's end."""
    conn.sendall(GREETING)
    while conn.recv(4096):
        pass


def ask_with_first_bytes_on_the_handshake(port: int) -> bytes:
    """Connects holding back the handshake's last ACK until the request is sent, so that
    the connection reaches the daemon's accept with its first bytes already there."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, 1)
        sock.settimeout(10)
        sock.connect(("127.0.0.1", port))
        sock.sendall(REQUEST)
        return recv_to_eof(sock, timeout=10)


def endpoint_connection(segments, backend_port: int) -> list:
    """The daemon's segments on its connection to the endpoint, from its SYN on."""
    syn = next(s for s in segments if s.destination_port == backend_port and s.has(SYN))
    return [s for s in segments if s.source_port == syn.source_port and s.destination_port == backend_port]


def test_an_answer_that_ends_its_stream_reaches_the_client_with_the_fin_in_one_segment(relay_to, node_port):
    backend, _ = relay_to(answer_and_close, "closing")

    with LoopbackCapture({node_port}) as capture:
        answer = ask_with_first_bytes_on_the_handshake(node_port)
    to_client = [s for s in capture.segments() if s.source_port == node_port]

    assert answer == ANSWER
    carrying = [s for s in to_client if s.payload]
    assert len(carrying) == 1 and carrying[0].has(FIN), \
        "the answer and the FIN left in separate segments: " + " ".join(map(str, to_client))
    assert not any(s.has(FIN) and not s.payload for s in to_client)


def test_the_clients_first_bytes_carry_the_endpoint_handshakes_last_ack(relay_to, node_port):
    backend, _ = relay_to(answer_and_close, "asking")

    with LoopbackCapture({backend.port}) as capture:
        answer = ask_with_first_bytes_on_the_handshake(node_port)
    daemon_to_endpoint = endpoint_connection(capture.segments(), backend.port)

    assert answer == ANSWER and backend.records == [REQUEST]
    assert daemon_to_endpoint[0].has(SYN)
    assert daemon_to_endpoint[1].payload == len(REQUEST), \
        "a pure ACK went ahead of the request: " + " ".join(map(str, daemon_to_endpoint))


def test_an_endpoint_that_speaks_first_gets_the_handshakes_last_ack_at_once(relay_to, node_port):
    """Without bytes from the client the ACK is not held for them: a server that greets
    first would otherwise not accept until the delayed-ACK timer sends it, 200 ms on."""
    backend, _ = relay_to(greet_first, "greeting")

    with LoopbackCapture({backend.port}) as capture:
        with connect(("127.0.0.1", node_port)) as sock:
            greeting = b""
            deadline = Deadline(10)
            while len(greeting) < len(GREETING) and not deadline.expired():
                greeting += sock.recv(4096)
    daemon_to_endpoint = endpoint_connection(capture.segments(), backend.port)

    syn_ack = next(s for s in capture.segments() if s.source_port == backend.port and s.has(SYN))
    assert greeting == GREETING
    assert daemon_to_endpoint[0].has(SYN)
    assert daemon_to_endpoint[1].is_pure_ack, " ".join(map(str, daemon_to_endpoint))
    # Sent by the kernel as the SYN-ACK arrives, or by its delayed-ACK timer 200 ms later.
    held = daemon_to_endpoint[1].seconds - syn_ack.seconds
    assert held < 0.1, f"the handshake's last ACK was held {held * 1000:.0f} ms"


def ingress_to_one_backend(start_http_backend, start_ingress, write_config, *extra_args):
    """A daemon whose Ingress sends every request to one HTTP backend; (backend, daemon)."""
    backends, services = http_services(start_http_backend, "web")
    daemon = start_ingress(write_config(join_yaml(services, ingress_yaml("site", default_backend=("web", "http")))),
                           extra_args=extra_args)
    return backends["web"], daemon


def ask_ingress(daemon, request: bytes, captured_port: int) -> tuple[bytes, list]:
    """Sends `request` to the daemon's Ingress on a connection of its own and reads to the
    end; the answer, and the segments on `captured_port` meanwhile."""
    with LoopbackCapture({captured_port}) as capture:
        with connect(daemon.ingress_address) as sock:
            sock.sendall(request)
            answer = recv_to_eof(sock, timeout=10)
    return answer, capture.segments()


def assert_ends_with_data_and_fin(to_client: list) -> None:
    last = [s for s in to_client if s.payload or s.has(FIN)][-1]
    assert last.payload and last.has(FIN), "the answer and the FIN left in separate segments: " + " ".join(map(str, to_client))


CLOSING_REQUEST = b"GET /a HTTP/1.1\r\nHost: foo.example\r\nConnection: close\r\n\r\n"


@pytest.mark.parametrize("batch_sends", ["true", "false"], ids=["batched-sends", "sends-one-by-one"])
def test_an_ingress_answer_to_a_client_that_asked_to_close_leaves_with_the_fin(
        batch_sends, start_http_backend, start_ingress, write_config):
    _, daemon = ingress_to_one_backend(start_http_backend, start_ingress, write_config, "--batch-sends", batch_sends)
    port = daemon.ingress_address[1]

    answer, segments = ask_ingress(daemon, CLOSING_REQUEST, port)
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert_ends_with_data_and_fin([s for s in segments if s.source_port == port])

    # The daemon's own answer, to a request it refuses, ends the connection the same way.
    answer, segments = ask_ingress(daemon, b"GET /a HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n", port)
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert_ends_with_data_and_fin([s for s in segments if s.source_port == port])


def test_an_ingress_request_on_a_new_endpoint_connection_carries_the_handshakes_last_ack(
        start_http_backend, start_ingress, write_config):
    backend, daemon = ingress_to_one_backend(start_http_backend, start_ingress, write_config)

    answer, segments = ask_ingress(daemon, CLOSING_REQUEST, backend.port)
    daemon_to_endpoint = endpoint_connection(segments, backend.port)

    assert answer.startswith(b"HTTP/1.1 200 ")
    assert daemon_to_endpoint[0].has(SYN)
    assert daemon_to_endpoint[1].payload > 0, \
        "a pure ACK went ahead of the request: " + " ".join(map(str, daemon_to_endpoint))
