"""The API source over TLS, against the test API server (harness/kubeapi.py) with
certificates made by the openssl CLI (harness/tls.py): the server verified against the
kubeconfig's CA and its tls-server-name, a bearer token or a client certificate; a wrong CA
fails with OpenSSL's reason in the log and no READY=1."""

from __future__ import annotations

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
