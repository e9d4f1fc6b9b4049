"""Ingress over HTTPS as clients see it: the certificate chosen by SNI (an exact SAN, then a
wildcard SAN of one label, else the default certificate), TLS 1.2 and 1.3 only with ALPN
http/1.1, and requests routed as over HTTP once the handshake is done, with
`X-Forwarded-Proto: https` and the HTTPS port in `X-Forwarded-Port`, keep-alive included.
A burst of handshakes is taken a few per turn of the loop (the rest wait, counted on
/metrics), and every one of them completes and is served.

The clients are curl, `openssl s_client` and Python's http.client; which certificate was
served is told by its SHA-256 fingerprint."""

import hashlib
import http.client
import json
import select
import socket
import ssl

from harness import Deadline, MiB, pattern_bytes
from harness.admin import scrape, series
from harness.http_backend import requests_seen
from harness.tls import (
    DEFAULT_CERT_ARGS, HTTPSClient, client_context, https_curl, s_client, secret_yaml, served_fingerprint, tls_site,
)


def test_each_host_gets_the_certificate_of_its_secret_by_sni(start_http_backend, start_tls_ingress, write_config,
                                                              tls_material):
    m = tls_material
    _, config = tls_site(start_http_backend, m)
    daemon = start_tls_ingress(write_config(config), extra_args=DEFAULT_CERT_ARGS)
    address = daemon.https_address

    a = https_curl(address, "a.example", "/hello", ca=m.ca_path)
    b = https_curl(address, "b.example", "/hello", ca=m.ca_path)
    a_shake = s_client(address, servername="a.example", ca=m.ca_path)
    b_shake = s_client(address, servername="b.example", ca=m.ca_path)

    assert (a.returncode, a.status, a.json_backend()) == (0, 200, "alpha"), a.stderr
    assert (b.returncode, b.status, b.json_backend()) == (0, 200, "beta"), b.stderr
    assert "CN=a.example" in (a.server_subject or ""), a.stderr
    assert "CN=b.example" in (b.server_subject or ""), b.stderr
    assert a_shake.leaf_fingerprint == m.a_rsa.fingerprint, f"a.example (RSA) expected {m.a_rsa}\n{a_shake}"
    assert b_shake.leaf_fingerprint == m.b_ecdsa.fingerprint, f"b.example (ECDSA) expected {m.b_ecdsa}\n{b_shake}"
    assert a_shake.verify_code == 0 and b_shake.verify_code == 0, f"{a_shake}\n{b_shake}"
    # The keys really are of the two kinds: the server's signature says so.
    assert "RSA" in a_shake.stdout.split("Peer signature type:")[-1].splitlines()[0], a_shake
    assert "ECDSA" in b_shake.stdout.split("Peer signature type:")[-1].splitlines()[0], b_shake


def test_a_wildcard_certificate_serves_names_one_label_deep_with_its_intermediate(
        start_http_backend, start_tls_ingress, write_config, tls_material):
    m = tls_material
    _, config = tls_site(start_http_backend, m)
    daemon = start_tls_ingress(write_config(config), extra_args=DEFAULT_CERT_ARGS)
    address = daemon.https_address

    served = {name: served_fingerprint(address, name)
              for name in ("x.wild.example", "Other.Wild.Example", "deep.x.wild.example", "wild.example")}
    chain = s_client(address, servername="x.wild.example", ca=m.ca_path)
    # curl trusts only the root: this passes only when the intermediate is sent too.
    through = https_curl(address, "x.wild.example", "/w", ca=m.ca_path)

    assert served == {"x.wild.example": m.wildcard.fingerprint, "Other.Wild.Example": m.wildcard.fingerprint,
                      "deep.x.wild.example": m.fallback.fingerprint, "wild.example": m.fallback.fingerprint}
    assert len(chain.chain) == 2 and chain.verify_code == 0, chain
    assert (through.returncode, through.status, through.json_backend()) == (0, 200, "wild"), through.stderr


def test_no_sni_and_unknown_names_get_the_default_certificate(start_http_backend, start_tls_ingress, write_config,
                                                              tls_material):
    m = tls_material
    _, config = tls_site(start_http_backend, m)
    daemon = start_tls_ingress(write_config(config), extra_args=DEFAULT_CERT_ARGS)
    address = daemon.https_address

    no_sni = s_client(address)  # -noservername
    unknown = s_client(address, servername="unknown.example")
    by_ip = https_curl(address, "", "/", ca=None, resolve=False)  # curl sends no SNI for an IP
    untrusted_name = https_curl(address, "unknown.example", "/", ca=m.ca_path)
    unrouted = https_curl(address, "unknown.example", "/", ca=None)

    assert no_sni.leaf_fingerprint == m.fallback.fingerprint, no_sni
    assert unknown.leaf_fingerprint == m.fallback.fingerprint, unknown
    assert "CN=default.example" in (by_ip.server_subject or ""), by_ip.stderr
    # The default certificate does not name unknown.example: curl refuses it (exit 60) ...
    assert untrusted_name.returncode == 60, untrusted_name.stderr
    # ... and once told not to check, the request is routed as over HTTP: no rule, 404.
    assert (unrouted.returncode, unrouted.status) == (0, 404), unrouted.stderr


def test_without_a_default_certificate_a_self_signed_one_is_served(start_http_backend, start_tls_ingress, write_config,
                                                                   tls_material):
    m = tls_material
    _, config = tls_site(start_http_backend, m)
    daemon = start_tls_ingress(write_config(config))

    no_sni = s_client(daemon.https_address, ca=m.ca_path)
    again = s_client(daemon.https_address, servername="unknown.example")
    ours = s_client(daemon.https_address, servername="a.example")

    assert no_sni.chain, f"no certificate served without SNI:\n{no_sni}"
    assert no_sni.leaf_fingerprint not in {c.fingerprint for c in
                                           (m.a_rsa, m.b_ecdsa, m.wildcard, m.fallback)}, no_sni
    assert no_sni.subject == no_sni.issuer, f"not self-signed:\n{no_sni}"
    assert no_sni.verify_code not in (None, 0), f"our CA should not vouch for it:\n{no_sni}"
    assert again.leaf_fingerprint == no_sni.leaf_fingerprint, "one default certificate per daemon"
    assert ours.leaf_fingerprint == m.a_rsa.fingerprint, ours


def test_a_host_whose_secret_is_missing_is_served_with_the_default_certificate(
        start_http_backend, start_tls_ingress, write_config, tls_material):
    m = tls_material
    _, config = tls_site(start_http_backend, m, secrets={"a-tls": None})
    daemon = start_tls_ingress(write_config(config), extra_args=DEFAULT_CERT_ARGS)

    served = served_fingerprint(daemon.https_address, "a.example")
    answer = https_curl(daemon.https_address, "a.example", "/", ca=None)

    assert served == m.fallback.fingerprint
    assert served_fingerprint(daemon.https_address, "b.example") == m.b_ecdsa.fingerprint
    assert (answer.status, answer.json_backend()) == (200, "alpha"), answer.stderr


def test_secrets_of_another_type_are_not_used(start_http_backend, start_tls_ingress, write_config, tls_material):
    m = tls_material
    opaque = secret_yaml("a-tls", m.a_rsa, secret_type="Opaque")
    _, config = tls_site(start_http_backend, m, secrets={"a-tls": opaque})
    daemon = start_tls_ingress(write_config(config), extra_args=DEFAULT_CERT_ARGS)

    assert served_fingerprint(daemon.https_address, "a.example") == m.fallback.fingerprint


def test_only_tls_1_2_and_1_3_are_accepted_and_alpn_agrees_on_http_1_1(
        start_http_backend, start_tls_ingress, write_config, tls_material):
    m = tls_material
    _, config = tls_site(start_http_backend, m)
    daemon = start_tls_ingress(write_config(config), extra_args=DEFAULT_CERT_ARGS)
    address = daemon.https_address
    # SECLEVEL=0: this OpenSSL would otherwise refuse TLS 1.0/1.1 itself, and prove nothing.
    legacy = ("-cipher", "ALL@SECLEVEL=0")

    shakes = {version: s_client(address, f"-{version}", *(legacy if version in ("tls1", "tls1_1") else ()),
                                "-alpn", "h2,http/1.1", servername="a.example", ca=m.ca_path)
              for version in ("tls1", "tls1_1", "tls1_2", "tls1_3")}

    assert not shakes["tls1"].completed, shakes["tls1"]
    assert not shakes["tls1_1"].completed, shakes["tls1_1"]
    assert (shakes["tls1_2"].protocol, shakes["tls1_2"].alpn) == ("TLSv1.2", "http/1.1"), shakes["tls1_2"]
    assert (shakes["tls1_3"].protocol, shakes["tls1_3"].alpn) == ("TLSv1.3", "http/1.1"), shakes["tls1_3"]
    # Forward secrecy on TLS 1.2: an ECDHE suite.
    assert shakes["tls1_2"].cipher.startswith("ECDHE-"), shakes["tls1_2"]


def test_requests_reach_the_backend_marked_https_with_the_https_port(
        start_http_backend, start_tls_ingress, write_config, tls_material):
    m = tls_material
    backends, config = tls_site(start_http_backend, m)
    daemon = start_tls_ingress(write_config(config), extra_args=DEFAULT_CERT_ARGS)

    answer = https_curl(daemon.https_address, "a.example", "/x?q=1", "-H", "X-Forwarded-Proto: http",
                        "-H", "X-Forwarded-Port: 1", ca=m.ca_path)

    assert answer.status == 200, answer.stderr
    seen = json.loads(answer.body)

    def only(name):
        values = [v for n, v in seen["header_list"] if n.lower() == name.lower()]
        assert len(values) == 1, f"{name}: {values} in {seen['header_list']}"
        return values[0]

    assert seen["path"] == "/x?q=1"
    assert only("X-Forwarded-Proto") == "https"  # what the client sent is replaced
    assert only("X-Forwarded-Port") == str(daemon.https_port)
    assert only("Host") == f"a.example:{daemon.https_port}"
    assert only("X-Forwarded-Host") == f"a.example:{daemon.https_port}"  # the Host as sent, as ingress-nginx ($best_http_host)
    assert only("X-Real-IP") == "127.0.0.1"
    assert len(requests_seen(backends["alpha"])) == 1


def test_keep_alive_carries_several_requests_on_one_tls_connection(
        start_http_backend, start_tls_ingress, write_config, tls_material):
    m = tls_material
    _, config = tls_site(start_http_backend, m)
    daemon = start_tls_ingress(write_config(config), extra_args=DEFAULT_CERT_ARGS)
    upload = pattern_bytes(1 * MiB, seed=7)

    conn = http.client.HTTPSConnection("b.example", daemon.https_port, timeout=10,
                                       context=client_context(m.ca_path))
    # http.client resolves b.example itself: connect to loopback but keep SNI and Host.
    conn._create_connection = lambda address, *args, **kw: socket.create_connection(("127.0.0.1", address[1]),
                                                                                      *args, **kw)
    answers = []
    try:
        conn.request("GET", "/first")
        first = conn.getresponse()
        answers.append((first.status, json.loads(first.read())))
        sock = conn.sock
        for i in range(4):
            conn.request("GET", f"/more/{i}")
            response = conn.getresponse()
            answers.append((response.status, json.loads(response.read())))
            assert conn.sock is sock, "http.client had to reconnect: the daemon closed the connection"
        conn.request("POST", "/upload", body=upload, headers={"Content-Type": "application/octet-stream"})
        posted = conn.getresponse()
        answers.append((posted.status, json.loads(posted.read())))
        assert conn.sock is sock, "http.client had to reconnect after the upload"
        version, alpn = sock.version(), sock.selected_alpn_protocol()
    finally:
        conn.close()

    assert [status for status, _ in answers] == [200] * 6
    assert [seen["backend"] for _, seen in answers] == ["beta"] * 6
    assert [seen["path"] for _, seen in answers] == ["/first"] + [f"/more/{i}" for i in range(4)] + ["/upload"]
    assert (answers[-1][1]["body_length"], answers[-1][1]["body_sha256"]) == (
        len(upload), hashlib.sha256(upload).hexdigest())
    assert (version, alpn) == ("TLSv1.3", "http/1.1")


def test_a_large_response_over_tls_arrives_intact(start_http_backend, start_tls_ingress, write_config, tls_material):
    m = tls_material
    backends, config = tls_site(start_http_backend, m)
    daemon = start_tls_ingress(write_config(config), extra_args=DEFAULT_CERT_ARGS)
    size = 16 * MiB

    with HTTPSClient(daemon.https_address, "a.example", client_context(m.ca_path), timeout=30) as client:
        streamed = client.request("GET", "/bulk", "a.example", [("X-Mode", "stream"), ("X-Bytes", str(size))],
                                  keep_body=False)
        after = client.get("/after", "a.example")

    sent = next(r for r in requests_seen(backends["alpha"]) if r["path"] == "/bulk")
    assert streamed.status == 200
    assert (streamed.body_length, streamed.body_sha256) == (size, sent["response_sha256"])
    assert (after.status, after.backend) == (200, "alpha")


def test_a_burst_of_handshakes_is_paced_and_every_connection_is_served(start_http_backend, start_tls_ingress,
                                                                        write_config, tls_material):
    m = tls_material
    _, config = tls_site(start_http_backend, m)
    daemon = start_tls_ingress(write_config(config), extra_args=DEFAULT_CERT_ARGS)
    context = client_context(m.ca_path)
    # Every connection first, then every ClientHello back to back, faster than the daemon
    # makes RSA-2048 signatures (a.example, hundreds of microseconds each): the ClientHellos
    # pile up, and those beyond a turn's millisecond of handshakes wait for later turns.
    raws = [socket.create_connection(daemon.https_address, timeout=10) for _ in range(100)]
    clients = [context.wrap_socket(raw, server_hostname="a.example", do_handshake_on_connect=False) for raw in raws]
    try:
        pending = set()
        for client in clients:
            client.setblocking(False)
            try:
                client.do_handshake()
            except ssl.SSLWantReadError:
                pending.add(client)
        deadline = Deadline(30)
        while pending:
            assert not deadline.expired(), f"{len(pending)} handshakes did not finish"
            readable, _, _ = select.select(list(pending), [], [], deadline.remaining())
            for client in readable:
                try:
                    client.do_handshake()
                    pending.discard(client)
                except ssl.SSLWantReadError:
                    pass
        for client in clients:
            client.settimeout(10)
            client.sendall(b"GET /hello HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n")
        answers = []
        for client in clients:
            answer = b""
            while chunk := client.recv(65536):
                answer += chunk
            answers.append(answer)
        assert all(answer.startswith(b"HTTP/1.1 200 ") and b"alpha" in answer for answer in answers), answers
        paced = series(scrape(daemon), "svcproxy_ingress_tls_handshakes_paced_total")
        assert paced and paced > 0, paced
    finally:
        for client in clients:
            client.close()
