"""Ingress TLS from the API: the TLS Secrets an Ingress names come through the API source's
Secret watch, which asks the server for `type=kubernetes.io/tls` only (other Secrets never
reach the node), and a Secret replaced through the client is served at the next handshake.
Against the test API server (harness/kubeapi.py), driven by the official `kubernetes` client.
"""

from __future__ import annotations

import pytest

kubernetes = pytest.importorskip("kubernetes")

from harness import pick_cluster_ip, pick_port, poll_until  # noqa: E402
from harness.admin import scrape, series  # noqa: E402
from harness.ingress import CONTROLLER, host_rule, path_rule  # noqa: E402
from harness.kubeapi import create_web  # noqa: E402
from harness.tls import b64, https_curl, served_fingerprint  # noqa: E402
from test_api_source import api_server  # noqa: E402,F401  (a fixture, used by name)


def tls_secret(name: str, certificate) -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "default"},
            "type": "kubernetes.io/tls", "data": {"tls.crt": b64(certificate.chain_pem), "tls.key": b64(certificate.key_pem)}}


def test_an_ingress_serves_the_tls_secret_from_the_api_and_its_replacement(
        api_server, start_tls_ingress, start_http_backend, tls_material, tmp_path):
    m = tls_material
    api = api_server.client()
    create_web(api, start_http_backend("alpha"), pick_cluster_ip(), pick_port())
    core = kubernetes.client.CoreV1Api(api)
    core.create_namespaced_secret("default", tls_secret("site-tls", m.a_rsa))
    # Not a TLS Secret: the server filters it out of the list and the watch.
    core.create_namespaced_secret("default", {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                                              "metadata": {"name": "password", "namespace": "default"},
                                              "data": {"password": b64(b"hunter2")}})
    networking = kubernetes.client.NetworkingV1Api(api)
    networking.create_ingress_class({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
                                     "metadata": {"name": "svcproxy"}, "spec": {"controller": CONTROLLER}})
    networking.create_namespaced_ingress("default", {
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "site", "namespace": "default"},
        "spec": {"ingressClassName": "svcproxy", "tls": [{"hosts": ["a.example"], "secretName": "site-tls"}],
                 "rules": [host_rule("a.example", path_rule("/", "web"))]}})
    daemon = start_tls_ingress([], extra_args=("--kubeconfig", api_server.kubeconfig(tmp_path / "kubeconfig"),
                                               "--min-sync-period", "200ms"))

    response = https_curl(daemon.https_address, "a.example", "/hello", ca=m.ca_path)
    assert (response.returncode, response.status, response.json_backend()) == (0, 200, "alpha"), response.stderr
    assert served_fingerprint(daemon.https_address, "a.example") == m.a_rsa.fingerprint
    assert series(scrape(daemon), "svcproxy_api_events_total", kind="Secret", type="LISTED") == 1

    core.replace_namespaced_secret("site-tls", "default", tls_secret("site-tls", m.a_rsa_renewed))
    assert poll_until(lambda: served_fingerprint(daemon.https_address, "a.example") == m.a_rsa_renewed.fingerprint, 10), \
        "the replaced Secret is not served"
    assert series(scrape(daemon), "svcproxy_api_events_total", kind="Secret", type="MODIFIED") == 1
