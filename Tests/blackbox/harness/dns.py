"""The cluster DNS from the outside: the YAML that gives names something to answer, DNS
servers of our own (dnsmasq as the upstream, unbound as a reference that serves the same
records from a hand-written zone), and the clients a user has (`dig`, `kdig`, glibc) plus
dnspython for what those cannot send.

Every query here has a timeout and one try; nothing is ever sent beyond loopback.

    Upstream        dnsmasq on a loopback port answering `records` (name -> IPv4) and refusing
                    the rest; reads no resolv.conf, no hosts file, no configuration
    SilentUpstream  a UDP socket that is bound and never read: an upstream that never answers
    Reference       unbound on a loopback port serving a zone from master-file lines, for
                    checking a test's assertions against a real DNS server
    tool_query      `dig` or `kdig` as a user runs it, its output parsed into a `ToolAnswer`
    query           one dnspython query over UDP or TCP, the reply as a dns.message.Message
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.opcode
import dns.query
import dns.rcode
import dns.rdatatype
import dns.reversename
import pytest

from .basics import ChildProcess, Deadline, family_of
from .daemon import BINARY, CLUSTER_IP_RANGE, NODEPORT_ADDRESSES, Daemon
from .udp import Port, pick_udp_port

ZONE = "cluster.local"
# SVCPROXY_DNS_REFERENCE=unbound: the module fixtures serve the tests' zone from unbound
# instead of svcproxy, to check the tests against a real DNS server.
REFERENCE = os.environ.get("SVCPROXY_DNS_REFERENCE") == "unbound"
IO_TIMEOUT = 3.0
TOOLS = ("dig", "kdig")


# --------------------------------------------------------------------------- names

def fqdn(name: str) -> str:
    return name if name.endswith(".") else name + "."


def service_name(service: str, namespace: str = "default", zone: str = ZONE) -> str:
    return f"{service}.{namespace}.svc.{zone}."


def reverse_name(address: str) -> str:
    """The PTR owner of an IPv4 (in-addr.arpa) or IPv6 (ip6.arpa) address."""
    return dns.reversename.from_address(address).to_text()


# --------------------------------------------------------------------------- YAML

def _ports_text(ports: list[Port]) -> str:
    return "[" + ", ".join(p.yaml() for p in ports) + "]"


def cluster_ip_service_yaml(name: str, cluster_ip: str, ports: list[Port], namespace: str = "default") -> str:
    """A ClusterIP Service at `cluster_ip` with `ports` and an Endpoints object without
    addresses (the DNS names of a proxied Service do not depend on its endpoints)."""
    return f"""\
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  type: ClusterIP
  clusterIP: "{cluster_ip}"
  ports: {_ports_text(ports)}
---
apiVersion: v1
kind: Endpoints
metadata: {{name: {name}, namespace: {namespace}}}
subsets: []
"""


def headless_service_yaml(name: str, ports: list[Port], *, selector: str | None = None,
                          publish_not_ready: bool = False, namespace: str = "default") -> str:
    """A headless Service (`clusterIP: None`), over Pods by `selector` or, without one, over
    the Endpoints/EndpointSlices written for it."""
    lines = ["apiVersion: v1", "kind: Service", f"metadata: {{name: {name}, namespace: {namespace}}}", "spec:",
             "  type: ClusterIP", "  clusterIP: None", f"  ports: {_ports_text(ports)}"]
    if selector:
        lines.append(f"  selector: {selector}")
    if publish_not_ready:
        lines.append("  publishNotReadyAddresses: true")
    return "\n".join(lines) + "\n"


@dataclass
class SliceEndpoint:
    ip: str
    hostname: str | None = None
    ready: bool = True


def endpoint_slice_yaml(service: str, endpoints: list[SliceEndpoint], ports: list[Port], *,
                        namespace: str = "default", suffix: str = "abc12") -> str:
    """A discovery.k8s.io/v1 EndpointSlice of `service`; `ports` are the endpoints' own ports
    (named as the Service's)."""
    address_type = "IPv6" if endpoints and ":" in endpoints[0].ip else "IPv4"
    lines = ["apiVersion: discovery.k8s.io/v1", "kind: EndpointSlice",
             f"metadata: {{name: {service}-{suffix}, namespace: {namespace}, "
             f"labels: {{kubernetes.io/service-name: {service}}}}}",
             f"addressType: {address_type}", "endpoints:" if endpoints else "endpoints: []"]
    for endpoint in endpoints:
        hostname = f", hostname: {endpoint.hostname}" if endpoint.hostname else ""
        lines.append(f'- {{addresses: ["{endpoint.ip}"], conditions: {{ready: {str(endpoint.ready).lower()}}}{hostname}}}')
    lines.append("ports: [" + ", ".join(f"{{name: {p.name}, port: {p.port}, protocol: {p.protocol}}}"
                                        for p in ports) + "]")
    return "\n".join(lines) + "\n"


def endpoints_yaml(service: str, ready: list[tuple[str, str | None]], not_ready: list[str], ports: list[Port],
                   namespace: str = "default") -> str:
    """A v1 Endpoints object with one subset: `ready` as (ip, hostname or None) addresses,
    `not_ready` as notReadyAddresses."""
    def address(ip, hostname=None):
        return f'{{ip: "{ip}"' + (f", hostname: {hostname}" if hostname else "") + "}"
    port_text = ", ".join(f"{{name: {p.name}, port: {p.port}, protocol: {p.protocol}}}" for p in ports)
    subset = f"- addresses: [{', '.join(address(ip, h) for ip, h in ready)}]\n"
    if not_ready:
        subset += f"  notReadyAddresses: [{', '.join(address(ip) for ip in not_ready)}]\n"
    subset += f"  ports: [{port_text}]\n"
    return (f"apiVersion: v1\nkind: Endpoints\nmetadata: {{name: {service}, namespace: {namespace}}}\n"
            f"subsets:\n{subset}")


def external_name_service_yaml(name: str, external_name: str, namespace: str = "default") -> str:
    return (f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: {namespace}}}\n"
            f"spec: {{type: ExternalName, externalName: {external_name}}}\n")


def named_pod_yaml(name: str, ip: str, labels: dict[str, str], ports: dict[str, int], *, hostname: str,
                   subdomain: str, ready: bool = True, namespace: str = "default") -> str:
    """A running Pod at `ip` with `spec.hostname` and `spec.subdomain` (a headless Service's
    name gives it `<hostname>.<subdomain>.<ns>.svc.<zone>`)."""
    label_text = ", ".join(f"{k}: {v}" for k, v in labels.items())
    port_text = ", ".join(f"{{name: {n}, containerPort: {p}, protocol: TCP}}" for n, p in ports.items())
    return f"""\
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: {namespace}, labels: {{{label_text}}}}}
spec:
  hostname: {hostname}
  subdomain: {subdomain}
  containers:
  - {{name: app, image: example/app, ports: [{port_text}]}}
status:
  phase: Running
  podIP: {ip}
  conditions: [{{type: Ready, status: "{'True' if ready else 'False'}"}}]
"""


def documents(*parts: str) -> str:
    return "\n---\n".join(part.strip("\n") for part in parts if part.strip()) + "\n"


def proxy_configuration_yaml(**fields) -> str:
    """A ProxyConfiguration document; list values are written as flow sequences of strings."""
    lines = ["apiVersion: svcproxy.io/v1alpha1", "kind: ProxyConfiguration"]
    for key, value in fields.items():
        if isinstance(value, (list, tuple)):
            value = "[" + ", ".join(f'"{v}"' for v in value) + "]"
        lines.append(f"{key}: {value}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- the daemon

def pick_dns_address(host: str = "127.0.0.1") -> tuple[str, int]:
    """An address:port free for both UDP and TCP on `host`."""
    return (host, pick_udp_port((host,)))


def dns_args(address: tuple[str, int], upstreams=("none",), ttl: str | None = None, *extra: str) -> tuple[str, ...]:
    """The `svcproxy run` flags that turn DNS on at `address` with these upstreams."""
    args = ["--dns-bind-address", format_address(address)]
    for upstream in upstreams:
        args += ["--dns-upstream", upstream if isinstance(upstream, str) else format_address(upstream)]
    if ttl is not None:
        args += ["--dns-ttl", ttl]
    return (*args, *extra)


def format_address(address: tuple[str, int]) -> str:
    host, port = address[:2]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def print_zone(config_paths, *extra: str) -> subprocess.CompletedProcess:
    """`svcproxy check --print-zone` with the suite's node settings."""
    command = [str(BINARY), "check"]
    for path in config_paths:
        command += ["--config", str(path)]
    command += ["--print-zone", "--service-cluster-ip-range", CLUSTER_IP_RANGE,
                "--nodeport-addresses", NODEPORT_ADDRESSES, *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=30)


def zone_lines(text: str) -> list[list[str]]:
    """The resource records of a master-file text, each split into fields (comments, blank
    lines and $ directives left out)."""
    out = []
    for line in text.splitlines():
        if line.lstrip().startswith(";"):
            continue                                      # a whole-line comment, quotes and all
        line = re.sub(r';[^"]*$', "", line).strip()      # a comment, unless inside a quoted string
        if line and not line.startswith("$"):
            out.append(line.split())
    return out


# --------------------------------------------------------------------------- servers of our own

def _wait_answering(process: subprocess.Popen, address: tuple[str, int], name: str, describe) -> None:
    deadline = Deadline(10)
    while not deadline.expired():
        if process.poll() is not None:
            raise RuntimeError(f"{describe()} exited with {process.returncode}")
        try:
            query(address, name, "SOA", timeout=0.3)
            return
        except (dns.exception.Timeout, OSError):
            continue
    raise RuntimeError(f"{describe()} did not answer on {address} within 10 s")


class Upstream(ChildProcess):
    """dnsmasq on `host`:port (UDP and TCP): `records` maps a domain to an IPv4 address
    (dnsmasq's --address: the domain and every name under it), `txt` a name to a TXT string;
    everything else is REFUSED. It runs in the foreground as our child, logs every query."""

    def __init__(self, log_dir, records: dict[str, str], host: str = "127.0.0.1", txt: dict[str, str] | None = None,
                 port: int | None = None):
        binary = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
        if not os.path.exists(binary):
            raise RuntimeError("dnsmasq not installed (scripts/ensure-packages test installs dnsmasq-base)")
        self.host = host
        self.port = port or pick_udp_port((host,))
        self.records = dict(records)
        self.log_path = os.path.join(str(log_dir), f"dnsmasq-{self.port}.log")
        argv = [binary, "--no-daemon", "--no-resolv", "--no-hosts", f"--port={self.port}",
                f"--listen-address={host}", "--bind-interfaces", "--conf-file=/dev/null", "--pid-file=",
                "--user=nobody", "--group=nogroup", "--log-facility=-", "--log-queries", "--cache-size=0"]
        argv += [f"--address=/{name}/{ip}" for name, ip in records.items()]
        argv += [f"--txt-record={name},{text}" for name, text in (txt or {}).items()]
        first = next(iter(records))
        self.launch(argv, lambda: _wait_answering(self.process, self.endpoint, first, lambda: f"dnsmasq ({self.log()})"))

    def queries_for(self, name: str) -> int:
        """How many queries for `name` reached this server (from its query log)."""
        name = name.rstrip(".").lower()
        return sum(1 for line in self.log().splitlines() if re.search(rf"query\[\w+\] {re.escape(name)} from", line.lower()))


class SilentUpstream:
    """A UDP socket bound on `host` and never read: queries sent there get no answer."""

    def __init__(self, host: str = "127.0.0.1"):
        self.sock = socket.socket(family_of(host), socket.SOCK_DGRAM)
        self.sock.bind((host, pick_udp_port((host,))))
        self.endpoint = self.sock.getsockname()[:2]

    def stop(self) -> None:
        self.sock.close()


class Reference(ChildProcess):
    """unbound on `host`:port serving `zone_lines` (master-file records) under the static local
    zones `zones`, forwarding `forward` (a domain -> (ip, port)) elsewhere, rotating rrsets.
    Stands in for svcproxy when SVCPROXY_DNS_REFERENCE=unbound, to check the tests' own logic."""

    def __init__(self, log_dir, zone: str, zone_lines: list[str], host: str = "127.0.0.1",
                 forward: dict[str, tuple[str, int]] | None = None, extra_zones: tuple[str, ...] = ()):
        binary = shutil.which("unbound") or "/usr/sbin/unbound"
        if not os.path.exists(binary):
            raise RuntimeError("unbound not installed")
        self.host = host
        self.port = pick_udp_port((host,))
        self.log_path = os.path.join(str(log_dir), f"unbound-{self.port}.log")
        config_path = os.path.join(str(log_dir), f"unbound-{self.port}.conf")
        lines = ["server:", f"  interface: {host}@{self.port}", "  do-daemonize: no", "  use-syslog: no",
                 '  logfile: ""', '  username: ""', '  chroot: ""', f'  directory: "{log_dir}"', '  pidfile: ""',
                 "  access-control: 127.0.0.0/8 allow", "  access-control: ::1/128 allow",
                 "  rrset-roundrobin: yes", "  edns-buffer-size: 1232", "  max-udp-size: 1232", "  do-not-query-localhost: no", '  module-config: "iterator"',
                 "  minimal-responses: no", f'  local-zone: "{fqdn(zone)}" static']
        lines += [f'  local-zone: "{fqdn(z)}" static' for z in extra_zones]
        for record in zone_lines:
            quote = "'" if '"' in record else '"'    # unbound keeps a TXT's own quotes inside single ones
            lines.append(f"  local-data: {quote}{record}{quote}")
        for domain, (ip, port) in (forward or {}).items():
            lines += ["forward-zone:", f'  name: "{fqdn(domain)}"', f"  forward-addr: {ip}@{port}"]
        with open(config_path, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.launch([binary, "-d", "-c", config_path],
                    lambda: _wait_answering(self.process, self.endpoint, zone, lambda: f"unbound ({self.log()})"))


# --------------------------------------------------------------------------- a served zone

@dataclass
class Served:
    """The server under test at `address`: svcproxy (`daemon`), or unbound as the reference."""
    address: tuple[str, int]
    reference: bool
    daemon: Daemon | None = None


svcproxy_only = pytest.mark.skipif(REFERENCE, reason="starts svcproxy itself (no unbound stand-in)")


@contextmanager
def serve_zone(workdir: Path, config_text: str, reference_lines, upstreams=("none",), ttl: str | None = None,
               extra_args: tuple[str, ...] = (), forward: dict | None = None):
    """svcproxy serving DNS for `config_text` on a picked 127.0.0.1 port, for a module of
    tests; with SVCPROXY_DNS_REFERENCE=unbound, unbound serving `reference_lines()` instead
    (forwarding `forward`, a domain -> (ip, port)). The daemon's log tail is printed when it
    stops, which pytest shows with a failure."""
    if REFERENCE:
        server = Reference(workdir, ZONE, reference_lines(), forward=forward,
                           extra_zones=("10.in-addr.arpa", "127.in-addr.arpa", "ip6.arpa"))
        try:
            yield Served(server.endpoint, True)
        finally:
            server.stop()
        return
    config = workdir / "cluster.yaml"
    config.write_text(config_text)
    address = pick_dns_address()
    daemon = Daemon([config], Path(tempfile.mkdtemp(dir=workdir)),
                    extra_args=(*dns_args(address, upstreams, ttl), *extra_args))
    try:
        yield Served(address, False, daemon)
    finally:
        print(daemon.log_tail(60))
        daemon.stop()


# --------------------------------------------------------------------------- dnspython

def query(address: tuple[str, int], name: str, rdtype: str = "A", *, tcp: bool = False,
          timeout: float = IO_TIMEOUT, edns: int | None = None, payload: int = 1232,
          message: dns.message.Message | None = None) -> dns.message.Message:
    """One query over UDP (one try) or TCP and its reply. `edns=None` sends no OPT record."""
    if message is None:
        message = dns.message.make_query(name, rdtype, use_edns=edns if edns is not None else False,
                                         payload=payload)
    host, port = address[:2]
    if tcp:
        return dns.query.tcp(message, host, port=port, timeout=timeout)
    return dns.query.udp(message, host, port=port, timeout=timeout, ignore_unexpected=True)


def rcode(message: dns.message.Message) -> str:
    return dns.rcode.to_text(message.rcode())


def answers(message: dns.message.Message, rdtype: str | None = None, section: str = "answer") -> list[str]:
    """The rdata of every record of `rdtype` (any type when None) in a section, as text."""
    out = []
    for rrset in getattr(message, section):
        if rdtype is None or rrset.rdtype == dns.rdatatype.from_text(rdtype):
            out += [rdata.to_text() for rdata in rrset]
    return out


def addresses(message: dns.message.Message) -> list[str]:
    return answers(message, "A") + answers(message, "AAAA")


def raw_exchange(address: tuple[str, int], payload: bytes, timeout: float = 1.0) -> bytes | None:
    """Send `payload` as one UDP datagram and return the first reply, or None after `timeout`."""
    with socket.socket(family_of(address[0]), socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(payload, address)
        try:
            return sock.recv(65535)
        except (socket.timeout, TimeoutError, ConnectionRefusedError):
            return None


def header_of(reply: bytes) -> dict[str, int]:
    """The fields of a DNS header read by hand (works on replies dnspython cannot parse)."""
    ident, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", reply[:12])
    return {"id": ident, "qr": flags >> 15, "opcode": (flags >> 11) & 0xF, "tc": (flags >> 9) & 1,
            "rcode": flags & 0xF, "qdcount": qd, "ancount": an, "nscount": ns, "arcount": ar}


# --------------------------------------------------------------------------- dig and kdig

@dataclass
class Record:
    name: str
    ttl: int
    type: str
    data: str

    @property
    def owner(self) -> str:
        return self.name.lower()


@dataclass
class ToolAnswer:
    """What `dig` or `kdig` printed, parsed: the status (rcode), the header flags, the
    records of each section, and the UDP payload size of the server's OPT record."""
    status: str
    flags: set[str]
    answer: list[Record] = field(default_factory=list)
    authority: list[Record] = field(default_factory=list)
    additional: list[Record] = field(default_factory=list)
    edns_udp: int | None = None
    output: str = ""

    def data(self, rdtype: str, section: str = "answer") -> list[str]:
        return [r.data for r in getattr(self, section) if r.type == rdtype]


_SECTION = re.compile(r"^;; (ANSWER|AUTHORITY|ADDITIONAL) SECTION:")


def parse_tool_output(text: str) -> ToolAnswer:
    """Parse the full output of `dig` (BIND 9) or `kdig` (Knot): the header line, the flags
    line, the OPT pseudosection and the record sections."""
    status = re.search(r"status: (\w+)", text)
    flags = re.search(r";; [Ff]lags: ([a-z ]*)", text)
    edns = re.search(r"udp: (\d+)|UDP size: (\d+)", text)
    result = ToolAnswer(status.group(1) if status else "NO-ANSWER",
                        set(flags.group(1).split()) if flags else set(),
                        edns_udp=int(next(g for g in edns.groups() if g)) if edns else None, output=text)
    section = None
    for line in text.splitlines():
        match = _SECTION.match(line)
        if match:
            section = match.group(1).lower()
            continue
        if not line.strip() or line.startswith(";"):
            if not line.strip():
                section = None
            continue
        if section is None:
            continue
        fields = line.split(None, 4)
        if len(fields) < 5 or fields[2] != "IN":
            continue
        name, ttl, _class, rdtype, data = fields
        getattr(result, section).append(Record(name, int(ttl), rdtype, " ".join(data.split())))
    return result


def tool_query(tool: str, address: tuple[str, int], name: str, rdtype: str = "A", *, tcp: bool = False,
               timeout: int = 3, reverse: bool = False) -> ToolAnswer:
    """`dig` or `kdig` against `address` for `name` and `rdtype` (or `-x name` with
    `reverse`), one try, over UDP or TCP, full output parsed."""
    host, port = address[:2]
    binary = shutil.which(tool) or f"/usr/bin/{tool}"
    question = ["-x", name] if reverse else [name, rdtype]
    if tool == "dig":
        options = [f"+time={timeout}", "+tries=1", "+tcp" if tcp else "+notcp"]
    else:
        options = [f"+time={timeout}", "+retry=0", "+tcp" if tcp else "+notcp"]
    command = [binary, f"@{host}", "-p", str(port), *question, *options]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout * 3 + 5)
    return parse_tool_output(done.stdout + done.stderr)
