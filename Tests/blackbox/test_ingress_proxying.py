"""Proxying HTTP for the Ingresses: what reaches the backend and what comes back.

Requests reach the backend with Host unchanged, X-Forwarded-* and X-Real-IP set by the
daemon, X-Request-ID kept or made, and no hop-by-hop field in either direction. Bodies
(Content-Length, chunked, close-delimited) stream both ways whole, 100 MiB checked by
SHA-256 each way, and a client that stops reading holds the backend back without the
daemon's memory growing. Clients keep their connection alive and may pipeline; HTTP/1.0
clients get bodies they can read. Connections to endpoints are pooled, and a pooled one
found closed is retried on a fresh one. `Expect: 100-continue`, WebSocket upgrades (a
two-way tunnel after 101), and responses without a body (HEAD, 1xx, 204, 304) behave as
HTTP says. What an endpoint sends past its answer, or behind a head whose framing is
refused, never reaches the client.
"""

import http.client
import re
import signal
import socket
import struct

import pytest

from harness import KiB, MiB, pattern_bytes, pattern_chunks, poll_until, sha256, wait_until_stalled
from harness.http_backend import requests_seen
from harness.ingress import (
    HTTPClient, build_request, get, host_rule, http_service_yaml, http_services, ingress_yaml, join_yaml, path_rule, raw_exchange,
    stream_request, websocket_connect, websocket_receive, websocket_send,
)

BIG = 100 * MiB


def one_backend(start_http_backend, start_ingress, write_config, name="web", **daemon_options):
    """A backend behind an Ingress that sends it every request (the default backend)."""
    backends, services = http_services(start_http_backend, name)
    daemon = start_ingress(write_config(join_yaml(services, ingress_yaml("site", default_backend=(name, "http")))),
                           **daemon_options)
    return backends[name], daemon


def test_forwarded_headers_are_set_and_the_client_is_appended_to_x_forwarded_for(
        start_http_backend, start_ingress, write_config):
    backend, daemon = one_backend(start_http_backend, start_ingress, write_config)

    with HTTPClient(daemon.ingress_address, source="127.0.0.2") as client:
        told = client.get("/a", "foo.example", [
            ("X-Forwarded-For", "203.0.113.7"),
            ("X-Real-IP", "198.51.100.66"),
            ("X-Forwarded-Proto", "https"),
            ("X-Forwarded-Port", "443"),
            ("X-Forwarded-Host", "evil.example"),
            ("X-Request-ID", "req-123"),
        ]).json
        plain = client.get("/b", "Foo.Example:8443").json
        again = client.get("/c", "foo.example").json
        # Named in Connection, the client's X-Request-ID is hop-by-hop: dropped, and one of ours
        # sent in its place (not an empty one).
        hidden = client.get("/d", "foo.example", [("X-Request-ID", "req-456"), ("Connection", "X-Request-ID")]).json

    def only(answer, name):
        values = [v for n, v in answer["header_list"] if n.lower() == name.lower()]
        assert len(values) == 1, f"{name}: {values} in {answer['header_list']}"
        return values[0]

    assert only(told, "Host") == "foo.example"
    assert told["headers"]["x-forwarded-for"] == "203.0.113.7, 127.0.0.2"
    assert only(told, "X-Real-IP") == "127.0.0.2"
    assert only(told, "X-Forwarded-Proto") == "http"
    assert only(told, "X-Forwarded-Port") == str(daemon.ingress_port)
    assert only(told, "X-Forwarded-Host") == "foo.example"
    assert only(told, "X-Request-ID") == "req-123"

    assert only(plain, "Host") == "Foo.Example:8443"  # passed on unchanged, case and port kept
    assert only(plain, "X-Forwarded-For") == "127.0.0.2"
    assert only(plain, "X-Real-IP") == "127.0.0.2"
    generated = only(plain, "X-Request-ID")
    # The worker's random stem, its number, and its count of requests in hex: one
    # connection's requests are counted by one worker.
    stem, count = generated.rsplit("-", 1)
    assert re.fullmatch(r"[0-9a-f]{1,16}-[0-9]+", stem) and re.fullmatch(r"[0-9a-f]+", count), generated
    assert only(again, "X-Request-ID") == f"{stem}-{int(count, 16) + 1:x}", "each request gets an X-Request-ID of its own"
    assert only(hidden, "X-Request-ID") == f"{stem}-{int(count, 16) + 2:x}"


def test_hop_by_hop_fields_are_removed_both_ways(start_http_backend, start_ingress, write_config):
    backend, daemon = one_backend(start_http_backend, start_ingress, write_config)

    with HTTPClient(daemon.ingress_address) as client:
        response = client.get("/", "foo.example", [
            ("Connection", "keep-alive, X-Hop-Custom"),
            ("X-Hop-Custom", "secret"),
            ("Keep-Alive", "timeout=5"),
            ("Proxy-Connection", "keep-alive"),
            ("TE", "trailers"),
            ("Trailer", "X-Checksum"),
            ("Upgrade", "h2c"),
            ("X-End-To-End", "kept"),
            ("X-Reply-Header", "Connection: X-Backend-Hop"),
            ("X-Reply-Header", "X-Backend-Hop: 1"),
            ("X-Reply-Header", "Keep-Alive: timeout=77"),
            ("X-Reply-Header", "Proxy-Connection: keep-alive"),
            ("X-Reply-Header", "X-Backend-End: kept"),
        ])
        following = client.get("/next")  # the connection goes on: no upgrade happened

    seen = response.json["headers"]
    assert response.status == 200
    assert seen["x-end-to-end"] == "kept"
    for name in ("x-hop-custom", "keep-alive", "proxy-connection", "te", "trailer", "upgrade"):
        assert name not in seen, f"{name} reached the backend: {seen}"
    assert "x-hop-custom" not in seen.get("connection", "").lower()
    assert response.header("X-Backend-End") == "kept"
    assert response.header("X-Backend-Hop") is None, str(response)
    assert response.header("Proxy-Connection") is None, str(response)
    assert "timeout=77" not in (response.header("Keep-Alive") or ""), str(response)
    assert "x-backend-hop" not in (response.header("Connection") or "").lower(), str(response)
    assert following.status == 200


def test_a_keep_alive_client_is_served_over_fewer_endpoint_connections_than_requests(
        start_http_backend, start_ingress, write_config):
    backend, daemon = one_backend(start_http_backend, start_ingress, write_config)

    with HTTPClient(daemon.ingress_address) as client:
        statuses = [client.get(f"/{i}").status for i in range(20)]
        assert client.wait_closed(timeout=0.2) == "timeout", "the daemon closed a keep-alive connection"

    assert statuses == [200] * 20
    assert len(requests_seen(backend)) == 20
    assert backend.accepted < 20, "every request opened a connection of its own to the endpoint"


def data_segments_received(sock) -> int:
    """tcpi_data_segs_in of a connected TCP socket: the segments with data it received."""
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    return struct.unpack_from("I", info, 152)[0]  # struct tcp_info, Linux 4.6 and later


def test_a_response_head_and_the_body_read_with_it_reach_the_client_in_one_segment(
        start_http_backend, start_ingress, write_config):
    """The endpoint writes each answer (head and JSON body) in one send; the client sees
    each in one TCP segment, not a segment for the head and one for the body: each segment
    is a wakeup of the client, and on a busy node a turn of its scheduler."""
    backend, daemon = one_backend(start_http_backend, start_ingress, write_config)

    with HTTPClient(daemon.ingress_address) as client:
        before = data_segments_received(client.sock)
        responses = [client.get(f"/{i}") for i in range(20)]
        segments = data_segments_received(client.sock) - before

    assert [r.status for r in responses] == [200] * 20 and all(r.body for r in responses)
    assert segments == 20, f"20 answers arrived in {segments} segments"


def test_bytes_an_endpoint_sends_past_its_answer_never_answer_the_next_request(
        start_http_backend, start_ingress, write_config):
    """The endpoint writes its answer and, in the same send, a second response: the client
    gets the answer exactly, and its next request goes over another endpoint connection."""
    backend, daemon = one_backend(start_http_backend, start_ingress, write_config)

    with HTTPClient(daemon.ingress_address) as client:
        first = client.get("/first", "foo.example", [("X-Mode", "overlong")])
        second = client.get("/second")

    assert first.status == 200 and first.body == b"exactly this\n"
    assert second.status == 200 and second.json["path"] == "/second"
    assert second.header("X-Smuggled") is None
    assert len({r["connection"] for r in requests_seen(backend)}) == 2


def test_a_misframed_answer_is_a_502_and_nothing_it_carried_reaches_the_client(
        start_http_backend, start_ingress, write_config):
    """The endpoint's head has Content-Length and chunked at once, and a made-up response
    follows it in the same write: the client gets one 502, then its next request's answer."""
    backend, daemon = one_backend(start_http_backend, start_ingress, write_config)

    with HTTPClient(daemon.ingress_address) as client:
        first = client.get("/first", "foo.example", [("X-Mode", "misframed")])
        second = client.get("/second")

    assert first.status == 502 and first.header("X-Smuggled") is None
    assert second.status == 200 and second.json["path"] == "/second"
    assert second.header("X-Smuggled") is None


def test_python_http_client_keeps_one_connection_while_requests_alternate_between_endpoints(
        start_http_backend, start_ingress, write_config):
    """The standard library's client, as a user's script would use it: one connection,
    requests balanced per request over the two endpoints behind it."""
    one, two = start_http_backend("one"), start_http_backend("two")
    daemon = start_ingress(write_config(join_yaml(
        http_service_yaml("web", [one.endpoint, two.endpoint]), ingress_yaml("site", default_backend=("web", "http")))))

    connection = http.client.HTTPConnection(*daemon.ingress_address, timeout=10)
    answered_by, sockets = [], set()
    try:
        for i in range(6):
            connection.request("GET", f"/{i}", headers={"Host": "foo.example"})
            response = connection.getresponse()
            assert response.status == 200
            answered_by.append(response.getheader("X-Backend"))
            response.read()
            sockets.add(id(connection.sock))
    finally:
        connection.close()

    assert len(sockets) == 1, "http.client had to reconnect: the keep-alive connection was closed"
    assert answered_by == ["one", "two"] * 3 or answered_by == ["two", "one"] * 3


def test_endpoint_connections_are_pooled_across_client_connections(start_http_backend, start_ingress, write_config):
    backend, daemon = one_backend(start_http_backend, start_ingress, write_config)

    statuses = [get(daemon.ingress_address, f"/{i}").status for i in range(10)]

    assert statuses == [200] * 10
    assert backend.accepted < 10, "each client connection opened its own connection to the endpoint"


def test_a_pooled_connection_found_closed_is_retried_on_a_fresh_one(start_http_backend, start_ingress, write_config):
    # Every endpoint connection closes, unanswered, when its second request arrives.
    backends, services = http_services(start_http_backend, "flaky", drop_requests=frozenset({2}))
    backend = backends["flaky"]
    daemon = start_ingress(write_config(join_yaml(services, ingress_yaml("site", default_backend=("flaky", "http")))))

    with HTTPClient(daemon.ingress_address) as client:
        answers = [client.get(f"/{i}") for i in range(6)]

    assert [a.status for a in answers] == [200] * 6, [str(a) for a in answers if a.status != 200]
    assert [a.json["path"] for a in answers] == [f"/{i}" for i in range(6)]
    seen = requests_seen(backend)
    dropped = [r for r in seen if r.get("dropped")]
    assert dropped, "no request was sent on a pooled connection: the retry was not exercised"
    # The head sent again is the one sent first, field for field, its X-Request-ID too.
    for first in dropped:
        again = [r for r in seen if not r.get("dropped") and r["path"] == first["path"]]
        assert [r["header_list"] for r in again] == [first["header_list"]], (first, again)


def test_pipelined_requests_are_answered_in_order(start_http_backend, start_ingress, write_config):
    _, services = http_services(start_http_backend, "slow", "fast")
    daemon = start_ingress(write_config(join_yaml(services, ingress_yaml("site", rules=[
        host_rule(None, path_rule("/slow", "slow"), path_rule("/fast", "fast"))]))))

    with HTTPClient(daemon.ingress_address) as client:
        client.send(build_request("GET", "/slow/1", "foo.example", [("X-Delay", "0.5")])
                    + build_request("GET", "/fast/2", "foo.example")
                    + build_request("POST", "/fast/3", "foo.example", body=b"abc")
                    + build_request("HEAD", "/slow/4", "foo.example")
                    + build_request("GET", "/slow/5", "foo.example"))
        answers = [client.response(method) for method in ("GET", "GET", "POST", "HEAD", "GET")]

    assert [a.status for a in answers] == [200] * 5
    assert [a.backend for a in answers] == ["slow", "fast", "fast", "slow", "slow"]
    bodies = [a.json for a in answers if a.body]
    assert [b["path"] for b in bodies] == ["/slow/1", "/fast/2", "/fast/3", "/slow/5"]
    assert bodies[2]["body_length"] == 3


@pytest.mark.parametrize("flags", [("--batch-sends", "true"), ("--batch-sends", "false"),
                                   ("--batch-sends", "true", "--yield-before-sleep", "64")],
                         ids=["batched-sends", "sends-one-by-one", "yielding-before-sleep"])
def test_bytes_arrive_whole_and_in_order_however_sends_are_made_and_workers_wait(
        flags, start_http_backend, start_ingress, write_config):
    """Writes wait for the end of the worker's turn and go out together (`--batch-sends`, the
    default) or are made at once, and the worker sleeps at once or yields first: either way
    pipelined answers come in order, and a download to a reader that pauses (sends cut short
    by its full socket, then EAGAIN) arrives whole."""
    backend, daemon = one_backend(start_http_backend, start_ingress, write_config, extra_args=flags)
    size = 8 * MiB + 5

    with HTTPClient(daemon.ingress_address, timeout=30, rcvbuf=64 * KiB) as client:
        client.send(b"".join(build_request("GET", f"/p/{i}", "foo.example") for i in range(20)))
        assert [client.response().json["path"] for _ in range(20)] == [f"/p/{i}" for i in range(20)]

        def pause(response):
            assert response.status == 200
            wait_until_stalled(lambda: backend.bytes_sent, quiet=0.3, timeout=10)

        client.send(build_request("GET", "/big", "foo.example", [("X-Mode", "length"), ("X-Bytes", str(size))]))
        response = client.response(keep_body=False, on_head=pause)
        after = client.get("/after")

    assert (response.body_length, response.body_sha256) == (size, sha256(pattern_bytes(size, seed=size)))
    assert after.status == 200 and after.json["path"] == "/after"


@pytest.mark.parametrize("mode", ["length", "stream", "close-delimited"])
def test_response_bodies_arrive_whole_however_the_endpoint_frames_them(
        mode, start_http_backend, start_ingress, write_config):
    backend, daemon = one_backend(start_http_backend, start_ingress, write_config)
    size = 3 * MiB + 17

    with HTTPClient(daemon.ingress_address, timeout=30) as client:
        response = client.get("/body", "foo.example", [("X-Mode", mode), ("X-Bytes", str(size))])

    assert response.status == 200
    assert (response.body_length, response.body_sha256) == (size, sha256(pattern_bytes(size, seed=size)))


def test_an_http_1_0_client_gets_a_body_it_can_read_and_the_connection_then_closes(
        start_http_backend, start_ingress, write_config):
    backend, daemon = one_backend(start_http_backend, start_ingress, write_config)
    size = 300 * KiB

    # The endpoint answers the daemon's HTTP/1.1 request chunked; an HTTP/1.0 client knows no chunks.
    response, ending = raw_exchange(daemon.ingress_address, build_request(
        "GET", "/old", "foo.example", [("X-Mode", "stream"), ("X-Bytes", str(size))], version="HTTP/1.0"))

    assert response is not None and response.status == 200, ending
    assert response.version in ("HTTP/1.0", "HTTP/1.1")
    assert response.framing in ("length", "close"), f"a chunked body sent to an HTTP/1.0 client: {response}"
    assert (response.body_length, response.body_sha256) == (size, sha256(pattern_bytes(size, seed=size)))
    assert ending in ("eof", "reset") or response.framing == "close"


def test_connection_close_from_the_client_ends_the_connection_after_the_answer(
        start_http_backend, start_ingress, write_config):
    backend, daemon = one_backend(start_http_backend, start_ingress, write_config)

    response, ending = raw_exchange(daemon.ingress_address,
                                    build_request("GET", "/bye", "foo.example", [("Connection", "close")]))

    assert response is not None and response.status == 200 and response.json["path"] == "/bye"
    assert ending == "eof"


@pytest.mark.parametrize("answered_by", ["endpoint", "daemon"])
def test_a_client_that_asked_to_close_is_not_waited_for(answered_by, start_http_backend, start_ingress, write_config):
    """After the answer to `Connection: close` (the endpoint's, or the daemon's own 404) the
    daemon closes its end at once, as nginx does, rather than holding the connection until
    the client's FIN: a client that keeps its socket open costs it no descriptor."""
    backends, services = http_services(start_http_backend, "web")
    daemon = start_ingress(write_config(join_yaml(services, ingress_yaml("site", rules=[
        host_rule("foo.example", path_rule("/", "web"))]))))
    host = "foo.example" if answered_by == "endpoint" else "nobody.example"

    with HTTPClient(daemon.ingress_address) as warm:
        assert warm.get("/warm").status == 200  # opens the endpoint connection that stays pooled
        baseline = daemon.fd_count()
        with HTTPClient(daemon.ingress_address) as client:
            client.send(build_request("GET", "/bye", host, [("Connection", "close")]))
            assert client.response().status == (200 if answered_by == "endpoint" else 404)
            # The client has not closed its end: only the daemon's is gone.
            assert poll_until(lambda: daemon.fd_count() == baseline, timeout=1), \
                f"{daemon.fd_count()} descriptors open, {baseline} before the connection"
            assert client.wait_closed() == "eof"


@pytest.mark.parametrize("head_kib", [1, 20])
def test_a_response_head_longer_than_a_buffer_arrives_whole_with_its_body(
        head_kib, start_http_backend, start_ingress, write_config):
    """A response read where it is written from gets its forwarded head put in front of
    its body: one longer than a relay buffer (16 KiB) too."""
    backend, daemon = one_backend(start_http_backend, start_ingress, write_config)
    value = "v" * (head_kib * KiB)
    with HTTPClient(daemon.ingress_address) as client:
        for _ in range(2):
            response = client.get("/h", "foo.example", [("X-Mode", "length"), ("X-Bytes", "3000"),
                                                        ("X-Reply-Header", f"X-Long: {value}")])
            assert response.status == 200
            assert response.headers_named("X-Long") == [value]
            assert response.body == pattern_bytes(3000, seed=3000)


def test_idle_keep_alive_connections_hold_no_buffer_of_their_last_response(
        start_http_backend, start_ingress, write_config):
    """Connections that carried 16 KiB each way and stay open cost the daemon about what an
    idle connection costs (its session), not the size of what they carried last."""
    backend, daemon = one_backend(start_http_backend, start_ingress, write_config)
    # The endpoint echoes the request's fields twice in its JSON answer (in one write).
    padding = [("X-Pad", "p" * (8 * KiB))]
    count = 400
    clients = []
    try:
        with HTTPClient(daemon.ingress_address) as warm:  # the first connections' allocations
            assert warm.get("/warm", "foo.example", padding).status == 200
        before = daemon.rss_kib()
        for _ in range(count):
            client = HTTPClient(daemon.ingress_address)
            clients.append(client)
            response = client.get("/big", "foo.example", padding)
            assert response.status == 200 and len(response.body) > 16 * KiB
        growth = (daemon.rss_kib() - before) / count
    finally:
        for client in clients:
            client.close()

    assert growth < 4, f"{growth:.1f} KiB of RSS per idle keep-alive connection"


def test_a_100_mib_chunked_upload_reaches_the_endpoint_intact(start_http_backend, start_ingress, write_config):
    backend, daemon = one_backend(start_http_backend, start_ingress, write_config)

    with HTTPClient(daemon.ingress_address, timeout=60) as client:
        result = stream_request(client, "POST", "/upload", "foo.example", pattern_chunks(BIG, seed=11))
        assert result.errors == []
        answer = result.response.json
        following = client.get("/after")

    assert result.response.status == 200
    assert result.sent == BIG
    assert (answer["body_length"], answer["body_sha256"]) == (BIG, result.sent_sha256)
    assert following.status == 200  # the connection went on after a chunked body


def test_a_100_mib_chunked_download_reaches_the_client_intact(start_http_backend, start_ingress, write_config):
    backend, daemon = one_backend(start_http_backend, start_ingress, write_config)

    with HTTPClient(daemon.ingress_address, timeout=60) as client:
        response = client.request("GET", "/download", "foo.example", [("X-Mode", "stream"), ("X-Bytes", str(BIG))],
                                  keep_body=False)
        following = client.get("/after")

    sent = requests_seen(backend)[0]
    assert response.status == 200
    assert (response.body_length, response.body_sha256) == (BIG, sent["response_sha256"])
    assert following.status == 200


def test_request_and_response_bodies_stream_at_the_same_time(start_http_backend, start_ingress, write_config):
    # The endpoint sends each piece of the body back as it reads it: unless the daemon carries
    # the answer while the request is still coming, both sides wait on full buffers.
    backend, daemon = one_backend(start_http_backend, start_ingress, write_config)
    size = 16 * MiB

    with HTTPClient(daemon.ingress_address, timeout=30) as client:
        result = stream_request(client, "PUT", "/echo", "foo.example", pattern_chunks(size, seed=5),
                                headers=[("X-Mode", "echo")], length=size, timeout=30, keep_body=False)

    assert result.errors == []
    assert result.response.status == 200
    assert (result.response.body_length, result.response.body_sha256) == (size, result.sent_sha256)



def test_a_client_that_stops_reading_holds_the_endpoint_back_without_growing_daemon_memory(
        start_http_backend, start_ingress, write_config):
    backend, daemon = one_backend(start_http_backend, start_ingress, write_config)
    total = 160 * MiB
    with HTTPClient(daemon.ingress_address, timeout=30) as warm_up:  # memory set up once is in the baseline
        assert warm_up.request("GET", "/warm", "foo.example", [("X-Mode", "stream"), ("X-Bytes", str(4 * MiB))],
                               keep_body=False).body_length == 4 * MiB
    rss_before = daemon.rss_kib()
    sent_before = backend.bytes_sent
    measured = {}

    def while_not_reading(response):
        assert response.status == 200
        held_at = wait_until_stalled(lambda: backend.bytes_sent - sent_before, quiet=1.0, timeout=20)
        measured["held_at"] = held_at
        measured["rss_growth_kib"] = daemon.rss_kib() - rss_before

    # A small receive buffer keeps the kernel's share of the bytes in flight small.
    with HTTPClient(daemon.ingress_address, timeout=60, rcvbuf=256 * KiB) as client:
        client.send(build_request("GET", "/big", "foo.example", [("X-Mode", "stream"), ("X-Bytes", str(total))]))
        response = client.response(keep_body=False, on_head=while_not_reading)

    assert total - measured["held_at"] >= 100 * MiB, \
        f"the endpoint sent {measured['held_at'] / MiB:.1f} MiB while the client read nothing"
    assert measured["rss_growth_kib"] < 64 * 1024, \
        f"daemon RSS grew by {measured['rss_growth_kib'] / 1024:.1f} MiB while the client was not reading"
    sent = [r for r in requests_seen(backend) if r["path"] == "/big"][0]
    assert (response.body_length, response.body_sha256) == (total, sent["response_sha256"])


def test_expect_100_continue_gets_100_before_the_body_is_sent(start_http_backend, start_ingress, write_config):
    backend, daemon = one_backend(start_http_backend, start_ingress, write_config)
    body = pattern_bytes(MiB, seed=3)

    with HTTPClient(daemon.ingress_address) as client:
        client.send(build_request("POST", "/form", "foo.example",
                                  [("Expect", "100-continue"), ("Content-Length", str(len(body)))]))
        interim = client.reader.read_head()  # waits at most the client's timeout; nothing sent yet
        client.send(body)
        final = client.response("POST")

    assert interim is not None and interim.split(b"\r\n", 1)[0].split(b" ")[1] == b"100", interim
    assert final.status == 200
    assert (final.json["body_length"], final.json["body_sha256"]) == (len(body), sha256(body))


def test_an_expectation_the_endpoint_refuses_is_answered_without_the_body(
        start_http_backend, start_ingress, write_config):
    backend, daemon = one_backend(start_http_backend, start_ingress, write_config)

    with HTTPClient(daemon.ingress_address) as client:
        client.send(build_request("POST", "/too-big", "foo.example",
                                  [("Expect", "100-continue"), ("Content-Length", str(10 * MiB)),
                                   ("X-Expect-Reply", "413")]))
        final = client.response("POST")

    assert final.status == 413
    assert final.backend == "web"


def test_a_websocket_upgrade_becomes_a_two_way_tunnel(start_http_backend, start_ingress, write_config):
    backends, services = http_services(start_http_backend, "ws", "web")
    daemon = start_ingress(write_config(join_yaml(services, ingress_yaml("site", default_backend=("web", "http"), rules=[
        host_rule("chat.example", path_rule("/ws", "ws"))]))))
    big = pattern_bytes(MiB, seed=8)

    client, answer = websocket_connect(daemon.ingress_address, "chat.example", "/ws")
    with client:
        greeting = websocket_receive(client)  # the endpoint speaks first
        websocket_send(client, b"ping")
        first = websocket_receive(client)
        for i in range(3):  # several frames in flight at once
            websocket_send(client, f"message {i}".encode())
        burst = [websocket_receive(client) for _ in range(3)]
        websocket_send(client, big, opcode=0x2)
        echoed = websocket_receive(client)
        websocket_send(client, b"\x03\xe8", opcode=0x8)
        closing = websocket_receive(client)
        ending = client.wait_closed(timeout=10)

    assert answer.header("Upgrade").lower() == "websocket"
    assert greeting == (0x1, b"hello from ws")
    assert first == (0x1, b"ping")
    assert burst == [(0x1, f"message {i}".encode()) for i in range(3)]
    assert echoed[0] == 0x2 and sha256(echoed[1]) == sha256(big)
    assert closing == (0x8, b"\x03\xe8")
    assert ending in ("eof", "reset")
    [upgrade] = requests_seen(backends["ws"])
    assert upgrade["headers"]["upgrade"].lower() == "websocket"
    assert "upgrade" in upgrade["headers"]["connection"].lower()
    assert "errors" not in upgrade, upgrade.get("errors")
    assert get(daemon.ingress_address, "/", "chat.example").backend == "web"


def test_head_204_304_and_interim_responses_carry_no_body_and_the_connection_goes_on(
        start_http_backend, start_ingress, write_config):
    backend, daemon = one_backend(start_http_backend, start_ingress, write_config)

    with HTTPClient(daemon.ingress_address) as client:
        head = client.request("HEAD", "/head")
        no_content = client.get("/204", "foo.example", [("X-Mode", "status"), ("X-Status", "204")])
        not_modified = client.get("/304", "foo.example", [("X-Mode", "status"), ("X-Status", "304"),
                                                          ("If-None-Match", '"v1"')])
        hinted = client.get("/103", "foo.example", [("X-Mode", "early-hints")])
        last = client.get("/last")  # read as the next response: any stray body byte breaks it

    assert head.status == 200 and head.body == b""
    assert int(head.header("Content-Length")) > 0  # the length of what GET would send
    assert no_content.status == 204 and no_content.body == b""
    assert not_modified.status == 304 and not_modified.body == b""
    assert not_modified.header("ETag") == '"v1"'
    assert hinted.status == 200 and hinted.json["path"] == "/103"
    assert set(hinted.interim) <= {103}
    assert last.status == 200 and last.json["path"] == "/last"


def test_an_h2c_upgrade_is_not_tunnelled_but_served_as_http_1_1(start_http_backend, start_ingress, write_config):
    """Tunnelled, h2c would carry the client's later requests past the routing rules."""
    backends, services = http_services(start_http_backend, "web")
    daemon = start_ingress(write_config(join_yaml(services, ingress_yaml("site", default_backend=("web", "http")))))

    with HTTPClient(daemon.ingress_address) as client:
        answer = client.get("/h2c", "foo.example", [("Connection", "Upgrade, HTTP2-Settings"), ("Upgrade", "h2c"),
                                                     ("HTTP2-Settings", "AAMAAABkAARAAAAAAAIAAAAA")])
        after = client.get("/after", "foo.example")

    assert answer.status == 200 and after.status == 200
    [first, second] = requests_seen(backends["web"])
    assert "upgrade" not in first["headers"] and "http2-settings" not in first["headers"]
    assert second["path"] == "/after"


def test_a_stopping_daemon_closes_idle_keep_alive_connections_at_once(start_http_backend, start_ingress, write_config):
    backends, services = http_services(start_http_backend, "web")
    daemon = start_ingress(write_config(join_yaml(services, ingress_yaml("site", default_backend=("web", "http")))))

    with HTTPClient(daemon.ingress_address) as client:
        assert client.get("/before", "foo.example").status == 200
        daemon.process.send_signal(signal.SIGTERM)
        ending = client.wait_closed(timeout=5)

    assert ending in ("eof", "reset")
    assert daemon.wait_exit(timeout=10) == 0  # nothing left open: no 30 s grace period spent
