"""NetworkPolicy conformance by truth table, after Kubernetes' NetworkPolicy e2e tests
(test/e2e/network/netpol): pods a, b, c in namespaces x, y, z (harness/netpol_cluster.py),
and for each policy case the reachability of every pod pair through the destination's
Service, on ports 80 and 81 over TCP and UDP, must be what a model of NetworkPolicy
written from the Kubernetes documentation computes (harness/netpol_model.py); and the
daemon must count each refusal and drop under its reason (ingress: network_policy / policy,
the client's egress: network_policy_egress / policy_egress) and each admitted datagram as a
flow. The cases are upstream's, ingress and egress, with the expectations upstream states
for each checked against the model first. A pod reaching itself is decided by the policies
like any pair (upstream leaves it undefined and ignores it).

One daemon serves every case: each writes its objects and reloads (SIGHUP), so the cases
also run the incremental planner over policies, pod labels and namespace labels coming and
going."""

from __future__ import annotations

import pytest

from harness.daemon import Daemon
from harness.netpol_cluster import Case, Cluster, ClusterModel, counted_since, expected_counts, policy_counts, truth_table

NAME_LABEL = "kubernetes.io/metadata.name"


def pod(name: str) -> dict:
    return {"matchLabels": {"pod": name}}


def namespace(name: str) -> dict:
    return {"matchLabels": {NAME_LABEL: name}}


def policy(name: str, ns: str, **spec) -> dict:
    spec.setdefault("podSelector", {})
    return {"name": name, "namespace": ns, "spec": spec}


def egress(name: str, ns: str, **spec) -> dict:
    """An egress policy as upstream writes them: with `policyTypes: [Egress]`."""
    return policy(name, ns, policyTypes=["Egress"], **spec)


def ports(*numbers: int | str, protocol: str | None = None) -> list[dict]:
    """Port entries (numbers or names), of `protocol` when one is written."""
    return [{"port": number, **({"protocol": protocol} if protocol else {})} for number in numbers]


DENY_INGRESS_X = policy("deny-ingress", "x", policyTypes=["Ingress"])
NOT_X = {"matchExpressions": [{"key": NAME_LABEL, "operator": "NotIn", "values": ["x"]}]}

CASES = [
    Case("default-deny-ingress", [DENY_INGRESS_X],
         upstream=[("y/a", "x/a", 80, "TCP", False), ("x/b", "x/a", 80, "TCP", False), ("x/a", "y/b", 80, "TCP", True),
                   ("y/a", "y/b", 80, "UDP", True), ("y/a", "x/b", 80, "UDP", False)]),
    Case("default-deny-all", [policy("deny-all", "x", policyTypes=["Ingress", "Egress"])],
         upstream=[("x/a", "y/a", 80, "TCP", False), ("y/a", "x/a", 80, "TCP", False), ("y/a", "z/b", 80, "TCP", True)]),
    Case("allow-all", [policy("allow-all", "x", ingress=[{}])],
         upstream=[("y/a", "x/a", 80, "TCP", True), ("x/b", "x/a", 81, "TCP", True)]),
    Case("ingress-from-pod-selector", [policy("x-a-allows-x-b", "x", podSelector=pod("a"), ingress=[{"from": [{"podSelector": pod("b")}]}])],
         upstream=[("x/b", "x/a", 80, "TCP", True), ("x/c", "x/a", 80, "TCP", False), ("y/b", "x/a", 80, "TCP", False)]),
    Case("ingress-to-a-target-beside-deny-all",
         [policy("deny-all", "x"), policy("allow-all-to-a", "x", podSelector=pod("a"),
                                           ingress=[{"from": [{"podSelector": {}, "namespaceSelector": {}}]}])],
         upstream=[("y/a", "x/a", 80, "TCP", True), ("y/a", "x/b", 80, "TCP", False)]),
    Case("ingress-from-all-namespaces", [policy("allow-from-another-ns", "x", podSelector=pod("a"),
                                                ingress=[{"from": [{"namespaceSelector": {}}]}])],
         upstream=[("z/a", "x/a", 80, "TCP", True), ("x/b", "x/a", 80, "TCP", True)]),
    Case("ingress-from-namespace-selector", [policy("allow-from-y", "x", podSelector=pod("a"),
                                                    ingress=[{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}]}])],
         upstream=[("x/b", "x/a", 80, "TCP", False), ("y/a", "x/a", 80, "TCP", True), ("z/a", "x/a", 80, "TCP", False)]),
    Case("ingress-match-expressions",
         [policy("x-a-allows-x-b", "x", podSelector=pod("a"), ingress=[{"from": [
             {"podSelector": {"matchExpressions": [{"key": "pod", "operator": "In", "values": ["b"]}]}}]}])],
         upstream=[("x/b", "x/a", 80, "TCP", True), ("y/a", "x/a", 80, "TCP", False)]),
    Case("ingress-pod-or-namespace-selector",
         [policy("either", "x", podSelector=pod("a"), ingress=[{"from": [{"namespaceSelector": NOT_X}, {"podSelector": pod("b")}]}])],
         upstream=[("x/a", "x/a", 80, "TCP", False), ("x/c", "x/a", 80, "TCP", False), ("x/b", "x/a", 80, "TCP", True),
                   ("y/a", "x/a", 80, "TCP", True)]),
    Case("ingress-pod-and-namespace-selector",
         [policy("both", "x", podSelector=pod("a"), ingress=[{"from": [{"namespaceSelector": NOT_X, "podSelector": pod("b")}]}])],
         upstream=[("y/b", "x/a", 80, "TCP", True), ("z/b", "x/a", 80, "TCP", True), ("x/b", "x/a", 80, "TCP", False),
                   ("y/a", "x/a", 80, "TCP", False)]),
    Case("ingress-on-port-81-from-y", [policy("allow-81-from-y", "x", podSelector=pod("a"),
                                              ingress=[{"from": [{"namespaceSelector": namespace("y")}], "ports": ports(81, protocol="TCP")}])],
         upstream=[("y/a", "x/a", 81, "TCP", True), ("y/a", "x/a", 80, "TCP", False), ("x/b", "x/a", 81, "TCP", False),
                   ("z/a", "x/a", 81, "TCP", False)]),
    Case("stacked-policies-add-up",
         [policy("allow-81-from-y", "x", podSelector=pod("a"), ingress=[{"from": [{"namespaceSelector": namespace("y")}], "ports": ports(81)}]),
          policy("allow-80-from-y", "x", podSelector=pod("a"), ingress=[{"from": [{"namespaceSelector": namespace("y")}], "ports": ports(80)}])],
         upstream=[("y/a", "x/a", 80, "TCP", True), ("y/b", "x/a", 81, "TCP", True), ("z/a", "x/a", 80, "TCP", False)]),
    Case("ingress-on-named-port", [policy("allow-serve-81", "x", ingress=[{"ports": ports("serve-81-tcp")}])],
         upstream=[("y/a", "x/b", 81, "TCP", True), ("y/a", "x/b", 80, "TCP", False), ("x/a", "x/b", 80, "TCP", False)]),
    Case("ingress-from-namespace-on-named-port",
         [policy("allow-y-on-serve-80", "x", podSelector=pod("a"),
                 ingress=[{"from": [{"namespaceSelector": namespace("y")}], "ports": ports("serve-80-tcp", protocol="TCP")}])],
         upstream=[("y/a", "x/a", 80, "TCP", True), ("y/a", "x/a", 81, "TCP", False), ("z/a", "x/a", 80, "TCP", False)]),
    Case("egress-on-named-port", [egress("allow-egress-serve-80", "x", egress=[{"ports": ports("serve-80-tcp")}])],
         upstream=[("x/a", "y/a", 80, "TCP", True), ("x/a", "y/a", 81, "TCP", False), ("y/a", "x/a", 81, "TCP", True)]),
    Case("deny-egress-from-a-pod", [policy("deny-egress-pod-a", "x", podSelector=pod("a"), policyTypes=["Egress"])],
         upstream=[("x/a", "y/a", 80, "TCP", False), ("x/a", "x/b", 80, "TCP", False), ("x/b", "y/a", 80, "TCP", True)]),
    Case("deny-egress-from-a-namespace", [policy("deny-egress-ns-x", "x", policyTypes=["Egress"])],
         upstream=[("x/a", "x/b", 80, "TCP", False), ("x/b", "y/a", 80, "TCP", False), ("y/a", "x/a", 80, "TCP", True)]),
    Case("ingress-and-egress-together",
         [policy("a-from-b-and-to-80", "x", podSelector=pod("a"), policyTypes=["Egress", "Ingress"],
                 ingress=[{"from": [{"podSelector": pod("b")}]}], egress=[{"ports": ports(80)}])],
         upstream=[("x/b", "x/a", 80, "TCP", True), ("x/c", "x/a", 80, "TCP", False), ("x/a", "y/a", 80, "TCP", True),
                   ("x/a", "y/a", 81, "TCP", False), ("x/b", "x/a", 81, "TCP", True)]),
    Case("egress-denied-on-the-client-though-the-server-allows",
         [egress("allow-to-y-a", "x", podSelector=pod("a"),
                 egress=[{"to": [{"namespaceSelector": namespace("y"), "podSelector": pod("a")}]}]),
          *(policy(f"allow-from-x-a-on-y-{name}", "y", podSelector=pod(name),
                   ingress=[{"from": [{"namespaceSelector": namespace("x"), "podSelector": pod("a")}]}]) for name in ("a", "b"))],
         upstream=[("x/a", "y/a", 80, "TCP", True), ("x/a", "y/b", 80, "TCP", False), ("z/a", "y/b", 80, "TCP", False),
                   ("x/a", "z/c", 80, "TCP", False), ("y/c", "y/a", 80, "TCP", False)]),
    Case("ingress-any-port-on-one-protocol", [policy("allow-tcp", "x", podSelector=pod("a"), ingress=[{"ports": [{"protocol": "TCP"}]}])],
         upstream=[("y/a", "x/a", 80, "TCP", True), ("y/a", "x/a", 80, "UDP", False)]),
    Case("ingress-allow-all-takes-precedence",
         [policy("allow-ingress-port-80", "x", ingress=[{"ports": ports(80)}]), policy("allow-ingress", "x", ingress=[{}])],
         upstream=[("y/a", "x/a", 81, "TCP", True)]),
    Case("egress-allow-all-takes-precedence",
         [egress("allow-egress-port-80", "x", egress=[{"ports": ports(80)}]), egress("allow-egress", "x", egress=[{}])],
         upstream=[("x/a", "y/a", 81, "TCP", True)]),
    Case("egress-to-a-cidr-block",
         [egress("allow-to-y-b", "x", podSelector=pod("a"), egress=[{"to": [{"ipBlock": {"cidr": "127.10.2.2/32"}}]}])],
         upstream=[("x/a", "y/b", 80, "TCP", True), ("x/a", "y/a", 80, "TCP", False)]),
    Case("egress-cidr-block-with-except",
         [egress("allow-around-x-b", "x", podSelector=pod("a"),
                 egress=[{"to": [{"ipBlock": {"cidr": "127.10.0.0/16", "except": ["127.10.1.2/32"]}}]}])],
         upstream=[("x/a", "x/b", 80, "TCP", False), ("x/a", "x/c", 80, "TCP", True)]),
    Case("egress-except-reopened-by-another-policy",
         [egress("allow-around-x-b", "x", podSelector=pod("a"),
                 egress=[{"to": [{"ipBlock": {"cidr": "127.10.1.0/24", "except": ["127.10.1.2/32"]}}]}]),
          egress("allow-x-b", "x", podSelector=pod("a"), egress=[{"to": [{"ipBlock": {"cidr": "127.10.1.2/32"}}]}])],
         upstream=[("x/a", "x/b", 80, "TCP", True), ("x/a", "y/a", 80, "TCP", False)]),
    Case("ingress-cidr-block-with-except",
         [policy("allow-but-y", "x", ingress=[{"from": [{"ipBlock": {"cidr": "127.10.0.0/16", "except": ["127.10.2.0/24"]}}]}])],
         upstream=[("y/a", "x/a", 80, "TCP", False), ("z/a", "x/a", 80, "UDP", True)]),
    Case("sctp-rule-opens-no-tcp",
         [DENY_INGRESS_X, policy("allow-sctp-81", "x", podSelector=pod("a"), ingress=[{"ports": ports(81, protocol="SCTP")}])],
         upstream=[("y/a", "x/a", 81, "TCP", False)]),
    Case("udp-rule-opens-no-tcp", [policy("allow-udp-81", "x", podSelector=pod("a"), ingress=[{"ports": ports(81, protocol="UDP")}])],
         upstream=[("y/a", "x/a", 81, "TCP", False), ("y/a", "x/a", 81, "UDP", True), ("y/a", "x/a", 80, "UDP", False)]),
    Case("egress-namespace-match-expressions-on-the-name-label",
         [egress("not-to-y", "x", podSelector=pod("a"), egress=[{"to": [
             {"namespaceSelector": {"matchExpressions": [{"key": NAME_LABEL, "operator": "NotIn", "values": ["y"]}]}}]}])],
         upstream=[("x/a", "y/a", 80, "TCP", False), ("x/a", "z/a", 80, "TCP", True), ("x/a", "x/b", 80, "TCP", True)]),
    Case("ingress-port-range",
         [policy("allow-80-81-from-z", "x", podSelector=pod("a"),
                 ingress=[{"from": [{"namespaceSelector": namespace("z")}], "ports": [{"port": 80, "endPort": 81}]}])],
         upstream=[("z/b", "x/a", 80, "TCP", True), ("z/b", "x/a", 81, "TCP", True), ("y/b", "x/a", 81, "TCP", False),
                   ("z/b", "x/a", 81, "UDP", False)]),
    Case("egress-port-range",
         [egress("allow-81-82", "x", egress=[{"ports": [{"port": 81, "endPort": 82}, {"protocol": "UDP", "port": 81, "endPort": 82}]}])],
         upstream=[("x/a", "y/a", 81, "TCP", True), ("x/a", "y/a", 81, "UDP", True), ("x/a", "y/a", 80, "TCP", False)]),
    Case("policy-types-defaulted-with-egress-rules",
         [policy("a-to-b", "x", podSelector=pod("a"), egress=[{"to": [{"podSelector": pod("b")}]}])],
         upstream=[("y/a", "x/a", 80, "TCP", False), ("x/a", "x/b", 80, "TCP", True), ("x/a", "x/c", 80, "TCP", False)]),
    Case("policy-types-defaulted-without-egress-rules",
         [policy("empty-egress", "x", podSelector=pod("a"), egress=[])],
         upstream=[("y/a", "x/a", 80, "TCP", False), ("x/a", "y/a", 80, "TCP", True)]),
    Case("written-egress-type-ignores-ingress-rules",
         [policy("egress-only", "x", policyTypes=["Egress"], ingress=[{"from": [{"podSelector": pod("b")}]}], egress=[{}])],
         upstream=[("y/a", "x/a", 80, "TCP", True), ("x/a", "y/a", 80, "TCP", True)]),
    Case("ingress-from-updated-pod",
         [policy("allow-updated-b", "x", podSelector=pod("a"), ingress=[{"from": [{"podSelector": {"matchLabels": {"pod": "b", "pod2": "updated"}}}]}])],
         pod_labels={"x/b": {"pod2": "updated"}},
         upstream=[("x/b", "x/a", 80, "TCP", True), ("x/c", "x/a", 80, "TCP", False)]),
    Case("ingress-from-updated-namespace",
         [policy("allow-updated-ns", "x", podSelector=pod("a"), ingress=[{"from": [{"namespaceSelector": {"matchLabels": {"ns2": "updated"}}}]}])],
         namespace_labels={"y": {"ns2": "updated"}},
         upstream=[("y/c", "x/a", 80, "TCP", True), ("z/a", "x/a", 80, "TCP", False)]),
    Case("deny-ingress-to-updated-pod",
         [policy("deny-isolated", "x", podSelector={"matchLabels": {"target": "isolated"}}, policyTypes=["Ingress"])],
         pod_labels={"x/a": {"target": "isolated"}},
         upstream=[("y/a", "x/a", 80, "TCP", False), ("y/a", "x/b", 80, "TCP", True)]),
]


def test_the_model_agrees_with_what_upstream_expects():
    model = ClusterModel()
    assert len(CASES) >= 20
    for case in CASES:
        expected = model.expected(case)
        for source, destination, port, protocol, allowed in case.upstream:
            got = expected[(source, destination, port, protocol)]
            assert (got == "allowed") == allowed, f"{case.name}: {source} -> {destination} {port}/{protocol}: {got}"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The cluster's backends and one daemon serving it (UDP flows idle out after 1 s, so the
    cases' flows do not pile up)."""
    cluster = Cluster()
    directory = tmp_path_factory.mktemp("netpol")
    config = directory / "cluster.yaml"
    config.write_text(cluster.yaml(Case("none", [])))
    try:
        daemon = Daemon([config], directory, workers=2, extra_args=("--udp-timeout", "1s"))
    except BaseException:
        cluster.stop()
        raise
    yield cluster, daemon, config
    try:
        daemon.stop()
    finally:
        cluster.stop()


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_reachability_matches_the_model(case, served):
    cluster, daemon, config = served
    config.write_text(cluster.yaml(case))
    status = daemon.reload()[-1].get("STATUS", "")
    assert "failed" not in status, f"{status}\n{daemon.log_tail()}"
    expected = cluster.expected(case)
    counts = expected_counts(expected)
    before = policy_counts(daemon)

    observed = cluster.probe(expected)

    wrong = {key: outcome for key, outcome in observed.items() if outcome != ("allowed" if expected[key] == "allowed" else "denied")}
    assert not wrong, (f"{len(wrong)} of {len(observed)} probes differ from the model (X):\n"
                       f"{truth_table(expected, observed, cluster.keys)}\n{sorted(wrong.items())[:10]}")
    counted = counted_since(daemon, before, sum(counts.values()))
    assert counted == counts, "the daemon counts every refusal, drop and flow under its reason and Service port"
