"""The API source over TLS, against the test API server (harness/kubeapi.py) with
certificates made by the openssl CLI (harness/tls.py): the server verified against the
kubeconfig's CA and its tls-server-name, a bearer token or a client certificate; a wrong CA
fails with OpenSSL's reason in the log and no READY=1. A server URL naming its host
(`https://localhost:PORT`) is resolved, the name sent as SNI and checked against the
certificate's DNS names; a URL with an address is checked against its IP names; a
certificate for other names fails naming the host and the names the certificate has."""

from __future__ import annotations

import json

import pytest

kubernetes = pytest.importorskip("kubernetes")

from harness import DaemonError, ask_name, identify, pick_cluster_ip, pick_port  # noqa: E402
from harness.kubeapi import KubeAPIServer, create_web  # noqa: E402


@pytest.fixture(scope="module")
def client_certificate(tls_material):
    return tls_material.issue("api-client", ["svcproxy-node"], "ecdsa", extended_usage="clientAuth")


def serve_one_service(server: KubeAPIServer, ca: str, backend, certificate=None) -> int:
    node_port = pick_port()
    create_web(server.client(ca=ca, certificate=certificate), backend, pick_cluster_ip(), node_port)
    return node_port


def test_tls_with_the_kubeconfigs_ca_and_a_bearer_token(tls_material, start_daemon, start_backend, tmp_path):
    leaf = tls_material.a_rsa
    server = KubeAPIServer(tls=(str(leaf.cert_path), str(leaf.key_path)), server_name="a.example")
    try:
        backend = start_backend(identify, name="one")
        node_port = serve_one_service(server, str(tls_material.ca_path), backend)
        kubeconfig = server.kubeconfig(tmp_path / "kubeconfig", ca=str(tls_material.ca_path))
        start_daemon([], extra_args=("--kubeconfig", kubeconfig))
        assert ask_name(("127.0.0.1", node_port)) == "one"
    finally:
        server.stop()


def test_tls_with_a_client_certificate(tls_material, client_certificate, start_daemon, start_backend, tmp_path):
    leaf = tls_material.a_rsa
    server = KubeAPIServer(token=None, tls=(str(leaf.cert_path), str(leaf.key_path)), client_ca=str(tls_material.ca_path),
                           server_name="a.example")
    certificate = (str(client_certificate.cert_path), str(client_certificate.key_path))
    try:
        backend = start_backend(identify, name="one")
        node_port = serve_one_service(server, str(tls_material.ca_path), backend, certificate)
        kubeconfig = server.kubeconfig(tmp_path / "kubeconfig", ca=str(tls_material.ca_path), certificate=certificate)
        start_daemon([], extra_args=("--kubeconfig", kubeconfig))
        assert ask_name(("127.0.0.1", node_port)) == "one"
    finally:
        server.stop()


def test_a_wrong_ca_fails_with_a_clear_error(tls_material, client_certificate, start_daemon, tmp_path):
    leaf = tls_material.a_rsa
    server = KubeAPIServer(tls=(str(leaf.cert_path), str(leaf.key_path)), server_name="a.example")
    try:
        # A CA that did not sign the server's certificate: the client certificate's own file.
        kubeconfig = server.kubeconfig(tmp_path / "kubeconfig", ca=str(client_certificate.cert_path))
        with pytest.raises(DaemonError) as failure:
            start_daemon([], extra_args=("--kubeconfig", kubeconfig))
        assert "no READY=1" in str(failure.value)
        assert "certificate verify failed" in str(failure.value)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def localhost_certificate(tls_material):
    return tls_material.issue("api-localhost", ["localhost"])


@pytest.fixture(scope="module")
def loopback_address_certificate(tls_material):
    return tls_material.issue("api-loopback-ip", ["127.0.0.1"])


def kubeconfig_for(server: KubeAPIServer, path, url: str, ca: str) -> str:
    """A kubeconfig naming `url` with no tls-server-name: the URL's host is what is checked
    (the server's `server_name` is only for the test's own client)."""
    server.kubeconfig(path, server=url, ca=ca)
    config = json.loads(path.read_text())
    config["clusters"][0]["cluster"].pop("tls-server-name", None)
    path.write_text(json.dumps(config))
    return str(path)


def names_sent_serving_through(host: str, leaf, tls_material, start_daemon, start_backend, tmp_path) -> list:
    """Serves one Service from a TLS API server with certificate `leaf`, written in the
    kubeconfig as https://`host`:PORT; the SNI of each handshake the server saw."""
    server = KubeAPIServer(tls=(str(leaf.cert_path), str(leaf.key_path)), server_name=host)
    try:
        backend = start_backend(identify, name="one")
        node_port = serve_one_service(server, str(tls_material.ca_path), backend)
        kubeconfig = kubeconfig_for(server, tmp_path / "kubeconfig", f"https://{host}:{server.port}", str(tls_material.ca_path))
        start_daemon([], extra_args=("--kubeconfig", kubeconfig))
        assert ask_name(("127.0.0.1", node_port)) == "one"
        return list(server.server_names)
    finally:
        server.stop()


def test_a_server_named_by_host_name_is_resolved_and_its_certificate_checked_for_the_name(
        tls_material, localhost_certificate, start_daemon, start_backend, tmp_path):
    names = names_sent_serving_through("localhost", localhost_certificate, tls_material, start_daemon, start_backend, tmp_path)
    assert names.count("localhost") >= 7, f"svcproxy's handshakes did not send the name: {names}"


def test_a_server_written_as_an_address_is_checked_against_the_certificates_ip_names(
        tls_material, loopback_address_certificate, start_daemon, start_backend, tmp_path):
    names = names_sent_serving_through("127.0.0.1", loopback_address_certificate, tls_material, start_daemon, start_backend, tmp_path)
    assert names and all(name is None for name in names), f"an address must not be sent as SNI: {names}"


@pytest.mark.parametrize("url_host, mismatch", [("localhost", "hostname mismatch"), ("127.0.0.1", "IP address mismatch")])
def test_a_certificate_for_other_names_fails_naming_the_host_and_the_certificates_names(
        tls_material, start_daemon, tmp_path, url_host, mismatch):
    leaf = tls_material.a_rsa       # DNS:a.example only
    server = KubeAPIServer(tls=(str(leaf.cert_path), str(leaf.key_path)), server_name="a.example")
    try:
        kubeconfig = kubeconfig_for(server, tmp_path / "kubeconfig", f"https://{url_host}:{server.port}", str(tls_material.ca_path))
        with pytest.raises(DaemonError) as failure:
            start_daemon([], extra_args=("--kubeconfig", kubeconfig))
        log = str(failure.value)
        assert "no READY=1" in log
        assert f"TLS with {url_host}:{server.port} (verifying the name {url_host}) failed" in log
        assert f"({mismatch}: the certificate is for DNS:a.example)" in log
    finally:
        server.stop()
