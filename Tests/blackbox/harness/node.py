"""Clients with their own source address, Pods and NetworkPolicies as YAML: what the tests of
session affinity, NetworkPolicy admission and connection limits need beyond the basics.

A client IP is a loopback address the client socket binds to before connecting (127.0.0.2,
127.0.0.3, ...), so each test can play several clients without any setup.
"""

from __future__ import annotations

import socket

from .admin import scrape, series
from .basics import Deadline
from .clients import IO_TIMEOUT, recv_to_eof


def connect_from(source: str, address: tuple[str, int], timeout: float = IO_TIMEOUT) -> socket.socket:
    """A connection to `address` from the client IP `source`."""
    return socket.create_connection(address, timeout=timeout, source_address=(source, 0))


def name_from(source: str, address: tuple[str, int], timeout: float = IO_TIMEOUT) -> str:
    """The answering backend's name, or "reset" or "closed" when the daemon refused the client."""
    try:
        with connect_from(source, address, timeout) as sock:
            data = recv_to_eof(sock, timeout)
    except ConnectionResetError:
        return "reset"
    return data.decode(errors="replace") if data else "closed"


def echo_round_trip(sock: socket.socket, payload: bytes = b"ping", timeout: float = IO_TIMEOUT) -> bool:
    """Send `payload` and read it back whole: the connection works end to end."""
    sock.settimeout(timeout)
    try:
        sock.sendall(payload)
        received = b""
        deadline = Deadline(timeout)
        while len(received) < len(payload) and not deadline.expired():
            data = sock.recv(len(payload) - len(received))
            if not data:
                return False
            received += data
        return received == payload
    except OSError:
        return False


def pod_yaml(name: str, ip: str, labels: dict[str, str], ports: dict[str, int], namespace: str = "default",
             protocol: str = "TCP") -> str:
    """A running, ready Pod at `ip` with named container ports of `protocol`."""
    label_text = ", ".join(f"{k}: {v}" for k, v in labels.items())
    port_text = ", ".join(f"{{name: {n}, containerPort: {p}, protocol: {protocol}}}" for n, p in ports.items())
    return f"""\
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: {namespace}, labels: {{{label_text}}}}}
spec:
  containers:
  - {{name: app, image: example/app, ports: [{port_text}]}}
status:
  phase: Running
  podIP: {ip}
  conditions: [{{type: Ready, status: "True"}}]
"""


def selector_service_yaml(name: str, cluster_ip: str, ports: dict[str, int], *, selector: str = "{app: web}",
                          extra_spec: str = "", annotations: str = "", namespace: str = "default") -> str:
    """A ClusterIP Service over Pods by selector: `ports` maps the port name (also the Pods'
    named targetPort) to the service port."""
    port_text = ", ".join(f"{{name: {n}, port: {p}, targetPort: {n}}}" for n, p in ports.items())
    meta = f"{{name: {name}, namespace: {namespace}" + (f", annotations: {annotations}" if annotations else "") + "}"
    return f"""\
apiVersion: v1
kind: Service
metadata: {meta}
spec:
  clusterIP: {cluster_ip}
  selector: {selector}
  ports: [{port_text}]
{extra_spec}"""


def policy_yaml(name: str, spec: str, namespace: str = "default") -> str:
    """A NetworkPolicy; `spec` is the YAML under `spec:`, indented by two spaces."""
    return f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: {name}, namespace: {namespace}}}\nspec:\n{spec}"


def documents(*parts: str) -> str:
    return "\n---\n".join(part.rstrip("\n") for part in parts) + "\n"


def refused_count(daemon, service_port: str, reason: str) -> float:
    """svcproxy_connections_refused_total for `service_port` ("default/web:http") and `reason`,
    from the daemon's metrics endpoint."""
    namespace, _, rest = service_port.partition("/")
    service, _, port = rest.partition(":")
    value = series(scrape(daemon), "svcproxy_connections_refused_total",
                   namespace=namespace, service=service, port=port, reason=reason)
    if value is None:
        raise AssertionError(f"no svcproxy_connections_refused_total for {service_port} reason={reason}")
    return value
