"""Names outside the cluster domain, as a Pod's resolver sends them all to the cluster DNS:
they are answered by the upstream (a dnsmasq of the test's own), with the client's query ID,
over UDP and TCP; names inside the zone never leave the daemon; `--dns-upstream none`
refuses the rest; an upstream that never answers costs a SERVFAIL, not a hang, and a second
upstream answers instead. Without --dns-upstream, the upstreams are resolv.conf's
nameservers other than svcproxy itself."""

import os

import dns.message
import pytest

from harness import pick_cluster_ip
from harness.dns import (
    TOOLS, ZONE, Port, SilentUpstream, addresses, cluster_ip_service_yaml, header_of, query,
    raw_exchange, rcode, service_name, tool_query,
)
from harness.udp import pick_udp_port

OUTSIDE = "www.example.test"
OUTSIDE_ADDRESS = "127.0.0.9"     # only ever an answer; nothing is sent there


def web_config(write_config):
    cluster_ip = pick_cluster_ip()
    path = write_config(cluster_ip_service_yaml("web", cluster_ip, [Port("http", pick_udp_port((cluster_ip,)), "TCP",
                                                                         target_port=8080)]))
    return path, cluster_ip


@pytest.mark.parametrize("tool", TOOLS)
def test_a_name_outside_the_zone_is_answered_by_the_upstream(tool, start_upstream, start_cluster_dns, write_config):
    upstream = start_upstream({"example.test": OUTSIDE_ADDRESS})
    config, _ = web_config(write_config)
    daemon = start_cluster_dns(config, upstreams=[upstream.endpoint])

    for tcp in (False, True):
        result = tool_query(tool, daemon.dns_address, OUTSIDE, tcp=tcp)
        assert result.status == "NOERROR" and result.data("A") == [OUTSIDE_ADDRESS], result.output
    assert upstream.queries_for(OUTSIDE) >= 2, upstream.log()


def test_a_forwarded_answer_carries_the_clients_query_id_and_question(start_upstream, start_cluster_dns, write_config):
    upstream = start_upstream({"example.test": OUTSIDE_ADDRESS})
    config, _ = web_config(write_config)
    daemon = start_cluster_dns(config, upstreams=[upstream.endpoint])

    for ident in (0x0001, 0xBEEF, 0xFFFF):
        message = dns.message.make_query("WWW.Example.test.", "A")
        message.id = ident
        raw = raw_exchange(daemon.dns_address, message.to_wire(), timeout=5)
        assert raw is not None, hex(ident)
        reply = dns.message.from_wire(raw)
        assert header_of(raw)["id"] == ident
        assert reply.question[0].name.to_text().lower() == "www.example.test."
        assert rcode(reply) == "NOERROR" and addresses(reply) == [OUTSIDE_ADDRESS]


def test_names_inside_the_zone_are_answered_by_the_daemon_and_never_forwarded(start_upstream, start_cluster_dns,
                                                                               write_config):
    upstream = start_upstream({"example.test": OUTSIDE_ADDRESS, ZONE: "127.0.0.66"})
    config, cluster_ip = web_config(write_config)
    daemon = start_cluster_dns(config, upstreams=[upstream.endpoint])

    assert addresses(query(daemon.dns_address, service_name("web"))) == [cluster_ip]
    assert rcode(query(daemon.dns_address, service_name("nosuch"))) == "NXDOMAIN"
    assert rcode(query(daemon.dns_address, f"nosuch.{ZONE}")) == "NXDOMAIN"
    # The upstream would have answered 127.0.0.66 for all three; it never saw them.
    assert addresses(query(daemon.dns_address, OUTSIDE)) == [OUTSIDE_ADDRESS]
    assert [upstream.queries_for(name) for name in (service_name("web"), service_name("nosuch"), f"nosuch.{ZONE}")] \
        == [0, 0, 0], upstream.log()


@pytest.mark.parametrize("tool", TOOLS)
def test_with_upstream_none_names_outside_the_zone_are_refused(tool, start_cluster_dns, write_config):
    config, cluster_ip = web_config(write_config)
    daemon = start_cluster_dns(config, upstreams=["none"])

    assert tool_query(tool, daemon.dns_address, OUTSIDE).status == "REFUSED"
    assert tool_query(tool, daemon.dns_address, service_name("web")).data("A") == [cluster_ip]


def test_an_upstream_that_never_answers_costs_a_servfail_within_seconds(start_cluster_dns, write_config):
    silent = SilentUpstream()
    try:
        config, cluster_ip = web_config(write_config)
        daemon = start_cluster_dns(config, upstreams=[silent.endpoint])

        # The client waits long enough for any sane upstream timeout, and no longer.
        reply = query(daemon.dns_address, OUTSIDE, timeout=10)

        assert rcode(reply) == "SERVFAIL"
        assert addresses(query(daemon.dns_address, service_name("web"))) == [cluster_ip]
    finally:
        silent.stop()


def test_when_the_first_upstream_never_answers_the_second_one_does(start_upstream, start_cluster_dns, write_config):
    silent = SilentUpstream()
    try:
        upstream = start_upstream({"example.test": OUTSIDE_ADDRESS})
        config, _ = web_config(write_config)
        daemon = start_cluster_dns(config, upstreams=[silent.endpoint, upstream.endpoint])

        # A resolver retries: within three tries of 10 s each the second upstream answers, and
        # no try gets anything but that answer or SERVFAIL.
        seen = []
        for _ in range(3):
            reply = query(daemon.dns_address, OUTSIDE, timeout=10)
            seen.append((rcode(reply), addresses(reply)))
            if seen[-1] == ("NOERROR", [OUTSIDE_ADDRESS]):
                break
        assert seen[-1] == ("NOERROR", [OUTSIDE_ADDRESS]), seen
        assert all(outcome[0] in ("NOERROR", "SERVFAIL") for outcome in seen), seen
        assert upstream.queries_for(OUTSIDE) >= 1, upstream.log()
    finally:
        silent.stop()


@pytest.mark.skipif(os.geteuid() != 0, reason="nameservers in resolv.conf listen on port 53, which needs root")
def test_without_dns_upstream_the_resolv_conf_nameservers_other_than_svcproxy_itself_are_asked(
        start_upstream, start_daemon, write_config, tmp_path):
    # resolv.conf has no port: the daemon and the upstream each get port 53 on an address of
    # their own in 127.0.0.0/8.
    own, other = pick_cluster_ip(), pick_cluster_ip()
    upstream = start_upstream({"example.test": OUTSIDE_ADDRESS}, host=other, port=53)
    resolv_conf = tmp_path / "resolv.conf"
    resolv_conf.write_text(f"search example.test\nnameserver {own}\nnameserver {other}\noptions ndots:5\n")
    config, cluster_ip = web_config(write_config)
    daemon = start_daemon(config, extra_args=("--dns-bind-address", f"{own}:53", "--dns-resolv-conf", str(resolv_conf)))

    reply = query((own, 53), OUTSIDE, timeout=10)

    assert (rcode(reply), addresses(reply)) == ("NOERROR", [OUTSIDE_ADDRESS])
    assert upstream.queries_for(OUTSIDE) == 1, upstream.log()
    assert addresses(query((own, 53), service_name("web"))) == [cluster_ip]
    assert daemon.alive()
