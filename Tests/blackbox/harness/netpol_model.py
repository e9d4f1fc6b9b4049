"""NetworkPolicy semantics as a small model, written from the Kubernetes documentation
(concepts/services-networking/network-policies and the networking.k8s.io/v1 API reference),
to compute the reachability a policy set should give: the oracle of the truth-table tests.

- A pod is isolated for ingress (egress) when some policy of its namespace selects it
  (`spec.podSelector`) and has Ingress (Egress) among its `policyTypes`. Left out or
  empty, `policyTypes` is ["Ingress"], plus "Egress" when the policy has egress rules.
- A connection from pod S to pod D on port N over protocol P is allowed when D is not
  isolated for ingress or some ingress rule of a policy selecting D allows S on N/P, and S
  is not isolated for egress or some egress rule of a policy selecting S allows D on N/P.
  Policies add up: no policy denies what another allows.
- A rule without `from`/`to` matches every peer, without `ports` every port. A peer is an
  `ipBlock` (the other pod's IP inside `cidr`, outside every `except`), or selectors:
  `podSelector` alone picks pods of the policy's namespace, `namespaceSelector` alone all
  pods of the namespaces it matches, both together the matching pods of the matching
  namespaces. A port entry matches its protocol (TCP when left out) and the port number,
  the range up to `endPort`, or a named port, which is looked up on the destination pod.

Policies are the objects as written (dicts, as YAML would load them), so the same values
are written for the daemon and evaluated here.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ModelPod:
    namespace: str
    name: str
    ip: str
    labels: dict = field(hash=False)
    # container port name -> (number, protocol)
    ports: dict = field(hash=False)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


def selector_matches(selector: dict, labels: dict) -> bool:
    """metav1.LabelSelector: every matchLabels pair and every matchExpressions term holds."""
    if any(labels.get(key) != value for key, value in (selector.get("matchLabels") or {}).items()):
        return False
    for term in selector.get("matchExpressions") or []:
        key, operator, values = term["key"], term["operator"], term.get("values") or []
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def policy_types(spec: dict) -> set[str]:
    written = spec.get("policyTypes") or []
    if written:
        return set(written)
    return {"Ingress"} | ({"Egress"} if spec.get("egress") else set())


def _peer_matches(peer: dict, policy_namespace: str, other: ModelPod, namespaces: dict) -> bool:
    if "ipBlock" in peer:
        block = peer["ipBlock"]
        ip = ipaddress.ip_address(other.ip)
        return ip in ipaddress.ip_network(block["cidr"], strict=False) and not any(
            ip in ipaddress.ip_network(hole, strict=False) for hole in block.get("except") or [])
    if "namespaceSelector" in peer:
        in_namespace = selector_matches(peer["namespaceSelector"], namespaces[other.namespace])
    else:
        in_namespace = other.namespace == policy_namespace
    return in_namespace and ("podSelector" not in peer or selector_matches(peer["podSelector"], other.labels))


def _port_matches(entries: list, destination: ModelPod, number: int, protocol: str) -> bool:
    if not entries:
        return True
    for entry in entries:
        if entry.get("protocol", "TCP") != protocol:
            continue
        port = entry.get("port")
        if port is None:
            return True
        if isinstance(port, str):
            if destination.ports.get(port) == (number, protocol):
                return True
        elif port <= number <= entry.get("endPort", port):
            return True
    return False


def _allowed(direction: str, policies: list, subject: ModelPod, other: ModelPod, destination: ModelPod,
             number: int, protocol: str, namespaces: dict) -> bool:
    """Whether `subject`'s policies of `direction` ("Ingress", "Egress") let `other` in or out."""
    peers_field, rules_field = ("from", "ingress") if direction == "Ingress" else ("to", "egress")
    selecting = [p for p in policies if p["namespace"] == subject.namespace and direction in policy_types(p["spec"])
                 and selector_matches(p["spec"].get("podSelector") or {}, subject.labels)]
    if not selecting:
        return True
    for policy in selecting:
        for rule in policy["spec"].get(rules_field) or []:
            peers = rule.get(peers_field) or []
            if not _port_matches(rule.get("ports") or [], destination, number, protocol):
                continue
            if not peers or any(_peer_matches(peer, policy["namespace"], other, namespaces) for peer in peers):
                return True
    return False


def verdict(policies: list, namespaces: dict, source: ModelPod, destination: ModelPod, number: int, protocol: str) -> str:
    """"allowed", or why not as the daemon counts it: "ingress" when the destination does not
    admit the source, else "egress" when the source's egress does not allow the destination."""
    if not _allowed("Ingress", policies, destination, source, destination, number, protocol, namespaces):
        return "ingress"
    if not _allowed("Egress", policies, source, destination, destination, number, protocol, namespaces):
        return "egress"
    return "allowed"
