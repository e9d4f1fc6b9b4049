"""Seeing inside the Ingress proxy: /metrics counts each request by route and status code
and times it, the access log has one entry per request with what it did, and
`svcproxy status` lists the routes with their request counts."""

import re
import uuid

from harness import refusing_endpoint
from harness.admin import scrape, series
from harness.ingress import (
    HTTPClient, get, host_rule, http_service_yaml, http_services, ingress_yaml, join_yaml, path_rule, run_status,
    wait_for_log,
)


CLIENT = "127.0.0.3"


def routed_config(start_http_backend) -> str:
    """foo.example: /api to "api", /fail to a service whose only endpoint refuses; no default backend."""
    backends, services = http_services(start_http_backend, "api")
    return join_yaml(services, http_service_yaml("dead", [refusing_endpoint()]), ingress_yaml("site", rules=[
        host_rule("foo.example", path_rule("/api", "api"), path_rule("/fail", "dead"))]))


def test_metrics_count_each_request_by_route_and_code_and_time_them(start_http_backend, start_ingress, write_config):
    daemon = start_ingress(write_config(routed_config(start_http_backend)))
    address = daemon.ingress_address

    with HTTPClient(address) as client:
        statuses = [client.get(f"/api/{i}").status for i in range(3)]
    statuses += [get(address, "/fail").status for _ in range(2)]
    statuses += [get(address, "/nowhere", "bar.example").status]
    samples = scrape(daemon)

    assert statuses == [200, 200, 200, 502, 502, 404]
    route = {"namespace": "default", "ingress": "site", "host": "foo.example"}
    assert series(samples, "svcproxy_ingress_requests_total", path="/api", service="api", code="200", **route) == 3
    assert series(samples, "svcproxy_ingress_requests_total", path="/fail", service="dead", code="502", **route) == 2

    def total(name, **labels):
        return sum(value for (sample, pairs), value in samples.items()
                   if sample == name and set(labels.items()) <= set(pairs))

    assert total("svcproxy_ingress_requests_total") == 6  # the 404 without a route is counted too
    assert total("svcproxy_ingress_requests_total", code="404") == 1
    assert total("svcproxy_ingress_request_duration_seconds_count") == 6
    assert total("svcproxy_ingress_request_duration_seconds_bucket", le="+Inf") == 6
    assert total("svcproxy_ingress_request_duration_seconds_sum") > 0

    get(address, "/api/again")
    assert series(scrape(daemon), "svcproxy_ingress_requests_total", path="/api", service="api", code="200",
                  **route) == 4


def numbers_in(line: str) -> list[int]:
    return [int(n) for n in re.findall(r"(?<![\w.])\d+(?![\w.])", line)]


def test_the_access_log_has_one_entry_per_request_with_what_it_did(start_http_backend, start_ingress, write_config):
    backends, services = http_services(start_http_backend, "api")
    dead = refusing_endpoint()
    daemon = start_ingress(write_config(join_yaml(
        services, http_service_yaml("dead", [dead]),
        ingress_yaml("site", rules=[host_rule("foo.example", path_rule("/api", "api"), path_rule("/fail", "dead"))]))),
        extra_args=("--access-log", "--log-format", "text"))
    token = uuid.uuid4().hex
    api = "%s:%d" % backends["api"].endpoint

    with HTTPClient(daemon.ingress_address, source=CLIENT) as client:
        upload = client.request("POST", f"/api/up-{token}", "foo.example",
                                [("X-Mode", "length"), ("X-Bytes", "5000")], body=b"u" * 1234)
        download = client.get(f"/api/down-{token}", "foo.example")
    failed = get(daemon.ingress_address, f"/fail/{token}", source=CLIENT)
    missing = get(daemon.ingress_address, f"/missing/{token}", "bar.example", source=CLIENT)
    assert (upload.status, download.status, failed.status, missing.status) == (200, 200, 502, 404)

    paths = [f"/api/up-{token}", f"/api/down-{token}", f"/fail/{token}", f"/missing/{token}"]
    lines = wait_for_log(daemon, lambda ls: all(any(p in line for line in ls) for p in paths))
    entries = {path: [line for line in lines if path in line] for path in paths}

    assert all(len(found) == 1 for found in entries.values()), entries
    [up], [down], [fail], [miss] = entries.values()
    for line, method, host, status in ((up, "POST", "foo.example", 200), (down, "GET", "foo.example", 200),
                                       (fail, "GET", "foo.example", 502), (miss, "GET", "bar.example", 404)):
        assert CLIENT in line and method in line and host in line and status in numbers_in(line), line
    assert api in up and api in down, (up, down)
    assert "%s:%d" % dead in fail, fail
    # Bytes each way: the 1234-byte request body (with its head) and the 5000-byte answer.
    assert any(1234 <= n < 1234 + 2048 for n in numbers_in(up)), up
    assert any(5000 <= n < 5000 + 1024 for n in numbers_in(up)), up


def test_status_lists_the_ingress_routes_with_their_request_counts(start_http_backend, start_ingress, write_config):
    daemon = start_ingress(write_config(routed_config(start_http_backend)))
    for i in range(3):
        assert get(daemon.ingress_address, f"/api/{i}").status == 200
    for _ in range(5):
        assert get(daemon.ingress_address, "/fail").status == 502

    result = run_status(daemon)

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "foo.example" in out, out
    api_line = next((line for line in out.splitlines() if "/api" in line), None)
    fail_line = next((line for line in out.splitlines() if "/fail" in line), None)
    assert api_line is not None and 3 in numbers_in(api_line), f"no count of 3 for /api in:\n{out}"
    assert fail_line is not None and 5 in numbers_in(fail_line), f"no count of 5 for /fail in:\n{out}"
