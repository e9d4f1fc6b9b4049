"""Ingresses on reload (SIGHUP after the configuration is rewritten): changed rules apply to
the next request, also on a keep-alive connection opened before the reload, which stays
open; requests in flight finish where they started. The HTTP listener is open exactly while
the configuration holds an Ingress of ours."""

import threading

from harness import MiB, poll_until
from harness.http_backend import requests_seen
from harness.ingress import (
    HTTPClient, answered_by, get, host_rule, http_services, ingress_yaml, join_yaml, listening, path_rule,
)


def routing_to(services: str, service: str, **ingress_options) -> str:
    return join_yaml(services, ingress_yaml("site", rules=[host_rule("foo.example", path_rule("/app", service))],
                                            **ingress_options))


def test_changed_rules_apply_to_the_next_request(start_http_backend, start_ingress, write_config):
    _, services = http_services(start_http_backend, "blue", "green")
    config = write_config(routing_to(services, "blue"))
    daemon = start_ingress(config)
    assert answered_by(daemon.ingress_address, "foo.example", "/app") == "blue"

    config.write_text(routing_to(services, "green"))
    daemon.reload()

    assert [answered_by(daemon.ingress_address, "foo.example", "/app") for _ in range(3)] == ["green"] * 3
    assert answered_by(daemon.ingress_address, "foo.example", "/") == "404"


def test_a_keep_alive_connection_stays_open_and_its_next_request_follows_the_new_rules(
        start_http_backend, start_ingress, write_config):
    _, services = http_services(start_http_backend, "blue", "green")
    config = write_config(routing_to(services, "blue"))
    daemon = start_ingress(config)

    with HTTPClient(daemon.ingress_address) as client:
        before = client.get("/app")
        config.write_text(routing_to(services, "green"))
        daemon.reload()
        after = client.get("/app")  # raises if the daemon closed the connection
        config.write_text(join_yaml(services, ingress_yaml("site", rules=[
            host_rule("foo.example", path_rule("/elsewhere", "blue"))])))
        daemon.reload()
        gone = client.get("/app")

    assert (before.status, before.backend) == (200, "blue")
    assert (after.status, after.backend) == (200, "green")
    assert gone.status == 404


def test_requests_in_flight_finish_across_a_reload_that_removes_their_route(
        start_http_backend, start_ingress, write_config):
    backends, services = http_services(start_http_backend, "blue", "green")
    config = write_config(join_yaml(services, ingress_yaml("site", rules=[host_rule(
        "foo.example", path_rule("/slow", "blue"), path_rule("/bulk", "blue"))])))
    daemon = start_ingress(config)
    size = 32 * MiB
    results = {}

    def slow():
        results["slow"] = get(daemon.ingress_address, "/slow", headers=[("X-Delay", "1.5")], timeout=20)

    reloaded = threading.Event()

    def bulk():
        with HTTPClient(daemon.ingress_address, timeout=30) as client:
            # The body is read only once the reload is done: the response is mid-way through then.
            results["bulk"] = client.request("GET", "/bulk", "foo.example",
                                             [("X-Mode", "stream"), ("X-Bytes", str(size))], keep_body=False,
                                             on_head=lambda _: reloaded.wait(20))

    threads = [threading.Thread(target=slow), threading.Thread(target=bulk)]
    for thread in threads:
        thread.start()
    # Both requests have reached the endpoint before the configuration changes.
    arrived = poll_until(lambda: len(requests_seen(backends["blue"])) == 2, timeout=10)
    if arrived:
        config.write_text(join_yaml(services, ingress_yaml("site", rules=[
            host_rule("foo.example", path_rule("/", "green"))])))
        daemon.reload()
    reloaded.set()
    for thread in threads:
        thread.join(timeout=40)

    assert arrived, f"the endpoint saw {requests_seen(backends['blue'])}"
    assert results["slow"].status == 200 and results["slow"].backend == "blue"
    bulk_sent = next(r for r in requests_seen(backends["blue"]) if r["path"] == "/bulk")
    assert results["bulk"].status == 200
    assert (results["bulk"].body_length, results["bulk"].body_sha256) == (size, bulk_sent["response_sha256"])
    assert answered_by(daemon.ingress_address, "foo.example", "/slow") == "green"


def test_the_http_listener_is_open_only_while_an_ingress_of_ours_exists(start_http_backend, start_ingress, write_config):
    _, services = http_services(start_http_backend, "web")
    ours = join_yaml(services, ingress_yaml("site", rules=[host_rule("foo.example", path_rule("/", "web"))]))
    not_ours = join_yaml(services, ingress_yaml("site", class_name="someone-else",
                                                rules=[host_rule("foo.example", path_rule("/", "web"))]))
    config = write_config(services)
    daemon = start_ingress(config)
    address = daemon.ingress_address
    states = {"no Ingress at start": listening(address)}

    config.write_text(not_ours)
    daemon.reload()
    states["an Ingress of another class"] = listening(address)

    config.write_text(ours)
    daemon.reload()
    states["an Ingress of ours"] = listening(address)
    answer = answered_by(address, "foo.example", "/")

    config.write_text(services)
    daemon.reload()
    states["Ingress deleted"] = listening(address)

    assert states == {"no Ingress at start": False, "an Ingress of another class": False,
                      "an Ingress of ours": True, "Ingress deleted": False}
    assert answer == "web"
