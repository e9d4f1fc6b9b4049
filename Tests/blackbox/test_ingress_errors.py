"""The daemon's own answers, each with a short body: 404 without a route, 400 for a
malformed request, 408 when the head does not arrive in time, 414 and 431 for heads over
the limits, 502 when the endpoint fails (after trying the next one when nothing was sent),
503 without a ready endpoint, 504 when the endpoint does not answer in time. Where the
exchange cannot go on (400, 408, 414, 431) the answer says `Connection: close` and the
connection ends; requests just inside the limits are served.
"""

import select
import time

import pytest

from harness import KiB, refusing_endpoint
from harness.http_backend import requests_seen
from harness.ingress import (
    HTTPClient, build_request, endpoint_slice_yaml, get, host_rule, http_service_yaml, http_services, ingress_yaml,
    join_yaml, path_rule, raw_exchange,
)

SHORT = 1 * KiB


def assert_own_answer(response, status: int) -> None:
    """An answer of the daemon's own: the status, a short body, no endpoint behind it."""
    assert response is not None, "no answer"
    assert response.status == status, str(response)
    assert 0 < response.body_length <= SHORT, f"body of {response.body_length} bytes: {response}"
    assert response.header("X-Backend") is None, str(response)


def assert_closing_answer(response, ending: str, status: int) -> None:
    assert_own_answer(response, status)
    assert response.closes, f"no Connection: close in {response}"
    assert ending in ("eof", "reset"), f"the connection did not end after {status}: {ending}"


def default_backend_setup(start_http_backend, start_ingress, write_config, extra_args=()):
    backends, services = http_services(start_http_backend, "web")
    daemon = start_ingress(write_config(join_yaml(services, ingress_yaml("site", default_backend=("web", "http")))),
                           extra_args=extra_args)
    return backends["web"], daemon


def test_no_route_is_404_with_a_short_body_and_the_connection_goes_on(start_http_backend, start_ingress, write_config):
    _, services = http_services(start_http_backend, "api")
    daemon = start_ingress(write_config(join_yaml(services, ingress_yaml("site", rules=[
        host_rule("foo.example", path_rule("/api", "api"))]))))

    with HTTPClient(daemon.ingress_address) as client:
        unknown_host = client.get("/api", "bar.example")
        unknown_path = client.get("/other", "foo.example")
        routed = client.get("/api/x", "foo.example")

    assert_own_answer(unknown_host, 404)
    assert_own_answer(unknown_path, 404)
    assert routed.status == 200 and routed.backend == "api"


MALFORMED = {
    "not-http": b"NOT-HTTP\r\n\r\n",
    "no-version": b"GET /\r\nHost: foo.example\r\n\r\n",
    "space-in-target": b"GET /a b HTTP/1.1\r\nHost: foo.example\r\n\r\n",
    "nul-in-method": b"G\x00T / HTTP/1.1\r\nHost: foo.example\r\n\r\n",
    "header-without-colon": b"GET / HTTP/1.1\r\nHost: foo.example\r\nBroken header line\r\n\r\n",
    "space-in-field-name": b"GET / HTTP/1.1\r\nHost: foo.example\r\nBad Name: x\r\n\r\n",
    "nul-in-field-value": b"GET / HTTP/1.1\r\nHost: foo.example\r\nX-Value: a\x00b\r\n\r\n",
    "http-1.1-without-host": b"GET / HTTP/1.1\r\nUser-Agent: test\r\n\r\n",
}


@pytest.mark.parametrize("request_bytes", list(MALFORMED.values()), ids=list(MALFORMED))
def test_a_malformed_request_gets_400_and_the_connection_closes(
        request_bytes, start_http_backend, start_ingress, write_config):
    backend, daemon = default_backend_setup(start_http_backend, start_ingress, write_config)

    response, ending = raw_exchange(daemon.ingress_address, request_bytes)

    assert_closing_answer(response, ending, 400)
    assert requests_seen(backend) == []


def test_a_request_head_not_received_in_time_gets_408(start_http_backend, start_ingress, write_config):
    backend, daemon = default_backend_setup(start_http_backend, start_ingress, write_config,
                                            extra_args=("--ingress-client-header-timeout", "1s"))

    started = time.monotonic()
    response, ending = raw_exchange(daemon.ingress_address, b"GET / HTTP/1.1\r\nHost: foo.example\r\n", timeout=10)
    elapsed = time.monotonic() - started

    assert_closing_answer(response, ending, 408)
    assert elapsed >= 0.5, f"408 after {elapsed:.2f} s, before the 1 s timeout"
    assert requests_seen(backend) == []


def test_a_head_sent_byte_by_byte_still_has_to_arrive_within_the_timeout(
        start_http_backend, start_ingress, write_config):
    backend, daemon = default_backend_setup(start_http_backend, start_ingress, write_config,
                                            extra_args=("--ingress-client-header-timeout", "1s"))
    head = build_request("GET", "/", "foo.example", [(f"X-Filler-{i}", "x" * 20) for i in range(20)])

    with HTTPClient(daemon.ingress_address) as client:
        started = time.monotonic()
        for byte in head[:-2]:  # a byte each 50 ms, never the final CRLF: 30 s of trickle at most
            if time.monotonic() - started > 8:
                break
            try:
                client.send(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                break
            if select.select([client.sock], [], [], 0.05)[0]:
                break  # the answer, or the end, has arrived
        response = client.response()
        elapsed = time.monotonic() - started

    assert_own_answer(response, 408)
    assert elapsed < 8, "each byte restarted the timeout"
    assert requests_seen(backend) == []


def test_a_request_line_over_8_kib_gets_414(start_http_backend, start_ingress, write_config):
    backend, daemon = default_backend_setup(start_http_backend, start_ingress, write_config)
    long_path = "/" + "a" * (7 * KiB)

    inside = get(daemon.ingress_address, long_path)
    response, ending = raw_exchange(daemon.ingress_address, build_request("GET", "/" + "b" * (9 * KiB), "foo.example"))

    assert inside.status == 200 and inside.json["path"] == long_path
    assert_closing_answer(response, ending, 414)
    assert len(requests_seen(backend)) == 1


def test_header_fields_over_32_kib_get_431(start_http_backend, start_ingress, write_config):
    backend, daemon = default_backend_setup(start_http_backend, start_ingress, write_config)

    inside = get(daemon.ingress_address, "/", headers=[("X-Big", "x" * (30 * KiB))])
    response, ending = raw_exchange(daemon.ingress_address, build_request(
        "GET", "/", "foo.example", [(f"X-Big-{i}", "y" * (8 * KiB)) for i in range(5)]))

    assert inside.status == 200 and len(inside.json["headers"]["x-big"]) == 30 * KiB
    assert_closing_answer(response, ending, 431)
    assert len(requests_seen(backend)) == 1


def test_more_than_100_header_fields_get_431(start_http_backend, start_ingress, write_config):
    backend, daemon = default_backend_setup(start_http_backend, start_ingress, write_config)

    inside = get(daemon.ingress_address, "/", headers=[(f"X-Field-{i}", str(i)) for i in range(90)])
    response, ending = raw_exchange(daemon.ingress_address, build_request(
        "GET", "/", "foo.example", [(f"X-Field-{i}", str(i)) for i in range(120)]))

    assert inside.status == 200 and inside.json["headers"]["x-field-89"] == "89"
    assert_closing_answer(response, ending, 431)
    assert len(requests_seen(backend)) == 1


@pytest.mark.parametrize("failure", ["refused", "closed-on-accept", "closed-after-request", "partial-head"])
def test_an_endpoint_that_fails_before_a_complete_response_head_gives_502(
        failure, start_http_backend, start_ingress, write_config):
    good = start_http_backend("good")
    if failure == "refused":
        endpoint = refusing_endpoint()
    else:
        endpoint = start_http_backend("failing", close_on_accept=failure == "closed-on-accept").endpoint
    mode = {"closed-after-request": "close", "partial-head": "partial-head"}.get(failure, "json")
    daemon = start_ingress(write_config(join_yaml(
        http_service_yaml("failing", [endpoint]), http_service_yaml("good", [good.endpoint]),
        ingress_yaml("site", rules=[host_rule(None, path_rule("/fail", "failing"), path_rule("/good", "good"))]))))

    response = get(daemon.ingress_address, "/fail", headers=[("X-Mode", mode)])
    after = get(daemon.ingress_address, "/good")

    assert_own_answer(response, 502)
    assert after.status == 200 and after.backend == "good"


def test_a_refusing_endpoint_is_passed_over_for_the_next_one(start_http_backend, start_ingress, write_config):
    good = start_http_backend("good")
    daemon = start_ingress(write_config(join_yaml(
        http_service_yaml("web", [refusing_endpoint(), good.endpoint, refusing_endpoint()]),
        ingress_yaml("site", default_backend=("web", "http")))))

    answers = [get(daemon.ingress_address, f"/{i}") for i in range(9)]

    assert [(a.status, a.backend) for a in answers] == [(200, "good")] * 9


def test_a_backend_without_a_ready_endpoint_gives_503(start_http_backend, start_ingress, write_config):
    parked = start_http_backend("parked")
    daemon = start_ingress(write_config(join_yaml(
        http_service_yaml("empty", []),
        http_service_yaml("unready", None),
        endpoint_slice_yaml("unready", "unready-1", *parked.endpoint, ready=False),
        ingress_yaml("site", rules=[host_rule(None,
                                              path_rule("/empty", "empty"),
                                              path_rule("/unready", "unready"),
                                              path_rule("/missing", "no-such-service"))]))))

    answers = {path: get(daemon.ingress_address, path) for path in ("/empty", "/unready", "/missing")}

    for path, response in answers.items():
        assert response.status == 503, f"{path}: {response}"
        assert_own_answer(response, 503)
    assert parked.accepted == 0


def test_an_endpoint_that_does_not_answer_in_time_gives_504(start_http_backend, start_ingress, write_config):
    backend, daemon = default_backend_setup(start_http_backend, start_ingress, write_config,
                                            extra_args=("--ingress-upstream-timeout", "1s"))

    started = time.monotonic()
    response = get(daemon.ingress_address, "/slow", headers=[("X-Mode", "slow")], timeout=15)
    elapsed = time.monotonic() - started
    after = get(daemon.ingress_address, "/fine")

    assert_own_answer(response, 504)
    assert elapsed >= 0.5, f"504 after {elapsed:.2f} s, before the 1 s timeout"
    assert after.status == 200


def test_after_a_502_the_next_request_on_the_connection_reaches_only_its_own_backend(
        start_http_backend, start_ingress, write_config):
    """The failed request's head must not stay queued and go out ahead of the next one."""
    good = start_http_backend("good")
    daemon = start_ingress(write_config(join_yaml(
        http_service_yaml("failing", [refusing_endpoint()]), http_service_yaml("good", [good.endpoint]),
        ingress_yaml("site", rules=[host_rule(None, path_rule("/fail", "failing"), path_rule("/good", "good"))]))))

    with HTTPClient(daemon.ingress_address) as client:
        failed = client.get("/fail/first")
        after = client.get("/good/second")
        again = client.get("/good/third")

    assert_own_answer(failed, 502)
    assert (after.status, after.backend, after.json["path"]) == (200, "good", "/good/second")
    assert (again.status, again.json["path"]) == (200, "/good/third")
    assert [r["path"] for r in requests_seen(good)] == ["/good/second", "/good/third"]
