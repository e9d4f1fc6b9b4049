"""What an operator sees of the cluster DNS: the log says where it serves which domain;
/metrics counts queries by type, responses by rcode, forwarded queries by result and
truncated answers, each rising with the queries that cause it; `svcproxy check
--print-zone` prints the zone as master-file records; and the ProxyConfiguration document
sets up the DNS as the flags do."""

import dns.flags
import dns.message
import dns.rdata
import dns.rdataclass
import dns.rdatatype

from harness import pick_cluster_ip, poll_until
from harness.admin import scrape
from harness.dns import (
    ZONE, Port, SliceEndpoint, addresses, cluster_ip_service_yaml, documents, endpoint_slice_yaml,
    external_name_service_yaml, format_address, header_of, headless_service_yaml, pick_dns_address, print_zone,
    proxy_configuration_yaml, query, raw_exchange, rcode, service_name, zone_lines,
)
from harness.udp import pick_udp_port

OUTSIDE_ADDRESS = "127.0.0.9"


def web_and_db(cluster_ip, port, db_count=3):
    db = [f"10.40.0.{i}" for i in range(1, db_count + 1)]
    return documents(
        cluster_ip_service_yaml("web", cluster_ip, [Port("http", port, "TCP", target_port=8080)]),
        headless_service_yaml("db", [Port("pg", 5432, "TCP", target_port=15432)]),
        endpoint_slice_yaml("db", [SliceEndpoint(ip, f"db-{i}") for i, ip in enumerate(db)], [Port("pg", 15432, "TCP")]),
    ), db


def dns_lines(daemon):
    return [line for line in daemon.log_text().splitlines() if "event=dns-listening" in line]


def test_the_log_says_where_the_dns_serves_which_domain(start_cluster_dns, start_daemon, write_config):
    cluster_ip = pick_cluster_ip()
    config, _ = web_and_db(cluster_ip, pick_udp_port((cluster_ip,)))
    daemon = start_cluster_dns(write_config(config))
    v4, v6 = pick_dns_address("127.0.0.1"), pick_dns_address("::1")
    both = start_daemon(write_config(config, "again.yaml"), extra_args=(
        "--dns-bind-address", format_address(v4), "--dns-bind-address", format_address(v6), "--dns-upstream", "none"))

    [line] = dns_lines(daemon)
    assert f"Serving DNS for {ZONE} on {format_address(daemon.dns_address)} (UDP and TCP)" in line, line
    lines = dns_lines(both)
    for address in (v4, v6):
        assert any(f"on {format_address(address)} (UDP and TCP)" in line for line in lines), lines
        assert addresses(query(address, service_name("web"))) == [cluster_ip]
        assert addresses(query(address, service_name("web"), tcp=True)) == [cluster_ip]


def udp_sockets_of(daemon):
    """The daemon's UDP sockets, from /proc: their local addresses in /proc/net/udp{,6}."""
    own = {int(target[len("socket:["):-1]) for target in daemon.fd_targets().values() if target.startswith("socket:[")}
    found = []
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        with open(table) as rows:
            next(rows)
            found += [row.split()[1] for row in rows if int(row.split()[9]) in own]
    return found


def test_without_dns_bind_address_no_dns_is_served(start_daemon, write_config):
    cluster_ip = pick_cluster_ip()
    config, _ = web_and_db(cluster_ip, pick_udp_port((cluster_ip,)))   # TCP ports only
    daemon = start_daemon(write_config(config))

    assert dns_lines(daemon) == []
    assert udp_sockets_of(daemon) == []


def total(samples, name, **labels):
    """The sum of the samples called `name` whose labels include `labels`."""
    return sum(value for (sample, pairs), value in samples.items()
               if sample == name and set(labels.items()) <= set(pairs))


COUNTED = (("svcproxy_dns_queries_total", {"type": "A"}), ("svcproxy_dns_queries_total", {"type": "SRV"}),
           ("svcproxy_dns_responses_total", {"rcode": "NXDOMAIN"}),
           ("svcproxy_dns_forwarded_total", {"result": "answered"}), ("svcproxy_dns_truncated_total", {}))


def figures(daemon):
    samples = scrape(daemon)
    return {(name, tuple(labels.items())): total(samples, name, **labels) for name, labels in COUNTED}


def test_metrics_count_queries_by_type_responses_by_rcode_forwarded_queries_and_truncated_answers(
        start_upstream, start_cluster_dns, write_config):
    upstream = start_upstream({"example.test": OUTSIDE_ADDRESS})
    cluster_ip = pick_cluster_ip()
    config, _ = web_and_db(cluster_ip, pick_udp_port((cluster_ip,)), db_count=60)   # ~1 KB: over 512 bytes
    daemon = start_cluster_dns(write_config(config), upstreams=[upstream.endpoint])
    before = figures(daemon)

    for _ in range(3):
        assert addresses(query(daemon.dns_address, service_name("web"))) == [cluster_ip]
    for _ in range(2):
        assert rcode(query(daemon.dns_address, service_name("nosuch"))) == "NXDOMAIN"
    assert rcode(query(daemon.dns_address, f"_pg._tcp.{service_name('db')}", "SRV", tcp=True)) == "NOERROR"
    assert addresses(query(daemon.dns_address, "www.example.test")) == [OUTSIDE_ADDRESS]
    plain = dns.message.make_query(service_name("db"), "A")      # no EDNS: 512 bytes at most
    truncated = raw_exchange(daemon.dns_address, plain.to_wire(), timeout=3)
    assert truncated is not None and header_of(truncated)["tc"] == 1

    expected = {("svcproxy_dns_queries_total", (("type", "A"),)): 3 + 2 + 1 + 1,
                ("svcproxy_dns_queries_total", (("type", "SRV"),)): 1,
                ("svcproxy_dns_responses_total", (("rcode", "NXDOMAIN"),)): 2,
                ("svcproxy_dns_forwarded_total", (("result", "answered"),)): 1,
                ("svcproxy_dns_truncated_total", ()): 1}

    def rises():
        after = figures(daemon)
        return {key: after[key] - before[key] for key in after}

    # Counters may trail the answers by a moment.
    poll_until(lambda: rises() == expected, 5)
    assert rises() == expected


def test_check_print_zone_prints_the_records_as_master_file_lines(write_config):
    cluster_ip = pick_cluster_ip()
    port = pick_udp_port((cluster_ip,))
    config, db = web_and_db(cluster_ip, port)
    path = write_config(documents(config, external_name_service_yaml("external", "www.example.test")))

    result = print_zone([path])

    assert result.returncode == 0, result.stdout + result.stderr
    records = zone_lines(result.stdout)
    by_type = {}
    for fields in records:
        # Owner, then optional TTL and class in either order, then type and data.
        rest = fields[1:]
        while rest and (rest[0].isdigit() or rest[0].upper() == "IN"):
            rest = rest[1:]
        rdtype, data = rest[0].upper(), " ".join(rest[1:])
        dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rdtype), data)   # a well-formed record
        by_type.setdefault(rdtype, set()).add((fields[0].lower(), data.lower()))
    assert (service_name("web"), cluster_ip) in by_type.get("A", set()), result.stdout
    assert {(service_name("db"), ip) for ip in db} <= by_type.get("A", set()), result.stdout
    assert (f"db-0.{service_name('db')}", db[0]) in by_type.get("A", set()), result.stdout
    assert (service_name("external"), "www.example.test.") in by_type.get("CNAME", set()), result.stdout
    assert any(owner == f"_pg._tcp.{service_name('db')}" and data.split()[2:] == ["15432", f"db-1.{service_name('db')}"]
               for owner, data in by_type.get("SRV", set())), result.stdout
    assert any(owner == f"{ZONE}." for owner, _ in by_type.get("SOA", set())), result.stdout


def test_check_print_zone_uses_the_cluster_domain(write_config):
    cluster_ip = pick_cluster_ip()
    config, _ = web_and_db(cluster_ip, pick_udp_port((cluster_ip,)))

    result = print_zone([write_config(config)], "--cluster-domain", "corp.example")

    assert result.returncode == 0, result.stdout + result.stderr
    lines = [fields for fields in zone_lines(result.stdout) if cluster_ip in fields]
    assert lines and all(fields[0].lower() == "web.default.svc.corp.example." for fields in lines), result.stdout
    assert "cluster.local" not in result.stdout


def test_the_proxy_configuration_document_sets_up_the_dns_as_the_flags_do(start_upstream, start_daemon,
                                                                          write_config):
    upstream = start_upstream({"example.test": OUTSIDE_ADDRESS})
    cluster_ip = pick_cluster_ip()
    config, _ = web_and_db(cluster_ip, pick_udp_port((cluster_ip,)), db_count=60)
    address = pick_dns_address()
    settings = write_config(proxy_configuration_yaml(
        dnsBindAddresses=[format_address(address)], clusterDomain="corp.example", dnsTTL="9s",
        dnsUDPSize=4096, dnsUpstreams=[format_address(upstream.endpoint)]), "proxy.yaml")
    daemon = start_daemon([write_config(config), settings])

    assert any(f"Serving DNS for corp.example on {format_address(address)}" in line for line in dns_lines(daemon)), \
        daemon.log_tail()
    web = query(address, service_name("web", zone="corp.example"), edns=0, payload=4096)
    assert addresses(web) == [cluster_ip] and [rrset.ttl for rrset in web.answer] == [9]
    assert web.payload == 4096
    assert rcode(query(address, service_name("web"))) != "NOERROR"     # cluster.local is not ours now
    big = query(address, service_name("db", zone="corp.example"), edns=0, payload=4096)
    assert not big.flags & dns.flags.TC and len(addresses(big)) == 60
    assert addresses(query(address, "www.example.test")) == [OUTSIDE_ADDRESS]
