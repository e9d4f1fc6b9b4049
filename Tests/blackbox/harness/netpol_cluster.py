"""The model cluster of Kubernetes' NetworkPolicy e2e tests (test/e2e/network/netpol), on one
node: pods a, b, c in namespaces x, y, z, each a local backend at an address of its own
(127.10.<namespace>.<pod>) serving ports "80" and "81" over TCP and UDP, with container ports
named serve-80-tcp, serve-80-udp, serve-81-tcp, serve-81-udp and the label pod=<name>; each
namespace labelled ns=<name>; and a Service s-<namespace>-<pod> per pod. Binding 80 and 81
needs privileges, so two consecutive free ports stand in for them: a case writes 80 and 81,
and the policies the daemon reads and the model evaluates carry the stand-ins.

A probe is a client bound to the source pod's address reaching the destination pod's
Service: TCP answers with the pod's name or is reset, UDP is echoed with the pod's name or
dropped. A case's probes all run at once (TCP in threads, UDP sockets waited on together);
every TCP outcome is a fact (a name or a reset), and for UDP the daemon's counters say when
every datagram has been decided (a flow made or a drop counted), so no probe waits on a
timer to conclude a denial.
"""

from __future__ import annotations

import json
import random
import selectors
import socket
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from .admin import scrape
from .backends import Backend, identify
from .basics import Deadline, can_bind, poll_until
from .clients import recv_to_eof
from .netpol_model import ModelPod, verdict
from .udp import UdpEcho

NAMESPACES = ("x", "y", "z")
PODS = ("a", "b", "c")
PORTS = (80, 81)
PROTOCOLS = ("TCP", "UDP")
PROBE_TIMEOUT = 5.0


def pod_ip(namespace: str, pod: str) -> str:
    return f"127.10.{NAMESPACES.index(namespace) + 1}.{PODS.index(pod) + 1}"


def service_ip(namespace: str, pod: str) -> str:
    return f"127.11.{NAMESPACES.index(namespace) + 1}.{PODS.index(pod) + 1}"


def port_name(port: int, protocol: str) -> str:
    return f"serve-{port}-{protocol.lower()}"


def service_port_name(port: int, protocol: str) -> str:
    return f"service-port-{protocol.lower()}-{port}"


@dataclass
class Case:
    """One policy set and the labels it changes, with the expectations upstream states for it
    (source, destination, port, protocol, allowed) that the model must agree with."""
    name: str
    policies: list
    pod_labels: dict = field(default_factory=dict)
    namespace_labels: dict = field(default_factory=dict)
    upstream: list = field(default_factory=list)


def pick_base_port(hosts: list[str]) -> int:
    """A port P such that P and P + 1 are free for TCP and UDP on every one of `hosts`."""
    rng = random.SystemRandom()
    for _ in range(200):
        base = rng.randint(30000, 32000)
        if all(can_bind(host, port, kind) for host in hosts for port in (base, base + 1)
               for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM)):
            return base
    raise RuntimeError("no two consecutive free ports for the NetworkPolicy cluster")


KEYS = [f"{ns}/{pod}" for ns in NAMESPACES for pod in PODS]


class ClusterModel:
    """The nine pods, their Services and the objects of a case, with port `base` standing in
    for 80 (and `base` + 1 for 81); what the model expects of a case."""

    def __init__(self, base: int = 80):
        self.keys = KEYS
        self.base = base

    def real(self, port: int) -> int:
        """The number standing in for the model's port 80 or 81 (or any port near them)."""
        return self.base + port - 80

    # -- the objects

    def namespaces(self, case: Case) -> dict[str, dict]:
        return {ns: {"ns": ns, "kubernetes.io/metadata.name": ns, **case.namespace_labels.get(ns, {})} for ns in NAMESPACES}

    def pods(self, case: Case) -> dict[str, ModelPod]:
        ports = {port_name(port, protocol): (self.real(port), protocol) for port in PORTS for protocol in PROTOCOLS}
        return {key: ModelPod(*key.split("/"), ip=pod_ip(*key.split("/")),
                              labels={"pod": key.split("/")[1], **case.pod_labels.get(key, {})}, ports=ports)
                for key in self.keys}

    def policies(self, case: Case) -> list[dict]:
        """The case's policies with the stand-in port numbers."""
        def translated(entry: dict) -> dict:
            entry = dict(entry)
            for field_name in ("port", "endPort"):
                if isinstance(entry.get(field_name), int):
                    entry[field_name] = self.real(entry[field_name])
            return entry

        def rules(spec: dict, name: str) -> list:
            return [{**rule, **({"ports": [translated(p) for p in rule["ports"]]} if "ports" in rule else {})}
                    for rule in spec.get(name) or []]

        out = []
        for policy in case.policies:
            spec = dict(policy["spec"])
            for name in ("ingress", "egress"):
                if name in spec:
                    spec[name] = rules(spec, name)
            out.append({**policy, "spec": spec})
        return out

    def yaml(self, case: Case) -> str:
        documents = []
        for ns, labels in self.namespaces(case).items():
            documents.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}})
        for key, pod in self.pods(case).items():
            documents.append({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": pod.name, "namespace": pod.namespace, "labels": pod.labels},
                "spec": {"containers": [{"name": "serve", "image": "agnhost",
                                         "ports": [{"name": name, "containerPort": number, "protocol": protocol}
                                                   for name, (number, protocol) in pod.ports.items()]}]},
                "status": {"phase": "Running", "podIP": pod.ip, "conditions": [{"type": "Ready", "status": "True"}]},
            })
            documents.append({
                "apiVersion": "v1", "kind": "Service",
                "metadata": {"name": f"s-{pod.namespace}-{pod.name}", "namespace": pod.namespace},
                "spec": {"clusterIP": service_ip(pod.namespace, pod.name), "selector": {"pod": pod.name},
                         "ports": [{"name": service_port_name(port, protocol), "port": self.real(port),
                                    "targetPort": port_name(port, protocol), "protocol": protocol}
                                   for port in PORTS for protocol in PROTOCOLS]},
            })
        for policy in self.policies(case):
            documents.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                              "metadata": {"name": policy["name"], "namespace": policy["namespace"]}, "spec": policy["spec"]})
        # JSON is YAML: one flow document each.
        return "".join("---\n" + json.dumps(document) + "\n" for document in documents)

    # -- what should happen

    def expected(self, case: Case) -> dict[tuple, str]:
        """(source, destination, port, protocol) -> "allowed", "ingress" or "egress", by the model."""
        pods, namespaces, policies = self.pods(case), self.namespaces(case), self.policies(case)
        return {(source, destination, port, protocol):
                verdict(policies, namespaces, pods[source], pods[destination], self.real(port), protocol)
                for source in self.keys for destination in self.keys for port in PORTS for protocol in PROTOCOLS}

class Cluster(ClusterModel):
    """The model cluster with its pods as backends, and the probes of a case."""

    def __init__(self):
        addresses = [pod_ip(*key.split("/")) for key in KEYS] + [service_ip(*key.split("/")) for key in KEYS]
        super().__init__(pick_base_port(addresses))
        self.backends: list[Backend] = []
        self.echoes: list[UdpEcho] = []
        # UDP client addresses used so far: a flow outlives a reload (as conntrack's do), so
        # a probe that came from an earlier probe's address would ride that probe's flow.
        self.used: set[tuple[str, int]] = set()
        for key in self.keys:
            ip = pod_ip(*key.split("/"))
            for port in PORTS:
                self.backends.append(Backend(identify, host=ip, name=key, port=self.real(port)))
                self.echoes.append(UdpEcho(key, host=ip, port=self.real(port)))

    def stop(self) -> None:
        for backend in self.backends:
            backend.stop()
        for echo in self.echoes:
            echo.stop()

    def probe_tcp(self, source: str, destination: str, port: int) -> str:
        """"allowed" (the destination answered with its name), "denied" (reset), or what else came."""
        address = (service_ip(*destination.split("/")), self.real(port))
        try:
            with socket.create_connection(address, timeout=PROBE_TIMEOUT, source_address=(pod_ip(*source.split("/")), 0)) as sock:
                answer = recv_to_eof(sock, PROBE_TIMEOUT).decode(errors="replace")
        except ConnectionResetError:
            return "denied"
        except OSError as error:
            return f"error: {error}"
        return "allowed" if answer == destination else f"answer {answer!r}"

    def probe_udp(self, probes: list[tuple[str, str, int]], expected_replies: int) -> dict[tuple, str]:
        """Sends one datagram per (source, destination, port), each from a socket of its own, and
        returns "allowed" for those answered by their destination, "denied" for the rest, once
        `expected_replies` answers came or PROBE_TIMEOUT passed."""
        results: dict[tuple, str] = {}
        sockets = {}
        with selectors.DefaultSelector() as selector:
            try:
                for probe in probes:
                    source, destination, port = probe
                    sock = self.fresh_udp_socket(pod_ip(*source.split("/")))
                    sockets[probe] = sock
                    selector.register(sock, selectors.EVENT_READ, probe)
                    sock.sendto(b"probe", (service_ip(*destination.split("/")), self.real(port)))
                deadline = Deadline(PROBE_TIMEOUT)
                while len(results) < expected_replies and not deadline.expired():
                    for key, _ in selector.select(timeout=deadline.remaining()):
                        source, destination, port = key.data
                        try:
                            reply = key.fileobj.recv(2048)
                        except OSError as error:
                            results[key.data] = f"error: {error}"
                        else:
                            name = reply.split(b"\n", 1)[0].decode(errors="replace")
                            results[key.data] = "allowed" if name == destination else f"answer {name!r}"
                        selector.unregister(key.fileobj)
            finally:
                for sock in sockets.values():
                    sock.close()
        return {probe: results.get(probe, "denied") for probe in probes}

    def fresh_udp_socket(self, ip: str) -> socket.socket:
        """A non-blocking UDP socket bound to `ip` at a port no earlier probe used."""
        for _ in range(100):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind((ip, 0))
            address = sock.getsockname()[:2]
            if address not in self.used:
                self.used.add(address)
                sock.setblocking(False)
                return sock
            sock.close()
        raise RuntimeError(f"no fresh UDP port on {ip} in 100 tries")

    def probe(self, expected: dict[tuple, str]) -> dict[tuple, str]:
        """Every probe of the matrix, TCP and UDP at once."""
        tcp = [key for key in expected if key[3] == "TCP"]
        udp = [key[:3] for key in expected if key[3] == "UDP"]
        answers = sum(1 for key, outcome in expected.items() if key[3] == "UDP" and outcome == "allowed")
        with ThreadPoolExecutor(max_workers=32) as pool:
            tcp_results = pool.map(lambda key: self.probe_tcp(*key[:3]), tcp)
            udp_results = self.probe_udp(udp, answers)
            observed = dict(zip(tcp, tcp_results))
        observed.update({(*key, "UDP"): outcome for key, outcome in udp_results.items()})
        return observed


# -- the daemon's counts

REFUSED = "svcproxy_connections_refused_total"
DROPPED = "svcproxy_udp_dropped_total"
FLOWS = "svcproxy_udp_flows_total"
TCP_REASONS = {"ingress": "network_policy", "egress": "network_policy_egress"}
UDP_REASONS = {"ingress": "policy", "egress": "policy_egress"}


def policy_counts(daemon) -> dict[tuple, float]:
    """Per Service port: TCP connections refused and UDP datagrams dropped by NetworkPolicy
    (by reason), and UDP flows made."""
    counts = {}
    for (name, labels), value in scrape(daemon).items():
        labels = dict(labels)
        where = (labels.get("namespace"), labels.get("service"), labels.get("port"))
        if name == REFUSED and labels.get("reason") in TCP_REASONS.values():
            counts[(*where, labels["reason"])] = value
        elif name == DROPPED and labels.get("reason") in UDP_REASONS.values():
            counts[(*where, labels["reason"])] = value
        elif name == FLOWS:
            counts[(*where, "flow")] = value
    return counts


def expected_counts(expected: dict[tuple, str]) -> dict[tuple, int]:
    """What the probes of `expected` add to `policy_counts`."""
    counts: dict[tuple, int] = {}
    for (_, destination, port, protocol), outcome in expected.items():
        namespace, pod = destination.split("/")
        where = (namespace, f"s-{namespace}-{pod}", service_port_name(port, protocol))
        if outcome == "allowed":
            what = "flow" if protocol == "UDP" else None
        else:
            what = (TCP_REASONS if protocol == "TCP" else UDP_REASONS)[outcome]
        if what:
            counts[(*where, what)] = counts.get((*where, what), 0) + 1
    return counts


def counted_since(daemon, before: dict[tuple, float], total: int, timeout: float = PROBE_TIMEOUT) -> dict[tuple, int]:
    """The counts added since `before`, once they add up to `total` (every probe decided: a
    datagram's drop or flow is counted a moment after it arrives) or at `timeout`."""
    latest: dict[tuple, int] = {}

    def settled() -> bool:
        nonlocal latest
        now = policy_counts(daemon)
        latest = {key: int(value - before.get(key, 0)) for key, value in now.items() if value != before.get(key, 0)}
        return sum(latest.values()) >= total

    poll_until(settled, timeout)
    return latest


def truth_table(expected: dict[tuple, str], observed: dict[tuple, str], keys: list[str]) -> str:
    """Expected and observed reachability side by side, per port and protocol, as upstream
    prints them: a row per source, a column per destination, X where they differ."""
    lines = []
    for port in PORTS:
        for protocol in PROTOCOLS:
            lines.append(f"{port}/{protocol}: " + " ".join(f"{k:>4}" for k in keys))
            for source in keys:
                cells = []
                for destination in keys:
                    key = (source, destination, port, protocol)
                    want = expected[key] == "allowed"
                    got = observed.get(key)
                    cells.append(("." if want else "-") if got == ("allowed" if want else "denied") else "X")
                lines.append(f"{source:>11} " + " ".join(f"{c:>4}" for c in cells))
    return "\n".join(lines)
