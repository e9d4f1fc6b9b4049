"""TLS sessions and their bounds, seen from outside: a session resumes by ticket whichever
worker accepts the next connection, a client that connects and never finishes its handshake
is closed after `--ingress-tls-handshake-timeout`, and the handshakes, resumptions and
certificate expiry dates show on /metrics and in `svcproxy status`."""

import re
import socket
import time

from harness.admin import scrape, series
from harness.ingress import run_status
from harness.tls import (
    DEFAULT_CERT_ARGS, close_request, s_client, served_fingerprint, tls_site, wait_closed_silent,
)

RESUMED_CONNECTIONS = 20


def resume_many(address, session_file, host: str, version: str, count: int):
    """One full handshake writing its session to `session_file`, then `count` connections
    offering it; returns (first handshake, [each later one])."""
    request = close_request(host)
    first = s_client(address, f"-{version}", "-sess_out", str(session_file), servername=host, send=request,
                     wait_for_close=True)
    later = [s_client(address, f"-{version}", "-sess_in", str(session_file), servername=host, send=request,
                      wait_for_close=True) for _ in range(count)]
    return first, later


def test_sessions_resume_by_ticket_whichever_worker_accepts(start_http_backend, start_tls_ingress, write_config,
                                                            tls_material, tmp_path):
    m = tls_material
    _, config = tls_site(start_http_backend, m)
    daemon = start_tls_ingress(write_config(config), extra_args=DEFAULT_CERT_ARGS, workers=2)

    first13, later13 = resume_many(daemon.https_address, tmp_path / "tls13.session", "a.example", "tls1_3",
                                   RESUMED_CONNECTIONS)
    first12, later12 = resume_many(daemon.https_address, tmp_path / "tls12.session", "b.example", "tls1_2",
                                   RESUMED_CONNECTIONS // 2)

    assert first13.completed and not first13.reused, first13
    assert first12.completed and not first12.reused, first12
    not_reused = [str(h) for h in later13 + later12 if not h.reused]
    assert not not_reused, f"{len(not_reused)} of {len(later13) + len(later12)} not resumed; first:\n{not_reused[0]}"
    assert {h.protocol for h in later13} == {"TLSv1.3"} and {h.protocol for h in later12} == {"TLSv1.2"}
    # Each resumed connection carried its request to the backend.
    assert all('"backend": "alpha"' in h.stdout for h in later13), later13[0]
    assert all('"backend": "beta"' in h.stdout for h in later12), later12[0]


def test_a_session_is_not_resumed_for_another_host(start_http_backend, start_tls_ingress, write_config,
                                                   tls_material, tmp_path):
    m = tls_material
    _, config = tls_site(start_http_backend, m)
    daemon = start_tls_ingress(write_config(config), extra_args=DEFAULT_CERT_ARGS)
    session = tmp_path / "a.session"

    s_client(daemon.https_address, "-sess_out", str(session), servername="a.example",
             send=close_request("a.example"), wait_for_close=True)
    elsewhere = s_client(daemon.https_address, "-sess_in", str(session), servername="b.example",
                         send=close_request("b.example"), wait_for_close=True)

    # OpenSSL's client itself does not offer a session to another name; what matters is that
    # b.example is answered with b.example's certificate.
    assert not elsewhere.reused, elsewhere
    assert elsewhere.leaf_fingerprint == m.b_ecdsa.fingerprint, elsewhere


def test_a_client_that_sends_nothing_is_closed_after_the_handshake_timeout(
        start_http_backend, start_tls_ingress, write_config, tls_material):
    m = tls_material
    _, config = tls_site(start_http_backend, m)
    daemon = start_tls_ingress(write_config(config), extra_args=(*DEFAULT_CERT_ARGS,
                                                                 "--ingress-tls-handshake-timeout", "1s"))

    silent, _ = wait_closed_silent(daemon.https_address, timeout=8)
    # Half a ClientHello (a record header promising 512 bytes, and 5 of them) is no better.
    with socket.create_connection(daemon.https_address, timeout=8) as partial:
        partial.sendall(b"\x16\x03\x01\x02\x00" + b"\x01\x00\x01\xfc\x03")
        try:
            ended = "eof" if partial.recv(4096) in (b"",) else "alert or data"
        except ConnectionResetError:
            ended = "reset"
        except (socket.timeout, TimeoutError):
            ended = "timeout"
    working = served_fingerprint(daemon.https_address, "a.example")

    assert silent in ("eof", "reset"), f"a silent client: {silent}"
    assert ended in ("eof", "reset", "alert or data"), f"half a ClientHello: {ended}"
    assert working == m.a_rsa.fingerprint


def test_metrics_count_handshakes_resumptions_and_certificate_expiry(
        start_http_backend, start_tls_ingress, write_config, tls_material, tmp_path):
    m = tls_material
    _, config = tls_site(start_http_backend, m)
    daemon = start_tls_ingress(write_config(config), extra_args=DEFAULT_CERT_ARGS)
    address = daemon.https_address

    full13 = [s_client(address, "-tls1_3", servername="a.example") for _ in range(3)]
    full12 = [s_client(address, "-tls1_2", servername="b.example") for _ in range(2)]
    first, resumed = resume_many(address, tmp_path / "s", "a.example", "tls1_3", 2)
    refused = s_client(address, "-tls1", "-cipher", "ALL@SECLEVEL=0", servername="a.example")
    assert all(h.completed for h in full13 + full12 + [first]) and all(h.reused for h in resumed)
    assert not refused.completed

    def version_of(labels) -> str:
        return re.sub(r"[^0-9]", "", dict(labels).get("version", ""))

    def succeeded(labels) -> bool:
        return dict(labels).get("result", "") in ("success", "ok", "completed")

    # A refused handshake may be counted a moment after the client has gone: wait for it.
    deadline = time.monotonic() + 5
    while True:
        samples = scrape(daemon)
        handshakes = {labels: value for (name, labels), value in samples.items()
                      if name == "svcproxy_ingress_tls_handshakes_total"}
        failed = sum(v for labels, v in handshakes.items() if not succeeded(labels))
        if failed >= 1 or time.monotonic() > deadline:
            break
        time.sleep(0.1)

    ok13 = sum(v for labels, v in handshakes.items() if succeeded(labels) and version_of(labels) == "13")
    ok12 = sum(v for labels, v in handshakes.items() if succeeded(labels) and version_of(labels) == "12")
    assert ok13 in (4, 6), f"3 full + 1 session-making + 2 resumed TLS 1.3 handshakes: {handshakes}"
    assert ok12 == 2, handshakes
    assert failed >= 1, f"the TLS 1.0 attempt is not counted as failed: {handshakes}"
    assert sum(v for (name, _), v in samples.items() if name == "svcproxy_ingress_tls_resumptions_total") == 2
    expiry = "svcproxy_ingress_certificate_expiry_timestamp_seconds"
    assert series(samples, expiry, namespace="default", secret="a-tls") == m.a_rsa.not_after
    assert series(samples, expiry, namespace="default", secret="b-tls") == m.b_ecdsa.not_after
    assert series(samples, expiry, namespace="default", secret="wild-tls") == m.wildcard.not_after


def test_status_lists_each_served_certificate_with_its_hosts_and_expiry(
        start_http_backend, start_tls_ingress, write_config, tls_material):
    m = tls_material
    _, config = tls_site(start_http_backend, m)
    daemon = start_tls_ingress(write_config(config), extra_args=DEFAULT_CERT_ARGS)

    result = run_status(daemon)

    assert result.returncode == 0, result.stderr
    out = result.stdout
    for secret, host, cert in (("a-tls", "a.example", m.a_rsa), ("b-tls", "b.example", m.b_ecdsa),
                               ("wild-tls", "*.wild.example", m.wildcard)):
        lines = [line for line in out.splitlines() if secret in line]
        assert lines, f"no line for Secret {secret} in:\n{out}"
        block = out[out.index(lines[0]):][:600]  # the certificate's line and what follows it
        expiry = time.gmtime(cert.not_after)
        spelled = {time.strftime("%Y-%m-%d", expiry), time.strftime("%b %d %Y", expiry),
                   time.strftime("%b %e %Y", expiry), str(cert.not_after)}
        assert host in block, f"{host} not listed with {secret}:\n{out}"
        assert any(s in block for s in spelled), f"no expiry ({sorted(spelled)}) with {secret}:\n{out}"
