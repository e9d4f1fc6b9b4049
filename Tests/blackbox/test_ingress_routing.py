"""Ingress routing as a client sees it: which backend answers for each Host and path.

Hosts: case-insensitive, port ignored, an exact host before a wildcard, a wildcard taking
exactly one label, rules without host taking any host. Paths: Exact is exact and
case-sensitive; Prefix goes by whole `/` segments with trailing slashes ignored;
ImplementationSpecific is Prefix; the longest path wins and Exact beats Prefix on the same
path; the query string takes no part. Ingresses for one host merge, a conflict goes to the
oldest Ingress (then namespace/name); what matches no rule goes to the default backend, and
so does a request whose host rule matches but none of its paths. Each request goes to the
next ready endpoint, round-robin, even on one keep-alive connection.
"""

from collections import Counter

import pytest

from harness.ingress import (
    HTTPClient, check, curl, endpoint_slice_yaml, get, host_rule, http_service_yaml, http_services, ingress_yaml,
    join_yaml, mismatches, path_rule,
)


def test_host_is_case_insensitive_ignores_the_port_and_an_exact_host_beats_a_wildcard(
        start_http_backend, start_ingress, write_config):
    _, services = http_services(start_http_backend, "exact-foo", "exact-bar", "wild-foo", "any-host")
    ingress = ingress_yaml("site", rules=[
        host_rule("*.foo.example", path_rule("/", "wild-foo")),  # written before the exact host it loses to
        host_rule("foo.example", path_rule("/", "exact-foo")),
        host_rule("bar.foo.example", path_rule("/", "exact-bar")),
        host_rule(None, path_rule("/", "any-host")),
    ])
    daemon = start_ingress(write_config(join_yaml(services, ingress)))
    address = daemon.ingress_address

    wrong = mismatches(address, [
        ("foo.example", "/", "exact-foo"),
        ("FOO.EXAMPLE", "/", "exact-foo"),
        ("Foo.Example:8080", "/", "exact-foo"),
        (f"foo.example:{daemon.ingress_port}", "/", "exact-foo"),
        ("bar.foo.example", "/", "exact-bar"),
        ("BAR.foo.EXAMPLE:1234", "/", "exact-bar"),
        ("qux.foo.example", "/", "wild-foo"),
        ("QUX.Foo.Example:9", "/x", "wild-foo"),
        ("a.qux.foo.example", "/", "any-host"),  # a wildcard covers one label, not two
        ("foo.example.org", "/", "any-host"),
        ("other.example", "/", "any-host"),
        (f"127.0.0.1:{daemon.ingress_port}", "/", "any-host"),
    ])

    assert wrong == []
    # As users call it: curl resolving a name to the listener, and curl with -H Host.
    assert curl(address, "qux.foo.example", "/").json["backend"] == "wild-foo"
    assert curl(address, "ignored", "/", "-H", "Host: FOO.example", resolve=False).json["backend"] == "exact-foo"


def test_a_wildcard_host_takes_exactly_one_label(start_http_backend, start_ingress, write_config):
    _, services = http_services(start_http_backend, "wild")
    daemon = start_ingress(write_config(join_yaml(
        services, ingress_yaml("site", rules=[host_rule("*.foo.example", path_rule("/", "wild"))]))))

    wrong = mismatches(daemon.ingress_address, [
        ("bar.foo.example", "/", "wild"),
        ("baz.bar.foo.example", "/", "404"),
        ("foo.example", "/", "404"),
        ("barfoo.example", "/", "404"),
    ])

    assert wrong == []


def test_exact_paths_match_exactly_and_case_sensitively_and_the_query_takes_no_part(
        start_http_backend, start_ingress, write_config):
    backends, services = http_services(start_http_backend, "exact", "root")
    daemon = start_ingress(write_config(join_yaml(services, ingress_yaml("site", rules=[
        host_rule("foo.example", path_rule("/foo", "exact", path_type="Exact"), path_rule("/", "root")),
    ]))))
    address = daemon.ingress_address

    wrong = mismatches(address, [
        ("foo.example", "/foo", "exact"),
        ("foo.example", "/foo/", "root"),
        ("foo.example", "/FOO", "root"),
        ("foo.example", "/fo", "root"),
        ("foo.example", "/foo/bar", "root"),
        ("foo.example", "/foo?x=1", "exact"),
        ("foo.example", "/foo?", "exact"),
        ("foo.example", "/?next=/foo", "root"),
    ])
    answer = get(address, "/foo?x=1&y=/bar", "foo.example")

    assert wrong == []
    assert answer.json["path"] == "/foo?x=1&y=/bar"  # the target reaches the backend as sent


def test_prefix_paths_match_whole_segments_with_trailing_slashes_ignored(
        start_http_backend, start_ingress, write_config):
    _, services = http_services(start_http_backend, "ab", "a", "c", "impl")
    daemon = start_ingress(write_config(join_yaml(services, ingress_yaml("site", rules=[
        host_rule(None,
                  path_rule("/aaa/bbb", "ab"),
                  path_rule("/aaa", "a"),
                  path_rule("/ccc/", "c"),
                  path_rule("/impl", "impl", path_type="ImplementationSpecific")),
    ]))))

    wrong = mismatches(daemon.ingress_address, [
        ("foo.example", "/aaa/bbb", "ab"),
        ("foo.example", "/aaa/bbb/", "ab"),
        ("foo.example", "/aaa/bbb/ccc", "ab"),
        ("foo.example", "/aaa/bbbccc", "a"),
        ("foo.example", "/aaa", "a"),
        ("foo.example", "/aaa/", "a"),
        ("foo.example", "/aaa/x?y=/aaa/bbb", "a"),
        ("foo.example", "/aaaccc", "404"),
        ("foo.example", "/AAA", "404"),
        ("foo.example", "/ccc", "c"),
        ("foo.example", "/ccc/", "c"),
        ("foo.example", "/ccc/d", "c"),
        ("foo.example", "/cccd", "404"),
        ("foo.example", "/impl", "impl"),
        ("foo.example", "/impl/x", "impl"),
        ("foo.example", "/implx", "404"),
        ("foo.example", "/", "404"),
    ])

    assert wrong == []


def test_the_longest_path_wins_and_exact_beats_prefix_on_the_same_path(
        start_http_backend, start_ingress, write_config):
    _, services = http_services(start_http_backend, "api", "v2", "users", "same-prefix", "same-exact")
    daemon = start_ingress(write_config(join_yaml(services, ingress_yaml("site", rules=[
        host_rule("foo.example",
                  path_rule("/api", "api"),  # shorter paths written first: the order written does not count
                  path_rule("/api/v2", "v2"),
                  path_rule("/api/v2/users", "users", path_type="Exact"),
                  path_rule("/same", "same-prefix"),
                  path_rule("/same", "same-exact", path_type="Exact")),
    ]))))

    wrong = mismatches(daemon.ingress_address, [
        ("foo.example", "/api", "api"),
        ("foo.example", "/api/v1", "api"),
        ("foo.example", "/api/v2", "v2"),
        ("foo.example", "/api/v2/", "v2"),
        ("foo.example", "/api/v2/users", "users"),
        ("foo.example", "/api/v2/users/", "v2"),
        ("foo.example", "/api/v2/users/7", "v2"),
        ("foo.example", "/same", "same-exact"),
        ("foo.example", "/same/", "same-prefix"),
        ("foo.example", "/same/x", "same-prefix"),
    ])

    assert wrong == []


def test_paths_of_several_ingresses_for_one_host_merge(start_http_backend, start_ingress, write_config):
    _, services = http_services(start_http_backend, "one", "two", "team/three")
    daemon = start_ingress(write_config(join_yaml(
        services,
        ingress_yaml("first", rules=[host_rule("foo.example", path_rule("/one", "one"))]),
        ingress_yaml("second", rules=[host_rule("foo.example", path_rule("/two", "two"))]),
        ingress_yaml("third", namespace="team", rules=[host_rule("foo.example", path_rule("/three", "three"))]),
    )))

    wrong = mismatches(daemon.ingress_address, [
        ("foo.example", "/one", "one"),
        ("FOO.Example", "/two", "two"),  # Kubernetes requires lowercase hosts; requests may use any case
        ("foo.example", "/three/x", "team/three"),
        ("foo.example", "/four", "404"),
    ])

    assert wrong == []


def conflicting_ingresses(services: str) -> str:
    """Three conflicts on the same host, path and type: the oldest wins; on equal timestamps
    the smaller namespace, then the smaller name."""
    same = "2024-05-05T05:05:05Z"
    return join_yaml(
        services,
        # Oldest wins, though its name sorts last and it comes last in the file.
        ingress_yaml("aa-newer", rules=[host_rule("foo.example", path_rule("/x", "newer"))],
                     created="2024-03-01T00:00:00Z"),
        ingress_yaml("zz-older", rules=[host_rule("foo.example", path_rule("/x", "older"))],
                     created="2023-03-01T00:00:00Z"),
        # Same timestamp: namespace "alpha" before "beta".
        ingress_yaml("site", namespace="beta", rules=[host_rule("foo.example", path_rule("/ns", "in-beta"))],
                     created=same),
        ingress_yaml("site", namespace="alpha", rules=[host_rule("foo.example", path_rule("/ns", "in-alpha"))],
                     created=same),
        # Same timestamp and namespace: name "first" before "second".
        ingress_yaml("second", rules=[host_rule("foo.example", path_rule("/name", "by-second"))], created=same),
        ingress_yaml("first", rules=[host_rule("foo.example", path_rule("/name", "by-first"))], created=same),
        # The same path with another type is no conflict: Exact takes /x itself, from the newest.
        ingress_yaml("exact-newest", rules=[host_rule("foo.example", path_rule("/x", "exact-x", path_type="Exact"))],
                     created="2025-01-01T00:00:00Z"),
    )


def test_a_conflicting_path_goes_to_the_oldest_ingress_then_by_namespace_and_name(
        start_http_backend, start_ingress, write_config):
    _, services = http_services(start_http_backend, "newer", "older", "beta/in-beta", "alpha/in-alpha",
                                "by-first", "by-second", "exact-x")
    config = write_config(conflicting_ingresses(services))
    daemon = start_ingress(config)

    wrong = mismatches(daemon.ingress_address, [
        ("foo.example", "/x/y", "older"),
        ("foo.example", "/x/", "older"),
        ("foo.example", "/x", "exact-x"),
        ("foo.example", "/ns", "alpha/in-alpha"),
        ("foo.example", "/name", "by-first"),
    ])

    assert wrong == []


def test_check_warns_about_each_conflict_naming_the_ingress_that_lost(start_http_backend, write_config):
    _, services = http_services(start_http_backend, "newer", "older", "beta/in-beta", "alpha/in-alpha",
                                "by-first", "by-second", "exact-x")

    result = check(write_config(conflicting_ingresses(services)))

    assert result.returncode == 0, result.stderr  # a conflict is a warning, not an invalid configuration
    output = (result.stdout + result.stderr).splitlines()
    for loser, winner in (("aa-newer", "zz-older"), ("beta/site", "alpha/site"), ("default/second", "default/first")):
        lines = [line for line in output if loser in line and winner in line]
        assert lines, f"no warning naming {loser} (lost) and {winner} (won) in:\n" + "\n".join(output)
    assert not any("exact-newest" in line and "conflict" in line.lower() for line in output), \
        "an Exact path conflicts with nothing of type Prefix"


def test_a_host_rule_whose_paths_do_not_match_goes_to_the_default_backend(
        start_http_backend, start_ingress, write_config):
    _, services = http_services(start_http_backend, "fallback", "api", "other")
    daemon = start_ingress(write_config(join_yaml(services, ingress_yaml(
        "site", default_backend=("fallback", "http"),
        rules=[host_rule("foo.example", path_rule("/api", "api")),
               host_rule(None, path_rule("/other", "other"))]))))

    wrong = mismatches(daemon.ingress_address, [
        ("foo.example", "/api/x", "api"),
        ("foo.example", "/other", "fallback"),  # the host's rule matched: rules without host are not tried
        ("bar.example", "/other", "other"),
        ("bar.example", "/api", "fallback"),
        ("bar.example", "/", "fallback"),
    ])

    assert wrong == []


def test_the_default_backend_comes_from_the_oldest_ingress_that_has_one(
        start_http_backend, start_ingress, write_config):
    _, services = http_services(start_http_backend, "young-default", "old-default", "api")
    daemon = start_ingress(write_config(join_yaml(
        services,
        ingress_yaml("aa-young", default_backend=("young-default", "http"), created="2024-06-01T00:00:00Z"),
        ingress_yaml("zz-old", default_backend=("old-default", "http"), created="2022-06-01T00:00:00Z",
                     rules=[host_rule("foo.example", path_rule("/api", "api"))]),
    )))

    wrong = mismatches(daemon.ingress_address, [
        ("foo.example", "/api", "api"),
        ("foo.example", "/nope", "old-default"),
        ("bar.example", "/", "old-default"),
    ])

    assert wrong == []


def test_a_backend_names_its_service_port_by_number_or_by_name(start_http_backend, start_ingress, write_config):
    numbered = start_http_backend("numbered")
    named = start_http_backend("named")
    services = join_yaml(http_service_yaml("numbered", [numbered.endpoint], port=8080, port_name="alt"),
                         http_service_yaml("named", [named.endpoint], port=9090, port_name="web"))
    daemon = start_ingress(write_config(join_yaml(services, ingress_yaml("site", rules=[
        host_rule(None, path_rule("/by-number", "numbered", 8080), path_rule("/by-name", "named", "web")),
    ]))))

    wrong = mismatches(daemon.ingress_address, [
        ("foo.example", "/by-number", "numbered"),
        ("foo.example", "/by-name", "named"),
    ])

    assert wrong == []


def two_endpoint_service(start_http_backend) -> str:
    a = start_http_backend("a")
    b = start_http_backend("b")
    return join_yaml(http_service_yaml("web", [a.endpoint, b.endpoint]),
                     ingress_yaml("site", default_backend=("web", "http")))


def test_requests_on_one_keep_alive_connection_alternate_between_two_endpoints(
        start_http_backend, start_ingress, write_config):
    daemon = start_ingress(write_config(two_endpoint_service(start_http_backend)))

    with HTTPClient(daemon.ingress_address) as client:
        answers = []
        for _ in range(10):
            response = client.get("/")
            assert response.status == 200, str(response)
            answers.append(response.backend)

    assert set(answers) == {"a", "b"}
    assert all(first != second for first, second in zip(answers, answers[1:])), answers


@pytest.mark.parametrize("workers", [1, 2])
def test_requests_on_separate_connections_are_shared_exactly_between_two_endpoints(
        workers, start_http_backend, start_ingress, write_config):
    daemon = start_ingress(write_config(two_endpoint_service(start_http_backend)), workers=workers)

    answers = Counter(get(daemon.ingress_address, "/").backend for _ in range(20))

    assert answers == {"a": 10, "b": 10}


def test_only_ready_endpoints_of_endpoint_slices_take_requests(start_http_backend, start_ingress, write_config):
    ready = start_http_backend("ready")
    not_ready = start_http_backend("not-ready")
    unknown = start_http_backend("ready-by-default")
    config = join_yaml(
        http_service_yaml("web", None),
        endpoint_slice_yaml("web", "web-1", *ready.endpoint, ready=True),
        endpoint_slice_yaml("web", "web-2", *not_ready.endpoint, ready=False),
        endpoint_slice_yaml("web", "web-3", *unknown.endpoint, ready=None),
        ingress_yaml("site", default_backend=("web", "http")),
    )
    daemon = start_ingress(write_config(config))

    answers = Counter(get(daemon.ingress_address, "/").backend for _ in range(12))

    assert answers == {"ready": 6, "ready-by-default": 6}
    assert not_ready.accepted == 0
