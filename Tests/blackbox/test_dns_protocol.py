"""The cluster DNS on the wire, as resolvers meet it: EDNS0's OPT record comes back with the
daemon's UDP payload size, and the client's own size is honoured; an answer too large for a
datagram comes with the TC bit and comes whole over TCP, where one connection carries
several queries; the question comes back in the letter case it was asked in; malformed
queries get FORMERR, unknown opcodes NOTIMP, and the daemon keeps answering.

With SVCPROXY_DNS_REFERENCE=unbound the module's zone is served by unbound instead (see
test_dns_records.py); tests that start a daemon of their own are skipped then."""

import socket
import struct

import dns.exception
import dns.flags
import dns.message
import dns.query
import pytest

from harness import pick_cluster_ip
from harness.dns import (
    ZONE, Port, SliceEndpoint, cluster_ip_service_yaml, documents, endpoint_slice_yaml, header_of,
    headless_service_yaml, query, raw_exchange, rcode, serve_zone, service_name, svcproxy_only,
)
from harness.udp import pick_udp_port

WEB_IP = pick_cluster_ip()
WEB_PORT = pick_udp_port((WEB_IP,))
# Answers of about 850 bytes (50 A records) and 1,650 bytes (100 A records).
MID = [f"10.31.0.{i}" for i in range(1, 51)]
BIG = [f"10.30.{i // 250}.{i % 250 + 1}" for i in range(100)]


def headless(name, ips):
    return documents(headless_service_yaml(name, [Port("http", 80, "TCP", target_port=8080)]),
                     endpoint_slice_yaml(name, [SliceEndpoint(ip) for ip in ips], [Port("http", 8080, "TCP")]))


def zone_yaml():
    return documents(cluster_ip_service_yaml("web", WEB_IP, [Port("http", WEB_PORT, "TCP", target_port=8080)]),
                     headless("mid", MID), headless("big", BIG))


def reference_zone():
    return ([f"{ZONE}. 5 IN SOA ns.dns.{ZONE}. hostmaster.{ZONE}. 1 7200 1800 86400 5",
             f"{service_name('web')} 5 IN A {WEB_IP}"]
            + [f"{service_name('mid')} 5 IN A {ip}" for ip in MID]
            + [f"{service_name('big')} 5 IN A {ip}" for ip in BIG])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serve_zone(tmp_path_factory.mktemp("dns-protocol"), zone_yaml(), reference_zone) as served:
        yield served


def exchange(address, name, payload=None):
    """One UDP query for `name` A, with EDNS offering `payload` bytes (None: no EDNS); the
    reply's raw bytes and its parsed form (None for a truncated reply cut inside a record,
    which RFC 2181 allows)."""
    message = dns.message.make_query(name, "A", use_edns=0 if payload else False, payload=payload or 512)
    reply = raw_exchange(address, message.to_wire(), timeout=3)
    assert reply is not None, f"no answer to {name}"
    assert header_of(reply)["id"] == message.id
    try:
        return reply, dns.message.from_wire(reply, ignore_trailing=True)
    except dns.exception.FormError:
        assert header_of(reply)["tc"] == 1, "a reply that does not parse and is not truncated"
        return reply, None


def a_records(message):
    return sorted(rdata.to_text() for rrset in message.answer for rdata in rrset if rdata.rdtype == 1)


# --------------------------------------------------------------------------- EDNS0 and sizes

def test_a_query_with_edns_gets_an_opt_record_with_the_daemons_payload_size_and_one_without_gets_none(server):
    with_edns = query(server.address, service_name("web"), edns=0, payload=4096)
    without = query(server.address, service_name("web"))

    assert with_edns.edns == 0 and with_edns.payload == 1232, with_edns
    assert without.edns == -1, without
    assert [rdata.to_text() for rrset in with_edns.answer for rdata in rrset] == [WEB_IP]


def test_an_answer_over_512_bytes_is_truncated_without_edns_and_to_the_clients_size_with_it(server):
    for offered, limit in ((None, 512), (600, 600)):
        raw, message = exchange(server.address, service_name("mid"), offered)
        header = header_of(raw)
        assert header["tc"] == 1 and len(raw) <= limit, (offered, len(raw), header)
        assert header["rcode"] == 0 and header["qr"] == 1, header

    raw, message = exchange(server.address, service_name("mid"), 1232)
    assert message is not None

    assert header_of(raw)["tc"] == 0 and len(raw) <= 1232, len(raw)
    assert a_records(message) == sorted(MID)


def test_no_udp_answer_is_larger_than_the_daemons_own_payload_size_whatever_the_client_offers(server):
    raw, _ = exchange(server.address, service_name("big"), 4096)

    assert header_of(raw)["tc"] == 1 and len(raw) <= 1232, (len(raw), header_of(raw))


def test_the_answer_truncated_over_udp_comes_whole_over_tcp(server):
    reply = query(server.address, service_name("big"), tcp=True)

    assert not reply.flags & dns.flags.TC
    assert a_records(reply) == sorted(BIG)


def test_one_tcp_connection_carries_several_queries_in_a_row(server):
    with socket.create_connection(server.address, timeout=5) as sock:
        sock.settimeout(5)
        for name, expected_rcode, expected in ((service_name("web"), "NOERROR", [WEB_IP]),
                                               (service_name("big"), "NOERROR", sorted(BIG)),
                                               (service_name("nosuch"), "NXDOMAIN", []),
                                               (service_name("mid"), "NOERROR", sorted(MID))):
            message = dns.message.make_query(name, "A")
            dns.query.send_tcp(sock, message)
            reply, _ = dns.query.receive_tcp(sock, expiration=None)
            assert reply.id == message.id
            assert (rcode(reply), a_records(reply)) == (expected_rcode, expected), name


# --------------------------------------------------------------------------- names

def test_the_question_comes_back_in_the_letter_case_it_was_asked_in(server):
    asked = f"WeB.DeFault.SVC.{ZONE.title()}."

    reply = query(server.address, asked)

    assert reply.question[0].name.to_text() == asked
    assert a_records(reply) == [WEB_IP]


# --------------------------------------------------------------------------- malformed queries

def header(ident, flags=0x0100, qdcount=1):
    return struct.pack(">HHHHHH", ident, flags, qdcount, 0, 0, 0)


WEB_QUESTION = b"".join(bytes([len(label)]) + label.encode() for label in service_name("web").split(".")) + b"\x00\x01\x00\x01"


def test_malformed_queries_get_formerr_with_their_id_and_the_daemon_keeps_answering(server):
    cases = {
        "garbage after the header": header(0x1111) + b"\xff" * 30,
        "no question": header(0x2222, qdcount=0),
        "a question cut off in a name": header(0x3333) + WEB_QUESTION[:9],
        "a label that points at itself": header(0x4444) + b"\xc0\x0c\x00\x01\x00\x01",
    }
    for case, payload in cases.items():
        reply = raw_exchange(server.address, payload, timeout=3)
        assert reply is not None and len(reply) >= 12, case
        fields = header_of(reply)
        assert (fields["id"], fields["qr"], fields["rcode"]) == (struct.unpack(">H", payload[:2])[0], 1, 1), \
            (case, fields)

    # Fewer bytes than a header: nothing to answer to, or FORMERR, and nothing else.
    short = raw_exchange(server.address, b"\x55\x55\x01\x00\x00", timeout=1)
    assert short is None or (len(short) >= 12 and header_of(short)["rcode"] == 1), short

    assert a_records(query(server.address, service_name("web"))) == [WEB_IP]
    assert server.daemon is None or server.daemon.alive()


def test_the_status_and_notify_opcodes_get_notimp(server):
    for opcode in (2, 4):     # STATUS, NOTIFY
        if opcode == 4 and server.reference:
            continue          # unbound answers NOTIFY with REFUSED
        reply = raw_exchange(server.address, header(0x6000 + opcode, flags=opcode << 11) + WEB_QUESTION, timeout=3)
        assert reply is not None, opcode
        fields = header_of(reply)
        assert (fields["id"], fields["qr"], fields["opcode"], fields["rcode"]) == (0x6000 + opcode, 1, opcode, 4), fields
    assert a_records(query(server.address, service_name("web"))) == [WEB_IP]


# --------------------------------------------------------------------------- --dns-udp-size

@svcproxy_only
def test_dns_udp_size_is_the_payload_size_offered_and_the_largest_udp_answer(start_cluster_dns, write_config):
    daemon = start_cluster_dns(write_config(headless("big", BIG)), extra_args=("--dns-udp-size", "4096"))

    raw, message = exchange(daemon.dns_address, service_name("big"), 4096)

    assert message is not None and message.payload == 4096
    assert header_of(raw)["tc"] == 0 and a_records(message) == sorted(BIG)
    raw, _ = exchange(daemon.dns_address, service_name("big"), 1232)
    assert header_of(raw)["tc"] == 1 and len(raw) <= 1232
