"""The ClusterRole of deploy/rbac.yaml, enforced: the daemon runs against the test API server
(harness/kubeapi.py) in its RBAC mode, where every request the role does not allow is answered
403 Forbidden as the real authorizer answers it.

With the role as shipped the daemon syncs, sends READY=1 and serves a Service, and every
(apiGroup, resource, verb) the role grants is used: the role is what svcproxy needs, no more.
With one kind taken out of the role, the daemon says which rule is missing, in the log and in
/healthz's reason.
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

kubernetes = pytest.importorskip("kubernetes")

from harness import DaemonError, ask_name, identify, pick_cluster_ip, pick_port, poll_until  # noqa: E402
from harness.admin import health  # noqa: E402
from harness.kubeapi import (RESOURCES, KubeAPIServer, create_web, load_cluster_role, request_resource,  # noqa: E402
                             role_grants, slice_body)

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"

def deploy_role() -> dict:
    return load_cluster_role(sorted(DEPLOY.glob("*.yaml")))


def create_policy_selecting_nothing(api) -> None:
    """A NetworkPolicy, so that whatever is watched only while policies exist is watched; it
    selects no Pod, so it changes no traffic."""
    kubernetes.client.NetworkingV1Api(api).create_namespaced_network_policy("default", {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "none", "namespace": "default"},
        "spec": {"podSelector": {"matchLabels": {"app": "nothing"}}, "policyTypes": ["Ingress"]}})


def test_the_deploy_role_is_enough_and_every_rule_of_it_is_used(start_daemon, start_backend, tmp_path):
    role = deploy_role()
    server = KubeAPIServer(role=role)
    try:
        backend = start_backend(identify, name="one")
        node_port = pick_port()
        create_web(server.client(), backend, pick_cluster_ip(), node_port)
        create_policy_selecting_nothing(server.client())
        start_daemon([], extra_args=("--kubeconfig", server.kubeconfig(tmp_path / "kubeconfig")))
        assert ask_name(("127.0.0.1", node_port)) == "one"
        assert poll_until(lambda: all(count >= 1 for count in server.watches.values()), 10), "not every kind is watched"

        assert role_grants(role) - server.used == set(), \
            f"the role grants what svcproxy never uses: {sorted(role_grants(role) - server.used)}"
        assert {request_resource(collection)[:2] for collection in RESOURCES} <= \
            {(group, resource) for group, resource, _ in role_grants(role)}, "the role misses a kind svcproxy watches"
    finally:
        server.stop()


def test_a_role_without_endpointslices_makes_the_daemon_name_the_missing_rule(start_daemon, tmp_path):
    role = deploy_role()
    role["rules"] = [rule for rule in role["rules"] if "endpointslices" not in rule["resources"]]
    server = KubeAPIServer(role=role)
    healthz = ("127.0.0.1", pick_port(("127.0.0.1",)))
    reasons: list[str] = []
    starting = threading.Event()

    def watch_healthz():
        # The daemon answers /healthz while it waits for the lists that never come.
        while not starting.wait(0.2):
            try:
                status, body = health(SimpleNamespace(healthz_address=healthz), "/healthz", timeout=1)
            except OSError:
                continue
            if status == 503 and "forbidden" in body.get("reason", ""):
                reasons.append(body["reason"])
                return

    watcher = threading.Thread(target=watch_healthz, daemon=True)
    watcher.start()
    try:
        with pytest.raises(DaemonError) as failure:
            start_daemon([], extra_args=("--kubeconfig", server.kubeconfig(tmp_path / "kubeconfig"),
                                         "--healthz-bind-address", "%s:%d" % healthz))
    finally:
        starting.set()
        watcher.join(5)
        server.stop()
    log = str(failure.value)
    assert "no READY=1" in log
    assert "forbidden: the ClusterRole must allow list on discovery.k8s.io endpointslices" in log
    assert "answered 403" in log
    assert reasons and "the API server refusing" in reasons[0], "/healthz did not give the forbidden reason"
    assert "the ClusterRole must allow list on discovery.k8s.io endpointslices" in reasons[0]
    assert ("discovery.k8s.io", "endpointslices", "list") not in server.used


def test_a_role_without_pods_holds_service_changes_only_for_the_grace(start_daemon, start_backend, tmp_path):
    """A NetworkPolicy makes the daemon watch Pods; a role from before that (no pods) answers
    403 for ever. Plans wait for the Pods' list 30 s at most, then Service changes flow again
    with the policies enforced against the pods known, and /healthz keeps naming the list."""
    role = deploy_role()
    role["rules"] = [dict(rule, resources=[r for r in rule["resources"] if r != "pods"]) for rule in role["rules"]]
    server = KubeAPIServer(role=role)
    try:
        one, two = start_backend(identify, name="one"), start_backend(identify, name="two")
        node_port = pick_port()
        discovery = create_web(server.client(), one, pick_cluster_ip(), node_port)
        daemon = start_daemon([], extra_args=("--kubeconfig", server.kubeconfig(tmp_path / "kubeconfig"),
                                              "--min-sync-period", "200ms"))
        assert ask_name(("127.0.0.1", node_port)) == "one"
        create_policy_selecting_nothing(server.client())
        # Watches are separate streams: the Service change must come after the daemon has
        # the policy (and so watches Pods), or it may be applied before the policy arrives.
        assert poll_until(lambda: "event=api-watch-started" in daemon.log_text(), 10), "the policy did not start a Pods watch"
        discovery.replace_namespaced_endpoint_slice("web-1", "default", slice_body("web", [two.endpoint]))
        assert poll_until(lambda: ask_name(("127.0.0.1", node_port)) == "two", 30 + 15), \
            "a Service change waits for a Pods list that cannot come"
        assert "event=api-list-overdue" in daemon.log_text()
        status, body = health(daemon, "/healthz")
        assert status == 503 and "/api/v1/pods" in body.get("reason", ""), (status, body)
    finally:
        server.stop()
