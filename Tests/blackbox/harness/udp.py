"""UDP Services from the outside: Service YAML with UDP ports, echo endpoints as threads, a
real DNS server (dnsmasq) per test, clients that send datagrams from an address of their own,
and the daemon's UDP metrics.

A flow is one client address:port talking to one service address:port; a new client socket
is a new flow. Every wait is bounded: a datagram that gets no answer is waited for with a
timeout, never retried without bound.

    UdpEcho         answers every datagram with its name, a newline, then the payload (or the
                    payload alone, `named=False`), and records who sent it and where to
    UdpClient       one client socket (one source address:port): `ask` sends one datagram and
                    waits for one reply, checking the address the reply came from
    DnsServer       dnsmasq on a loopback port, serving svc.test A 10.1.2.3 and nothing else,
                    never touching the node's resolver (no resolv.conf, no hosts, no daemon)
"""

from __future__ import annotations

import hashlib
import os
import re
import selectors
import shutil
import socket
import struct
import subprocess
import threading
from dataclasses import dataclass

from .admin import scrape, series
from .basics import ChildProcess, Deadline, can_bind, family_of, pick_port
from .daemon import BINARY
from .node import pod_yaml

MAX_DATAGRAM = 65_507          # the most a UDP datagram carries over IPv4
IO_TIMEOUT = 5.0
# A datagram that should not be answered is waited for this long before the test says "no
# answer": long enough for loopback by far, short enough to keep the suite quick.
SILENCE = 1.0
DNS_NAME = "svc.test"
DNS_ADDRESS = "10.1.2.3"       # only ever an answer in a DNS reply; no traffic goes there


# --------------------------------------------------------------------------- support





# --------------------------------------------------------------------------- ports

def pick_udp_port(hosts=("127.0.0.1", "::1")) -> int:
    """A port free for TCP and UDP on every one of `hosts`, never handed out twice (it comes
    from `pick_port`, which also keeps it below the ephemeral range: nothing sends from it)."""
    for _ in range(100):
        port = pick_port(hosts)
        if all(can_bind(h, port, socket.SOCK_DGRAM) for h in hosts):
            return port
    raise RuntimeError(f"no port free for TCP and UDP on {hosts} after 100 tries")


def refusing_udp_endpoint(host: str = "127.0.0.1") -> tuple[str, int]:
    """An (ip, port) where no UDP socket is bound: a datagram sent there draws ICMP port
    unreachable."""
    return (host, pick_udp_port((host,)))


# --------------------------------------------------------------------------- YAML

@dataclass
class Port:
    """One port of a Service. `target_port` defaults to `port`; endpoints name it by `name`."""
    name: str
    port: int
    protocol: str = "UDP"
    node_port: int | None = None
    target_port: int | str | None = None

    def yaml(self) -> str:
        fields = [f"name: {self.name}", f"port: {self.port}",
                  f"targetPort: {self.target_port if self.target_port is not None else self.port}",
                  f"protocol: {self.protocol}"]
        if self.node_port is not None:
            fields.append(f"nodePort: {self.node_port}")
        return "{" + ", ".join(fields) + "}"


def udp_service_yaml(
    name: str,
    ports: list[Port],
    endpoints: dict[str, list[tuple[str, int]]] | None,
    *,
    cluster_ip: str | None = None,
    namespace: str = "default",
    udp_timeout: str | None = None,
    affinity_timeout: int | None = None,
    node_port: bool | None = None,
    external_ips: list[str] | None = None,
    ip_family_policy: str | None = None,
) -> str:
    """A Service with `ports` and, unless `endpoints` is None, its Endpoints object:
    `endpoints` maps a port name to its (ip, port) endpoints, one subset per endpoint, each
    port carrying its protocol. `udp_timeout` becomes the `svcproxy.io/udp-timeout`
    annotation, `affinity_timeout` turns on `sessionAffinity: ClientIP` with that timeout.
    The type is NodePort when a port has a nodePort (or `node_port=True`)."""
    annotations = f", annotations: {{svcproxy.io/udp-timeout: \"{udp_timeout}\"}}" if udp_timeout else ""
    is_node_port = node_port if node_port is not None else any(p.node_port is not None for p in ports)
    lines = [
        "apiVersion: v1",
        "kind: Service",
        f"metadata: {{name: {name}, namespace: {namespace}{annotations}}}",
        "spec:",
        f"  type: {'NodePort' if is_node_port else 'ClusterIP'}",
    ]
    if cluster_ip is not None:
        lines.append(f'  clusterIP: "{cluster_ip}"')
    if ip_family_policy is not None:
        lines.append(f"  ipFamilyPolicy: {ip_family_policy}")
    if external_ips:
        lines.append("  externalIPs: [" + ", ".join(f'"{ip}"' for ip in external_ips) + "]")
    if affinity_timeout is not None:
        lines.append("  sessionAffinity: ClientIP")
        lines.append(f"  sessionAffinityConfig: {{clientIP: {{timeoutSeconds: {affinity_timeout}}}}}")
    lines.append("  ports:")
    lines += [f"  - {p.yaml()}" for p in ports]
    if endpoints is not None:
        protocols = {p.name: p.protocol for p in ports}
        lines += ["---", "apiVersion: v1", "kind: Endpoints", f"metadata: {{name: {name}, namespace: {namespace}}}"]
        subsets = [(port_name, ip, port) for port_name, eps in endpoints.items() for ip, port in eps]
        if not subsets:
            lines.append("subsets: []")
        else:
            lines.append("subsets:")
            for port_name, ip, port in subsets:
                lines.append(f'- addresses: [{{ip: "{ip}"}}]')
                lines.append(f"  ports: [{{name: {port_name}, port: {port}, "
                             f"protocol: {protocols.get(port_name, 'UDP')}}}]")
    return "\n".join(lines) + "\n"


def udp_pod_yaml(name: str, ip: str, labels: dict[str, str], ports: dict[str, int], namespace: str = "default") -> str:
    """A running, ready Pod at `ip` whose named container ports are UDP."""
    return pod_yaml(name, ip, labels, ports, namespace, protocol="UDP")


def udp_selector_service_yaml(name: str, cluster_ip: str, ports: dict[str, tuple[int, int | str]],
                              selector: str = "{app: web}", namespace: str = "default") -> str:
    """A ClusterIP Service over Pods by selector: `ports` maps the port name to (service port,
    targetPort); every port is UDP."""
    port_text = ", ".join(f"{{name: {n}, port: {p}, targetPort: {t}, protocol: UDP}}" for n, (p, t) in ports.items())
    return f"""\
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  clusterIP: {cluster_ip}
  selector: {selector}
  ports: [{port_text}]
"""


# --------------------------------------------------------------------------- endpoints

@dataclass(frozen=True)
class Seen:
    """One datagram as an endpoint saw it."""
    client: tuple        # the address it came from (the daemon's side of the flow)
    local: tuple         # the address it was sent to (this endpoint's socket)
    size: int
    sha256: str


class UdpEcho:
    """A UDP endpoint on a loopback address as a thread: every datagram is answered at once to
    its sender with `name + b"\\n" + payload` (or the payload alone when `named` is False) and
    recorded as `Seen`. `stop()` ends the thread; it also ends by itself after `lifetime`
    seconds or `max_datagrams` datagrams."""

    def __init__(self, name: str, host: str = "127.0.0.1", port: int = 0, *, named: bool = True,
                 lifetime: float = 300.0, max_datagrams: int = 1_000_000):
        self.name = name
        self.host = host
        self.named = named
        self._prefix = name.encode() + b"\n"
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.records: list[Seen] = []
        self.errors: list[BaseException] = []
        self.sock = socket.socket(family_of(host), socket.SOCK_DGRAM)
        # Room for bursts: thousands of small datagrams, or a few of 64 KiB, wait here while the
        # thread is busy (root may exceed net.core.rmem_max; others get what the kernel allows).
        for option in (33, socket.SO_RCVBUF):   # SO_RCVBUFFORCE, then the capped form
            try:
                self.sock.setsockopt(socket.SOL_SOCKET, option, 8 * 1024 * 1024)
                break
            except OSError:
                continue
        self.sock.bind((host, port))
        self.port = self.sock.getsockname()[1]
        self.local = self.sock.getsockname()[:2]
        self.sock.settimeout(0.1)
        self._lifetime = Deadline(lifetime)
        self._max = max_datagrams
        self._thread = threading.Thread(target=self._serve, name=f"udp-{name}", daemon=True)
        self._thread.start()

    @property
    def endpoint(self) -> tuple[str, int]:
        return (self.host, self.port)

    def _serve(self) -> None:
        buf = bytearray(65536)
        for _ in range(self._max):
            if self._stop.is_set() or self._lifetime.expired():
                return
            try:
                n, client = self.sock.recvfrom_into(buf)
            except (socket.timeout, TimeoutError):
                continue
            except OSError as error:
                if not self._stop.is_set():
                    with self._lock:
                        self.errors.append(error)
                return
            payload = bytes(buf[:n])
            with self._lock:
                self.records.append(Seen(client[:2], self.local, n, hashlib.sha256(payload).hexdigest()))
            try:
                self.sock.sendto(self._prefix + payload if self.named else payload, client)
            except OSError as error:   # the daemon's flow socket may be gone already
                with self._lock:
                    self.errors.append(error)

    def seen(self) -> list[Seen]:
        with self._lock:
            return list(self.records)

    def count(self) -> int:
        with self._lock:
            return len(self.records)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


class DnsServer(ChildProcess):
    """dnsmasq on 127.0.0.1:`port` (UDP and TCP), answering `svc.test A 10.1.2.3` and refusing
    the rest. It runs in the foreground as our child, reads no configuration, no resolv.conf
    and no hosts file, writes no pid file, binds only its address, and drops to `nobody`."""

    def __init__(self, log_dir, port: int | None = None, host: str = "127.0.0.1"):
        binary = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
        if not os.path.exists(binary):
            raise RuntimeError("dnsmasq not installed (scripts/ensure-packages test installs dnsmasq-base)")
        self.host = host
        self.port = port or pick_udp_port((host,))
        self.log_path = os.path.join(str(log_dir), f"dnsmasq-{self.port}.log")
        self.argv = [binary, "--no-daemon", "--no-resolv", "--no-hosts", f"--port={self.port}",
                     f"--listen-address={host}", "--bind-interfaces", f"--address=/{DNS_NAME}/{DNS_ADDRESS}",
                     "--conf-file=/dev/null", "--pid-file=", "--user=nobody", "--group=nogroup",
                     "--log-facility=-"]
        self.launch(self.argv, self._wait_answering)

    def _wait_answering(self) -> None:
        deadline = Deadline(10)
        while not deadline.expired():
            if self.process.poll() is not None:
                raise RuntimeError(f"dnsmasq exited with {self.process.returncode}: {self.log()}")
            if dns_query((self.host, self.port), timeout=0.2) == [DNS_ADDRESS]:
                return
        raise RuntimeError(f"dnsmasq did not answer on {self.host}:{self.port} within 10 s: {self.log()}")


def dns_query(address: tuple[str, int], name: str = DNS_NAME, timeout: float = IO_TIMEOUT) -> list[str] | None:
    """The A records of `name` from the DNS server at `address` over UDP, or None when no
    answer came within `timeout` (a query of our own, so that readiness needs no dig)."""
    query_id = int.from_bytes(os.urandom(2), "big")
    question = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"
    packet = struct.pack(">HHHHHH", query_id, 0x0100, 1, 0, 0, 0) + question + struct.pack(">HH", 1, 1)
    with socket.socket(family_of(address[0]), socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.sendto(packet, address)
            data, _ = sock.recvfrom(4096)
        except (socket.timeout, TimeoutError, ConnectionRefusedError):
            return None
    if len(data) < 12 or struct.unpack(">H", data[:2])[0] != query_id:
        return None
    answers = struct.unpack(">H", data[6:8])[0]
    offset = 12 + len(question) + 4
    found = []
    for _ in range(answers):
        if data[offset] & 0xC0 == 0xC0:
            offset += 2
        else:
            while data[offset]:
                offset += data[offset] + 1
            offset += 1
        rtype, _cls, _ttl, length = struct.unpack(">HHIH", data[offset:offset + 10])
        offset += 10
        if rtype == 1 and length == 4:
            found.append(socket.inet_ntoa(data[offset:offset + 4]))
        offset += length
    return found


def dig(server: str, port: int, name: str = DNS_NAME, tcp: bool = False, timeout: int = 3) -> subprocess.CompletedProcess:
    """`dig @server -p port name +short`, over UDP (one try) or TCP, as a user runs it."""
    command = [shutil.which("dig") or "/usr/bin/dig", f"@{server}", "-p", str(port), name, "A", "+short",
               f"+time={timeout}", "+tries=1", "+tcp" if tcp else "+notcp"]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout * 3 + 5)


# --------------------------------------------------------------------------- clients

@dataclass
class Reply:
    name: str            # the endpoint that answered ("" for an endpoint that answers unnamed)
    payload: bytes
    source: tuple        # where the reply came from, as recvfrom(2) says


class UdpClient:
    """One client socket: one source address and port, so one flow per service address."""

    def __init__(self, source: str = "127.0.0.1", family: socket.AddressFamily | None = None, port: int = 0):
        self.sock = socket.socket(family or family_of(source), socket.SOCK_DGRAM)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024 * 1024)
        except OSError:
            pass
        self.sock.bind((source, port))
        self.address = self.sock.getsockname()[:2]

    @classmethod
    def wrap(cls, sock: socket.socket) -> "UdpClient":
        """A client over a socket that is already bound (one kept open by `many_flows`)."""
        client = cls.__new__(cls)
        client.sock = sock
        sock.setblocking(True)
        client.address = sock.getsockname()[:2]
        return client

    def send(self, address: tuple[str, int], payload: bytes) -> None:
        self.sock.sendto(payload, address)

    def receive(self, timeout: float = IO_TIMEOUT, named: bool = True) -> Reply | None:
        """The next datagram, or None when none comes within `timeout` (or the kernel reports
        the last one refused: nothing answered)."""
        deadline = Deadline(timeout)
        for _ in range(100):    # at least one look, even with no time left
            self.sock.settimeout(max(0.001, deadline.remaining()))
            try:
                data, source = self.sock.recvfrom(65536)
            except (socket.timeout, TimeoutError):
                return None
            except ConnectionRefusedError:
                if deadline.expired():
                    return None
                continue    # an ICMP error for this socket: keep waiting for a datagram
            if named:
                name, _, payload = data.partition(b"\n")
                return Reply(name.decode(errors="replace"), payload, source[:2])
            return Reply("", data, source[:2])
        return None

    def ask(self, address: tuple[str, int], payload: bytes = b"ping", timeout: float = IO_TIMEOUT,
            named: bool = True) -> Reply | None:
        """Send one datagram to `address` and wait for one reply."""
        self.send(address, payload)
        return self.receive(timeout, named)

    def name_from(self, address: tuple[str, int], payload: bytes = b"ping", timeout: float = IO_TIMEOUT) -> str | None:
        """The answering endpoint's name, after checking that the reply echoes `payload` and
        comes from `address` itself; None when nothing answered."""
        reply = self.ask(address, payload, timeout)
        if reply is None:
            return None
        assert reply.payload == payload, (reply.payload[:64], payload[:64])
        assert reply.source == tuple(address[:2]), f"reply from {reply.source}, sent to {address}"
        return reply.name

    def close(self) -> None:
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def replies_within(clients: list["UdpClient"], timeout: float = SILENCE, count: int = 1) -> list[Reply | None]:
    """`count` replies for each client, all waited for against one deadline (so that proving
    silence on several sockets costs `timeout` once); None where nothing came."""
    deadline = Deadline(timeout)
    return [client.receive(deadline.remaining()) for client in clients for _ in range(count)]


def ask_new_flow(address: tuple[str, int], source: str = "127.0.0.1", payload: bytes = b"ping",
                 timeout: float = IO_TIMEOUT) -> str | None:
    """One datagram from a new client socket (a new flow): the answering endpoint's name."""
    with UdpClient(source, family=family_of(address[0])) as client:
        return client.name_from(address, payload, timeout)


@dataclass
class FlowsOutcome:
    sent: int
    answered: int
    resent: int


def many_flows(address: tuple[str, int], count: int, sources: list[str], batch: int, timeout: float,
               keep=()) -> tuple[FlowsOutcome, dict[int, socket.socket]]:
    """`count` flows to `address`, `batch` at a time: each batch opens `batch` sockets bound
    to one source IP of `sources` (each batch its own, so that no source address:port is used
    twice even when the kernel hands out a port again), sends one datagram on each, waits for
    the answers (a datagram unanswered after 1 s is sent once more, on the same socket, that
    is the same flow), and closes them. The sockets whose flow numbers are in `keep` stay
    open and are returned, by flow number."""
    if len(sources) * batch < count:
        raise ValueError("not enough source addresses for distinct flows")
    deadline = Deadline(timeout)
    kept: dict[int, socket.socket] = {}
    sent = answered = resent = 0
    sel = selectors.DefaultSelector()
    try:
        for first in range(0, count, batch):
            if deadline.expired():
                break
            source = sources[first // batch]
            open_socks: dict[socket.socket, int] = {}
            for number in range(first, min(first + batch, count)):
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sock.bind((source, 0))
                sock.setblocking(False)
                sock.sendto(b"flow %d" % number, address)
                sent += 1
                open_socks[sock] = number
                sel.register(sock, selectors.EVENT_READ)
            pending = set(open_socks)
            for attempt in range(2):
                wait = Deadline(min(1.0, deadline.remaining()))
                while pending and not wait.expired():
                    for key, _ in sel.select(timeout=max(0.001, wait.remaining())):
                        sock = key.fileobj
                        try:
                            sock.recv(65536)
                        except (BlockingIOError, ConnectionRefusedError):
                            continue
                        if sock in pending:
                            pending.discard(sock)
                            answered += 1
                if not pending or attempt == 1 or deadline.expired():
                    break
                for sock in pending:
                    sock.sendto(b"flow %d" % open_socks[sock], address)
                    resent += 1
            for sock, number in open_socks.items():
                sel.unregister(sock)
                if number in keep:
                    kept[number] = sock
                else:
                    sock.close()
    finally:
        sel.close()
    return FlowsOutcome(sent, answered, resent), kept


# --------------------------------------------------------------------------- metrics

def udp_series(samples: dict, name: str, service: str, port: str, namespace: str = "default", **labels) -> float:
    """One UDP metric's value for a service port (0 when the page has no such series yet,
    as a counter that never moved may be left out)."""
    value = series(samples, name, namespace=namespace, service=service, port=port, **labels)
    return 0.0 if value is None else value


def udp_metrics(daemon, service: str, port: str, namespace: str = "default") -> dict[str, float]:
    """The UDP figures of one service port, from /metrics: datagrams in and out, flows created,
    active and ended (by reason), datagrams dropped (by reason)."""
    samples = scrape(daemon)
    out = {
        "in": udp_series(samples, "svcproxy_udp_datagrams_total", service, port, namespace, direction="in"),
        "out": udp_series(samples, "svcproxy_udp_datagrams_total", service, port, namespace, direction="out"),
        "flows": udp_series(samples, "svcproxy_udp_flows_total", service, port, namespace),
        "active": udp_series(samples, "svcproxy_udp_flows_active", service, port, namespace),
    }
    for (name, labels), value in samples.items():
        labels = dict(labels)
        if (labels.get("namespace"), labels.get("service"), labels.get("port")) != (namespace, service, port):
            continue
        if name == "svcproxy_udp_flows_ended_total":
            out["ended_" + labels.get("reason", "")] = value
        elif name == "svcproxy_udp_dropped_total":
            out["dropped_" + labels.get("reason", "")] = value
    return out


def settled_metrics(daemon, service: str, port: str, predicate, timeout: float = 5.0,
                    namespace: str = "default") -> dict[str, float]:
    """The figures of `udp_metrics` once `predicate(figures)` holds (counters may trail the
    datagrams a client has already seen by a moment), or the last figures after `timeout`."""
    deadline = Deadline(timeout)
    while True:
        figures = udp_metrics(daemon, service, port, namespace)
        if predicate(figures) or deadline.expired():
            return figures
        threading.Event().wait(0.05)


def ended(figures: dict[str, float], reason: str) -> float:
    return figures.get("ended_" + reason, 0.0)


def dropped(figures: dict[str, float], reason: str) -> float:
    return figures.get("dropped_" + reason, 0.0)


def print_plan(config_paths, *extra) -> subprocess.CompletedProcess:
    """`svcproxy check --print-plan` with the suite's node settings."""
    from .daemon import CLUSTER_IP_RANGE, NODEPORT_ADDRESSES

    command = [str(BINARY), "check"]
    for path in config_paths:
        command += ["--config", str(path)]
    command += ["--print-plan", "--service-cluster-ip-range", CLUSTER_IP_RANGE,
                "--nodeport-addresses", NODEPORT_ADDRESSES, *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=30)


def plan_block(text: str, header: str) -> list[str]:
    """The lines of one service port's block in a printed plan: its header line, then the
    indented lines under it."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        # "default/dns:dns (UDP)" also finds "default/dns:dns (UDP, flows idle out after 30s)".
        traits = header.endswith(")") and line.startswith(header[:-1] + ", ")
        if line.rstrip() == header or line.startswith(header + " ") or line.startswith(header + "\t") or traits:
            block = [line]
            for following in lines[i + 1:]:
                if following[:1] not in (" ", "\t") or not following.strip():
                    break
                block.append(following)
            return block
    return []


# A listen line's address, without the `/UDP` a UDP listener's address carries.
LISTEN = re.compile(r"^\s*listen\s+(\S+?)(?:/UDP)?(?:\s|$)")
