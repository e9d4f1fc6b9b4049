"""Plain HTTP for TLS hosts: with `svcproxy.io/ssl-redirect: "true"` (or ingress-nginx's
`nginx.ingress.kubernetes.io/ssl-redirect: "true"`) a request for one of that Ingress's TLS
hosts is answered 308 with `Location: https://host[:port]/path?query` (no port for 443);
without it, plain HTTP keeps serving those hosts."""

import socket

import pytest

from harness import pick_port
from harness.http_backend import requests_seen
from harness.ingress import HTTPClient, get, ingress_bind_args
from harness.tls import DEFAULT_CERT_ARGS, https_bind_args, https_curl, tls_site

REDIRECT = {"svcproxy.io/ssl-redirect": "true"}


def test_the_redirect_annotation_sends_plain_http_for_tls_hosts_to_https(
        start_http_backend, start_tls_ingress, write_config, tls_material):
    m = tls_material
    backends, config = tls_site(start_http_backend, m, annotations=REDIRECT)
    daemon = start_tls_ingress(write_config(config), extra_args=DEFAULT_CERT_ARGS)
    http = daemon.ingress_address
    port = daemon.https_port

    with HTTPClient(http) as client:
        page = client.get("/shop/cart?item=42&x=%2F", f"a.example:{daemon.ingress_port}")
        posted = client.request("POST", "/form", "B.Example", body=b"field=1")
    wild = get(http, "/", "x.wild.example")
    plain = get(http, "/p", "plain.example")  # in the same Ingress, not a TLS host
    secure = https_curl(daemon.https_address, "a.example", "/shop/cart", ca=m.ca_path)

    assert (page.status, page.header("Location")) == (308, f"https://a.example:{port}/shop/cart?item=42&x=%2F"), page
    assert posted.status == 308, posted
    assert posted.header("Location").lower() == f"https://b.example:{port}/form", posted
    assert (wild.status, wild.header("Location")) == (308, f"https://x.wild.example:{port}/"), wild
    assert (plain.status, plain.backend) == (200, "alpha"), plain
    assert plain.json["headers"]["x-forwarded-proto"] == "http"
    assert (secure.status, secure.json_backend()) == (200, "alpha"), "HTTPS itself is not redirected"
    redirected = {"/shop/cart?item=42&x=%2F", "/form"}
    assert not [r for b in backends.values() for r in requests_seen(b) if r["path"] in redirected], \
        "a redirected request reached a backend"


def test_the_ingress_nginx_annotation_redirects_too(start_http_backend, start_tls_ingress, write_config, tls_material):
    _, config = tls_site(start_http_backend, tls_material,
                         annotations={"nginx.ingress.kubernetes.io/ssl-redirect": "true"})
    daemon = start_tls_ingress(write_config(config), extra_args=DEFAULT_CERT_ARGS)

    answer = get(daemon.ingress_address, "/a?b=c", "a.example")

    assert (answer.status, answer.header("Location")) == (308, f"https://a.example:{daemon.https_port}/a?b=c")


@pytest.mark.parametrize("annotations", [None, {"svcproxy.io/ssl-redirect": "false"}], ids=["absent", "false"])
def test_without_the_annotation_plain_http_keeps_serving_tls_hosts(
        start_http_backend, start_tls_ingress, write_config, tls_material, annotations):
    _, config = tls_site(start_http_backend, tls_material, annotations=annotations)
    daemon = start_tls_ingress(write_config(config), extra_args=DEFAULT_CERT_ARGS)

    answers = {host: get(daemon.ingress_address, "/x", host) for host in ("a.example", "b.example", "x.wild.example")}

    assert {host: (a.status, a.backend) for host, a in answers.items()} == {
        "a.example": (200, "alpha"), "b.example": (200, "beta"), "x.wild.example": (200, "wild")}
    assert {a.json["headers"]["x-forwarded-proto"] for a in answers.values()} == {"http"}


def test_the_redirect_leaves_out_port_443(start_http_backend, start_daemon, write_config, tls_material):
    # A loopback address of its own, so that port 443 is ours if anything's.
    ip = "127.44.%d.%d" % (pick_port(("127.0.0.1",)) % 250 + 1, 43)
    probe = socket.socket()
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((ip, 443))
    except OSError as error:
        pytest.skip(f"cannot bind {ip}:443 here: {error}")
    finally:
        probe.close()
    _, config = tls_site(start_http_backend, tls_material, annotations=REDIRECT)
    http_port = pick_port(("127.0.0.1",))
    start_daemon(write_config(config), extra_args=(*ingress_bind_args(http_port), *https_bind_args(443, ip),
                                                   *DEFAULT_CERT_ARGS))

    answer = get(("127.0.0.1", http_port), "/deep/path?q=1", "a.example")
    secure = https_curl((ip, 443), "a.example", "/", ca=tls_material.ca_path)

    assert (answer.status, answer.header("Location")) == (308, "https://a.example/deep/path?q=1")
    assert (secure.status, secure.json_backend()) == (200, "alpha"), secure.stderr
