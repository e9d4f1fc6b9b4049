"""The cluster DNS's records as a user reads them with `dig` and `kdig`: a Service's name
answers its ClusterIP, a headless Service's name its ready endpoints (from an EndpointSlice,
an Endpoints object or Pods by selector), each named endpoint its own address; named ports
have SRV records, ClusterIPs and named endpoints PTR records, an ExternalName Service a
CNAME followed through the upstream; the zone has its SOA, NS and dns-version records, pod
names by address, and NXDOMAIN or NODATA (with the SOA) for the rest. Every answer carries
the --dns-ttl.

One daemon serves every test here (a module fixture). With SVCPROXY_DNS_REFERENCE=unbound
the same tests run against unbound serving REFERENCE_ZONE, the records the Kubernetes DNS
specification asks for, which checks the tests' own reading of dig's and kdig's output;
the few behaviours unbound lacks (additional records, CNAME chasing, pod names) are then
left out."""

import pytest

from harness import pick_cluster_ip
from harness.dns import (
    TOOLS, ZONE, Port, SliceEndpoint, Upstream, cluster_ip_service_yaml, documents, endpoint_slice_yaml,
    endpoints_yaml, external_name_service_yaml, headless_service_yaml, named_pod_yaml, query, reverse_name,
    serve_zone, service_name, tool_query,
)
from harness.udp import pick_udp_port

TTL = 7
UPSTREAM_ADDRESS = "127.0.0.9"      # what the upstream answers for example.test and below

WEB_IP = pick_cluster_ip()
OTHER_WEB_IP = pick_cluster_ip()
WEB_HTTP = pick_udp_port((WEB_IP,))
WEB_DNS = pick_udp_port((WEB_IP,))
DB = {"db-0": "10.20.0.1", "db-1": "10.20.0.2", None: "10.20.0.3"}     # ready; hostname -> address
DB_NOT_READY = ("db-3", "10.20.0.4")
DB_PORT = 15432
STS = {"sts-0": "10.22.0.1", "sts-1": "10.22.0.2"}
V6 = {"v6-0": "fd00:20::1", None: "fd00:20::2"}


def cluster_yaml() -> str:
    db_port = Port("pg", 5432, "TCP", target_port=DB_PORT)
    http = Port("http", 80, "TCP", target_port=8080)
    return documents(
        cluster_ip_service_yaml("web", WEB_IP, [Port("http", WEB_HTTP, "TCP", target_port=8080),
                                                Port("dns", WEB_DNS, "UDP", target_port=53)]),
        cluster_ip_service_yaml("web", OTHER_WEB_IP, [Port("http", WEB_HTTP, "TCP", target_port=8080)],
                                namespace="other"),
        headless_service_yaml("db", [db_port]),
        endpoint_slice_yaml("db", [SliceEndpoint(ip, hostname) for hostname, ip in DB.items()]
                            + [SliceEndpoint(DB_NOT_READY[1], DB_NOT_READY[0], ready=False)],
                            [Port("pg", DB_PORT, "TCP")]),
        headless_service_yaml("legacy", [http]),
        endpoints_yaml("legacy", [("10.21.0.1", "legacy-0")], ["10.21.0.2"], [Port("http", 8080, "TCP")]),
        headless_service_yaml("sts", [Port("http", 80, "TCP", target_port="http")], selector="{app: sts}"),
        *[named_pod_yaml(h, ip, {"app": "sts"}, {"http": 8080}, hostname=h, subdomain="sts") for h, ip in STS.items()],
        named_pod_yaml("sts-2", "10.22.0.3", {"app": "sts"}, {"http": 8080}, hostname="sts-2", subdomain="sts",
                       ready=False),
        headless_service_yaml("empty", [http]),
        endpoint_slice_yaml("empty", [SliceEndpoint("10.24.0.1", "empty-0", ready=False)], [Port("http", 8080, "TCP")]),
        headless_service_yaml("early", [http], publish_not_ready=True),
        endpoint_slice_yaml("early", [SliceEndpoint("10.23.0.1", ready=False)], [Port("http", 8080, "TCP")]),
        headless_service_yaml("v6", [http]),
        endpoint_slice_yaml("v6", [SliceEndpoint(ip, hostname) for hostname, ip in V6.items()],
                            [Port("http", 8080, "TCP")]),
        external_name_service_yaml("external", "www.example.test"),
    )


def reference_zone() -> list[str]:
    """What the specification says the zone holds for cluster_yaml(), as master-file lines."""
    def name(service, namespace="default"):
        return service_name(service, namespace)

    lines = [f"{ZONE}. {TTL} IN SOA ns.dns.{ZONE}. hostmaster.{ZONE}. 1 7200 1800 86400 {TTL}",
             f"{ZONE}. {TTL} IN NS ns.dns.{ZONE}.",
             f'dns-version.{ZONE}. {TTL} IN TXT "1.1.0"',
             f"{name('web')} {TTL} IN A {WEB_IP}",
             f"{name('web', 'other')} {TTL} IN A {OTHER_WEB_IP}",
             f"_http._tcp.{name('web')} {TTL} IN SRV 0 100 {WEB_HTTP} {name('web')}",
             f"_dns._udp.{name('web')} {TTL} IN SRV 0 100 {WEB_DNS} {name('web')}",
             f"_http._tcp.{name('web', 'other')} {TTL} IN SRV 0 100 {WEB_HTTP} {name('web', 'other')}",
             f"{reverse_name(WEB_IP)} {TTL} IN PTR {name('web')}",
             f"{reverse_name(OTHER_WEB_IP)} {TTL} IN PTR {name('web', 'other')}",
             f"{name('legacy')} {TTL} IN A 10.21.0.1",
             f"legacy-0.{name('legacy')} {TTL} IN A 10.21.0.1",
             f"_http._tcp.{name('legacy')} {TTL} IN SRV 0 100 8080 legacy-0.{name('legacy')}",
             f"{reverse_name('10.21.0.1')} {TTL} IN PTR legacy-0.{name('legacy')}",
             f"{name('early')} {TTL} IN A 10.23.0.1",
             f"{name('external')} {TTL} IN CNAME www.example.test."]
    for service, members, port in (("db", DB, DB_PORT), ("sts", STS, 8080), ("v6", V6, 8080)):
        for hostname, ip in members.items():
            kind = "AAAA" if ":" in ip else "A"
            lines.append(f"{name(service)} {TTL} IN {kind} {ip}")
            # An endpoint without a hostname is named by its dashed address, as CoreDNS names it.
            label = hostname or ip.replace(".", "-").replace(":", "-")
            lines.append(f"{label}.{name(service)} {TTL} IN {kind} {ip}")
            lines.append(f"_{'pg' if service == 'db' else 'http'}._tcp.{name(service)} {TTL} IN SRV "
                         f"0 50 {port} {label}.{name(service)}")
            lines.append(f"{reverse_name(ip)} {TTL} IN PTR {label}.{name(service)}")
    return lines


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("dns-records")
    upstream = Upstream(workdir, {"example.test": UPSTREAM_ADDRESS})
    try:
        with serve_zone(workdir, cluster_yaml(), reference_zone, [upstream.endpoint], f"{TTL}s",
                        forward={"example.test": upstream.endpoint}) as served:
            yield served
    finally:
        upstream.stop()


tools = pytest.mark.parametrize("tool", TOOLS)


def ask(cluster, tool, name, rdtype="A", **options):
    result = tool_query(tool, cluster.address, name, rdtype, **options)
    assert result.status != "NO-ANSWER", result.output
    return result


def assert_negative(result, status):
    """NXDOMAIN or NODATA as the specification has them: no answers, the zone's SOA in the
    authority section."""
    assert result.status == status, result.output
    assert result.answer == [], result.output
    assert [(r.owner, r.type) for r in result.authority] == [(f"{ZONE}.", "SOA")], result.output


# --------------------------------------------------------------------------- Services with a ClusterIP

@tools
def test_a_services_name_answers_its_cluster_ip_with_the_configured_ttl(cluster, tool):
    result = ask(cluster, tool, service_name("web"))

    assert result.status == "NOERROR", result.output
    assert [(r.owner, r.type, r.data) for r in result.answer] == [(service_name("web"), "A", WEB_IP)], result.output
    assert [r.ttl for r in result.answer] == [TTL], result.output


@tools
def test_the_same_service_name_in_another_namespace_answers_that_namespaces_cluster_ip(cluster, tool):
    assert ask(cluster, tool, service_name("web", "other")).data("A") == [OTHER_WEB_IP]


@tools
def test_an_ipv4_service_has_no_aaaa_record_but_its_name_exists(cluster, tool):
    assert_negative(ask(cluster, tool, service_name("web"), "AAAA"), "NOERROR")


@tools
def test_each_named_port_of_a_cluster_ip_service_has_an_srv_record_pointing_at_the_service_name(cluster, tool):
    for port_name, proto, number in (("http", "tcp", WEB_HTTP), ("dns", "udp", WEB_DNS)):
        result = ask(cluster, tool, f"_{port_name}._{proto}.{service_name('web')}", "SRV")

        assert result.status == "NOERROR", result.output
        [srv] = result.data("SRV")
        _priority, _weight, port, target = srv.split()
        assert (int(port), target.lower()) == (number, service_name("web")), result.output
        if not cluster.reference:
            assert (service_name("web"), "A", WEB_IP) in [(r.owner, r.type, r.data) for r in result.additional], \
                result.output


@tools
def test_a_port_name_with_the_wrong_protocol_has_no_srv_record(cluster, tool):
    assert_negative(ask(cluster, tool, f"_http._udp.{service_name('web')}", "SRV"), "NXDOMAIN")
    assert_negative(ask(cluster, tool, f"_nosuch._tcp.{service_name('web')}", "SRV"), "NXDOMAIN")


@tools
def test_a_cluster_ips_reverse_name_points_at_its_service(cluster, tool):
    for ip, name in ((WEB_IP, service_name("web")), (OTHER_WEB_IP, service_name("web", "other"))):
        result = tool_query(tool, cluster.address, ip, reverse=True)

        assert result.status == "NOERROR", result.output
        assert [(r.owner, r.type, r.data.lower()) for r in result.answer] == [(reverse_name(ip), "PTR", name)], \
            result.output


# --------------------------------------------------------------------------- headless Services

@tools
def test_a_headless_services_name_answers_every_ready_endpoint_and_no_other(cluster, tool):
    result = ask(cluster, tool, service_name("db"))

    assert result.status == "NOERROR", result.output
    assert sorted(result.data("A")) == sorted(DB.values()), result.output
    assert {r.ttl for r in result.answer} == {TTL}, result.output


@tools
def test_a_named_ready_endpoint_of_a_headless_service_has_its_own_name(cluster, tool):
    for hostname in ("db-0", "db-1"):
        assert ask(cluster, tool, f"{hostname}.{service_name('db')}").data("A") == [DB[hostname]]
    # A not-ready endpoint has no name, whatever its hostname.
    assert_negative(ask(cluster, tool, f"{DB_NOT_READY[0]}.{service_name('db')}"), "NXDOMAIN")


@tools
def test_an_endpoints_objects_ready_addresses_and_hostnames_answer_and_not_ready_ones_do_not(cluster, tool):
    assert ask(cluster, tool, service_name("legacy")).data("A") == ["10.21.0.1"]
    assert ask(cluster, tool, f"legacy-0.{service_name('legacy')}").data("A") == ["10.21.0.1"]


@tools
def test_ready_pods_with_hostname_and_subdomain_give_a_headless_service_its_addresses_and_names(cluster, tool):
    result = ask(cluster, tool, service_name("sts"))
    assert sorted(result.data("A")) == sorted(STS.values()), result.output   # not the not-ready sts-2
    for hostname, ip in STS.items():
        assert ask(cluster, tool, f"{hostname}.{service_name('sts')}").data("A") == [ip]
    assert_negative(ask(cluster, tool, f"sts-2.{service_name('sts')}"), "NXDOMAIN")


@tools
def test_a_headless_service_without_ready_endpoints_does_not_exist_in_dns(cluster, tool):
    assert_negative(ask(cluster, tool, service_name("empty")), "NXDOMAIN")


@tools
def test_publish_not_ready_addresses_puts_not_ready_endpoints_in_dns(cluster, tool):
    assert ask(cluster, tool, service_name("early")).data("A") == ["10.23.0.1"]


@tools
def test_an_ipv6_headless_service_answers_aaaa_and_has_no_a_records(cluster, tool):
    result = ask(cluster, tool, service_name("v6"), "AAAA")
    assert sorted(result.data("AAAA")) == sorted(V6.values()), result.output
    assert ask(cluster, tool, f"v6-0.{service_name('v6')}", "AAAA").data("AAAA") == [V6["v6-0"]]
    assert_negative(ask(cluster, tool, service_name("v6"), "A"), "NOERROR")


@tools
def test_a_headless_named_port_has_one_srv_record_per_endpoint_at_the_endpoints_port(cluster, tool):
    result = ask(cluster, tool, f"_pg._tcp.{service_name('db')}", "SRV")

    assert result.status == "NOERROR", result.output
    targets = sorted((int(srv.split()[2]), srv.split()[3].lower()) for srv in result.data("SRV"))
    # An endpoint without a hostname is named by its dashed address, as CoreDNS names it.
    assert targets == [(DB_PORT, f"10-20-0-3.{service_name('db')}"), (DB_PORT, f"db-0.{service_name('db')}"),
                       (DB_PORT, f"db-1.{service_name('db')}")], result.output
    if not cluster.reference:
        additional = {(r.owner, r.data) for r in result.additional if r.type == "A"}
        assert {(f"db-0.{service_name('db')}", DB["db-0"]), (f"db-1.{service_name('db')}", DB["db-1"])} <= additional, \
            result.output


@tools
def test_a_named_endpoints_address_points_back_at_its_name_in_ipv4_and_ipv6(cluster, tool):
    for ip, name in ((DB["db-0"], f"db-0.{service_name('db')}"), (V6["v6-0"], f"v6-0.{service_name('v6')}"),
                     ("10.21.0.1", f"legacy-0.{service_name('legacy')}")):
        result = tool_query(tool, cluster.address, ip, reverse=True)
        assert [(r.owner, r.type, r.data.lower()) for r in result.answer] == [(reverse_name(ip), "PTR", name)], \
            result.output


def test_the_records_of_a_headless_service_come_in_rotating_order(cluster):
    """Several endpoints: the first address is not always the same one (clients that take the
    first spread over them), and every answer holds all of them."""
    firsts, sets = [], set()
    for _ in range(12):
        reply = query(cluster.address, service_name("db"))
        [rrset] = reply.answer
        order = [rdata.to_text() for rdata in rrset]
        firsts.append(order[0])
        sets.add(tuple(sorted(order)))
    assert sets == {tuple(sorted(DB.values()))}
    assert len(set(firsts)) > 1, firsts


# --------------------------------------------------------------------------- ExternalName

@tools
def test_an_external_name_service_is_a_cname_and_the_upstream_answers_its_target(cluster, tool):
    cname = ask(cluster, tool, service_name("external"), "CNAME")
    assert [(r.owner, r.type, r.data.lower()) for r in cname.answer] == \
        [(service_name("external"), "CNAME", "www.example.test.")], cname.output

    result = ask(cluster, tool, service_name("external"), "A")
    assert result.status == "NOERROR", result.output
    assert result.answer[0].type == "CNAME" and result.answer[0].data.lower() == "www.example.test.", result.output
    if not cluster.reference:
        assert [(r.owner, r.type, r.data) for r in result.answer[1:]] == \
            [("www.example.test.", "A", UPSTREAM_ADDRESS)], result.output


# --------------------------------------------------------------------------- the zone itself

@tools
def test_the_zone_answers_its_schema_version(cluster, tool):
    assert ask(cluster, tool, f"dns-version.{ZONE}", "TXT").data("TXT") == ['"1.1.0"']


@tools
def test_a_pod_name_made_of_an_address_answers_that_address(cluster, tool):
    if cluster.reference:
        pytest.skip("unbound has no synthesised pod names")
    assert ask(cluster, tool, f"1-2-3-4.default.pod.{ZONE}").data("A") == ["1.2.3.4"]


@tools
def test_the_zone_apex_has_an_soa_and_a_name_server(cluster, tool):
    soa = ask(cluster, tool, ZONE, "SOA")
    assert [(r.owner, r.type) for r in soa.answer] == [(f"{ZONE}.", "SOA")], soa.output
    ns = ask(cluster, tool, ZONE, "NS")
    assert ns.status == "NOERROR" and ns.data("NS"), ns.output
    assert {r.owner for r in ns.answer} == {f"{ZONE}."}, ns.output


@tools
def test_names_that_do_not_exist_are_nxdomain_with_the_zones_soa(cluster, tool):
    for name in (service_name("nosuch"), service_name("web", "nosuch"), f"nosuch.{ZONE}",
                 f"extra.{service_name('web')}"):
        assert_negative(ask(cluster, tool, name), "NXDOMAIN")


@tools
def test_existing_names_asked_for_another_type_and_the_names_between_are_nodata_with_the_soa(cluster, tool):
    assert_negative(ask(cluster, tool, service_name("web"), "TXT"), "NOERROR")
    for between in (f"svc.{ZONE}", f"default.svc.{ZONE}", f"other.svc.{ZONE}"):
        assert_negative(ask(cluster, tool, between, "A"), "NOERROR")
