"""Ingress TLS on reload (SIGHUP after the configuration is rewritten): a replaced
certificate is served from the next handshake while a download begun over TLS before the
reload runs to its end; a Secret that appears takes over from the default certificate; the
HTTPS listener is open exactly while an Ingress of ours has `spec.tls`."""

import threading

from harness import MiB, poll_until
from harness.http_backend import requests_seen
from harness.ingress import host_rule, http_services, ingress_yaml, join_yaml, listening, path_rule
from harness.tls import (
    DEFAULT_CERT_ARGS, HTTPSClient, client_context, https_curl, secret_yaml, served_fingerprint, tls_ingress_yaml,
    tls_site,
)


def test_a_replaced_certificate_serves_the_next_handshake_while_an_open_download_finishes(
        start_http_backend, start_tls_ingress, write_config, tls_material):
    m = tls_material
    backends, config_text = tls_site(start_http_backend, m)
    config = write_config(config_text)
    daemon = start_tls_ingress(config, extra_args=DEFAULT_CERT_ARGS, workers=2)
    size = 32 * MiB
    reloaded = threading.Event()
    results = {}

    def download():
        try:
            with HTTPSClient(daemon.https_address, "a.example", client_context(m.ca_path), timeout=30) as client:
                results["peer"] = client.peer_fingerprint
                # The body is read only once the reload is done: the response is mid-way then.
                results["bulk"] = client.request("GET", "/bulk", "a.example",
                                                 [("X-Mode", "stream"), ("X-Bytes", str(size))], keep_body=False,
                                                 on_head=lambda _: reloaded.wait(20))
        except Exception as error:  # reported by the assertions below
            results["error"] = error

    thread = threading.Thread(target=download)
    thread.start()
    arrived = poll_until(lambda: any(r["path"] == "/bulk" for r in requests_seen(backends["alpha"])), timeout=10)
    before = served_fingerprint(daemon.https_address, "a.example")
    if arrived:
        config.write_text(rewrite_secret(config_text, "a-tls", secret_yaml("a-tls", m.a_rsa_renewed)))
        daemon.reload()
    after = [served_fingerprint(daemon.https_address, "a.example") for _ in range(4)]  # both workers, likely
    reloaded.set()
    thread.join(timeout=60)

    assert arrived, f"the download never reached the backend: {results}"
    assert "error" not in results, results["error"]
    sent = next(r for r in requests_seen(backends["alpha"]) if r["path"] == "/bulk")
    assert results["peer"] == before == m.a_rsa.fingerprint
    assert results["bulk"].status == 200
    assert (results["bulk"].body_length, results["bulk"].body_sha256) == (size, sent["response_sha256"])
    assert after == [m.a_rsa_renewed.fingerprint] * 4, f"expected {m.a_rsa_renewed}, got {after}"
    assert served_fingerprint(daemon.https_address, "b.example") == m.b_ecdsa.fingerprint
    renewed = https_curl(daemon.https_address, "a.example", "/again", ca=m.ca_path)
    assert (renewed.status, renewed.json_backend()) == (200, "alpha"), renewed.stderr


def rewrite_secret(config_text: str, name: str, new_secret_yaml: str) -> str:
    """`config_text` with Secret `name`'s document replaced by `new_secret_yaml`."""
    documents = config_text.split("---\n")
    marker = f'kind: "Secret"\nmetadata:\n  name: "{name}"\n'
    replaced = [new_secret_yaml if marker in doc else doc for doc in documents]
    assert replaced != documents, f"no Secret {name} in the configuration"
    return "---\n".join(replaced)


def test_a_secret_that_appears_on_reload_takes_over_from_the_default_certificate(
        start_http_backend, start_tls_ingress, write_config, tls_material):
    m = tls_material
    _, without = tls_site(start_http_backend, m, secrets={"a-tls": None})
    config = write_config(without)
    daemon = start_tls_ingress(config, extra_args=DEFAULT_CERT_ARGS)
    before = served_fingerprint(daemon.https_address, "a.example")

    config.write_text(join_yaml(without, secret_yaml("a-tls", m.a_rsa)))
    daemon.reload()

    assert before == m.fallback.fingerprint
    assert served_fingerprint(daemon.https_address, "a.example") == m.a_rsa.fingerprint


def test_the_https_listener_is_open_only_while_an_ingress_of_ours_has_tls(
        start_http_backend, start_tls_ingress, write_config, tls_material):
    m = tls_material
    _, services = http_services(start_http_backend, "web")
    secret = secret_yaml("a-tls", m.a_rsa)
    rules = [host_rule("a.example", path_rule("/", "web"))]
    plain = join_yaml(services, secret, ingress_yaml("site", rules=rules))
    with_tls = join_yaml(services, secret, tls_ingress_yaml("site", rules=rules, tls=[(["a.example"], "a-tls")]))
    not_ours = join_yaml(services, secret, tls_ingress_yaml("site", rules=rules, tls=[(["a.example"], "a-tls")],
                                                            class_name="someone-else"))
    config = write_config(plain)
    daemon = start_tls_ingress(config)
    https, http = daemon.https_address, daemon.ingress_address
    states = {"an Ingress without tls": (listening(http), listening(https))}

    config.write_text(with_tls)
    daemon.reload()
    states["an Ingress of ours with tls"] = (listening(http), listening(https))
    served = served_fingerprint(https, "a.example")

    config.write_text(not_ours)
    daemon.reload()
    states["only another class's Ingress has tls"] = (listening(http), listening(https))

    config.write_text(plain)
    daemon.reload()
    states["tls removed again"] = (listening(http), listening(https))

    assert states == {"an Ingress without tls": (True, False), "an Ingress of ours with tls": (True, True),
                      "only another class's Ingress has tls": (False, False), "tls removed again": (True, False)}
    assert served == m.a_rsa.fingerprint
