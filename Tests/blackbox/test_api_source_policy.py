"""NetworkPolicy from the Kubernetes API, with the Pods it needs, against the test API server
(harness/kubeapi.py) driven by the official `kubernetes` Python client.

Service "web" has two endpoints, Pods web-0 and web-1 (app: web), both at 127.0.0.1 on ports
of their own, named by their EndpointSlices' targetRefs. Client Pods sit at addresses of
their own on 127.x, and a client connects from its pod's address. Pods are watched only
while a NetworkPolicy exists: the first policy starts their watch and the apply that first
enforces it waits for their first list; the last policy stops the watch and drops them.
"""

from __future__ import annotations

import pytest

kubernetes = pytest.importorskip("kubernetes")

from harness import identify, pick_cluster_ip, pick_port, poll_until  # noqa: E402
from harness.admin import health  # noqa: E402
from harness.kubeapi import ALWAYS_WATCHED, PODS, KubeAPIServer, pod_body, service_body  # noqa: E402
from harness.node import name_from  # noqa: E402

FRONT, OTHER, VISITOR, STRANGER = "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"
SYNC = 0.2          # --min-sync-period
WITHIN = SYNC + 10  # a change shows within min-sync-period and a bit, with room for a loaded machine


@pytest.fixture
def api_server():
    server = KubeAPIServer()
    yield server
    server.stop()


class Cluster:
    """Service web and its endpoint Pods web-0 and web-1, client Pods front (role: frontend) and
    other (role: other) in namespace default, created through the client."""

    def __init__(self, api_server: KubeAPIServer, start_backend):
        api = api_server.client()
        self.core = kubernetes.client.CoreV1Api(api)
        self.networking = kubernetes.client.NetworkingV1Api(api)
        discovery = kubernetes.client.DiscoveryV1Api(api)
        self.node_port = pick_port()
        self.core.create_namespaced_service("default", service_body("web", pick_cluster_ip(), self.node_port))
        for name in ("web-0", "web-1"):
            backend = start_backend(identify, name=name)
            self.core.create_namespaced_pod("default", pod_body(name, "127.0.0.1", {"app": "web"}, {"http": backend.port}))
            discovery.create_namespaced_endpoint_slice("default", {
                "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
                "metadata": {"name": name, "namespace": "default", "labels": {"kubernetes.io/service-name": "web"}},
                "endpoints": [{"addresses": ["127.0.0.1"], "conditions": {"ready": True},
                               "targetRef": {"kind": "Pod", "namespace": "default", "name": name}}],
                "ports": [{"name": "http", "protocol": "TCP", "port": backend.port}]})
        self.core.create_namespaced_pod("default", pod_body("front", FRONT, {"role": "frontend"}))
        self.core.create_namespaced_pod("default", pod_body("other", OTHER, {"role": "other"}))

    def create_policy(self, name: str, peers: list[dict]) -> None:
        """A policy isolating the web pods, admitting `peers` on every port."""
        self.networking.create_namespaced_network_policy("default", {
            "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name, "namespace": "default"},
            "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"], "ingress": [{"from": peers}]}})

    def answers(self, client: str, count: int = 4) -> set[str]:
        """What `count` connections from `client` got: backend names, or "reset"."""
        return {name_from(client, ("127.0.0.1", self.node_port)) for _ in range(count)}

    def admitted(self, client: str) -> bool:
        return self.answers(client) == {"web-0", "web-1"}

    def refused(self, client: str) -> bool:
        return self.answers(client) == {"reset"}


FROM_FRONTEND = [{"podSelector": {"matchLabels": {"role": "frontend"}}}]


def start(start_daemon, api_server, tmp_path):
    kubeconfig = api_server.kubeconfig(tmp_path / "kubeconfig")
    return start_daemon([], extra_args=("--kubeconfig", kubeconfig, "--min-sync-period", f"{int(SYNC * 1000)}ms"))


def test_a_policy_admits_clients_by_the_labels_of_pods_from_the_api(api_server, start_daemon, start_backend, tmp_path):
    cluster = Cluster(api_server, start_backend)
    cluster.create_policy("web-from-frontend", FROM_FRONTEND)
    daemon = start(start_daemon, api_server, tmp_path)     # READY=1 after the Pods' first list too
    assert api_server.lists[PODS] == 1
    assert cluster.admitted(FRONT)
    assert cluster.refused(OTHER)
    assert cluster.refused(STRANGER), "an address of no pod is no frontend"
    assert "Watching /api/v1/pods" in daemon.log_text()


def test_a_pods_labels_changed_through_the_client_flip_its_admission(api_server, start_daemon, start_backend, tmp_path):
    cluster = Cluster(api_server, start_backend)
    cluster.create_policy("web-from-frontend", FROM_FRONTEND)
    start(start_daemon, api_server, tmp_path)
    assert cluster.refused(OTHER)

    cluster.core.replace_namespaced_pod("other", "default", pod_body("other", OTHER, {"role": "frontend"}))
    assert poll_until(lambda: cluster.admitted(OTHER), WITHIN), "the relabelled pod is still refused"
    cluster.core.replace_namespaced_pod("front", "default", pod_body("front", FRONT, {"role": "retired"}))
    assert poll_until(lambda: cluster.refused(FRONT), WITHIN), "the pod no longer labelled frontend is still admitted"


def test_a_namespaces_labels_decide_a_namespace_selector(api_server, start_daemon, start_backend, tmp_path):
    cluster = Cluster(api_server, start_backend)
    cluster.core.create_namespace({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "tenant", "labels": {"team": "red"}}})
    cluster.core.create_namespaced_pod("tenant", pod_body("visitor", VISITOR, {"role": "frontend"}, namespace="tenant"))
    cluster.create_policy("web-from-blue", [{"namespaceSelector": {"matchLabels": {"team": "blue"}}}])
    start(start_daemon, api_server, tmp_path)
    assert cluster.refused(VISITOR)

    cluster.core.replace_namespace("tenant", {"apiVersion": "v1", "kind": "Namespace",
                                              "metadata": {"name": "tenant", "labels": {"team": "blue"}}})
    assert poll_until(lambda: cluster.admitted(VISITOR), WITHIN), "a pod of the namespace now labelled blue is still refused"
    assert cluster.refused(FRONT), "namespace default is not blue"


def test_deleting_the_last_policy_stops_the_pods_watch_and_admits_everyone(api_server, start_daemon, start_backend, tmp_path):
    cluster = Cluster(api_server, start_backend)
    cluster.create_policy("web-from-frontend", FROM_FRONTEND)
    cluster.create_policy("web-from-frontend-too", FROM_FRONTEND)
    daemon = start(start_daemon, api_server, tmp_path)
    assert poll_until(lambda: api_server.open_watches[PODS] == 1, 5), "no watch of the Pods"
    assert cluster.refused(STRANGER)

    applies = daemon.log_text().count("event=api-sync")
    cluster.networking.delete_namespaced_network_policy("web-from-frontend", "default")
    assert poll_until(lambda: daemon.log_text().count("event=api-sync") > applies, WITHIN), "the deletion was not applied"
    assert cluster.refused(STRANGER)
    assert api_server.open_watches[PODS] == 1, "one policy is left: the Pods are still needed"

    cluster.networking.delete_namespaced_network_policy("web-from-frontend-too", "default")
    assert poll_until(lambda: cluster.admitted(STRANGER), WITHIN), "no policy left, yet a client is refused"
    # The server sees the watch gone at its next write (a bookmark each second).
    assert poll_until(lambda: api_server.open_watches[PODS] == 0, 10), "the Pods' watch is still open"
    assert "Stopped watching /api/v1/pods: no NetworkPolicy left; dropped 4 objects" in daemon.log_text()
    assert "api-request-failed" not in daemon.log_text() and "api-backoff" not in daemon.log_text(), "the stop was taken for a failure"
    assert api_server.lists[PODS] == 1


def test_without_a_policy_pods_are_never_listed_and_the_first_policy_waits_for_them(
        api_server, start_daemon, start_backend, tmp_path):
    cluster = Cluster(api_server, start_backend)
    daemon = start(start_daemon, api_server, tmp_path)
    assert poll_until(lambda: all(count >= 1 for count in api_server.watched().values()), 5), "no watch opened"
    # A change applied: the daemon went through a sync since, and still watches no Pods.
    cluster.core.replace_namespaced_service("web", "default", service_body("web", pick_cluster_ip(), cluster.node_port))
    assert poll_until(lambda: daemon.log_text().count("event=api-sync") >= 1, WITHIN), "the change was not applied"
    assert (api_server.lists[PODS], api_server.watches[PODS]) == (0, 0)
    assert cluster.admitted(OTHER)

    # The first policy: the Pods' list is slow, and until it arrives the plan without the
    # policy serves (no policy against unknown pods), and /healthz says what is awaited.
    api_server.hold_lists(PODS)
    applies = daemon.log_text().count("event=api-sync")
    cluster.create_policy("web-from-frontend", FROM_FRONTEND)

    def waiting_for_pods():
        status, body = health(daemon, "/healthz")
        return status == 503 and "waiting for the first list" in body.get("reason", "") and PODS in body.get("reason", "")
    assert poll_until(waiting_for_pods, WITHIN), "/healthz does not say it waits for the Pods"
    # /healthz says so from the sync that took the policy: that sync applied nothing.
    assert daemon.log_text().count("event=api-sync") == applies, "a plan was made with the policy before the Pods were listed"
    assert cluster.admitted(OTHER)

    api_server.release_lists(PODS)
    assert poll_until(lambda: cluster.refused(OTHER), WITHIN), "the policy is not enforced once the Pods are listed"
    assert cluster.admitted(FRONT)
    assert poll_until(lambda: health(daemon, "/healthz")[0] == 200, 5), "/healthz stays 503"
    assert api_server.lists[PODS] == 1
    assert api_server.field_selectors[PODS] == {"status.phase!=Succeeded,status.phase!=Failed"}
    assert api_server.listed() == {path: 1 for path in ALWAYS_WATCHED}
