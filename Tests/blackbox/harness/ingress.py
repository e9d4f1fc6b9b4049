"""Ingress tests' pieces: the YAML of Ingresses, IngressClasses, Services and EndpointSlices,
and HTTP clients that see exactly what the daemon sends (raw sockets, keep-alive, pipelining,
WebSocket), plus curl as a user would run it.

YAML documents are written in block style with every string double-quoted (JSON-compatible
scalars), so that names such as `*.foo.example` or `/` never need thought.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import subprocess
from dataclasses import dataclass, field

from .basics import Deadline, KiB, StreamTally, pick_cluster_ip
from .daemon import BINARY, CLUSTER_IP_RANGE, NODEPORT_ADDRESSES, service_yaml
from .http_backend import (
    BufferedSocket, PeerClosed, parse_head, read_websocket_frame, websocket_accept, websocket_frame,
)

CONTROLLER = "svcproxy.io/ingress-controller"
OTHER_CONTROLLER = "k8s.io/ingress-nginx"
CREATED = "2024-01-01T00:00:00Z"
IO_TIMEOUT = 10.0


class _Absent:
    def __repr__(self):
        return "ABSENT"


ABSENT = _Absent()  # a field left out of the object altogether


# --------------------------------------------------------------------------- YAML

def _scalar(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value))


def _emit(value, indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{_scalar(key) if not str(key).isidentifier() else key}:")
                lines += _emit(item, indent + 2)
            else:
                rendered = ("{}" if isinstance(item, dict) else "[]") if isinstance(item, (dict, list)) else _scalar(item)
                lines.append(f"{pad}{_scalar(key) if not str(key).isidentifier() else key}: {rendered}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)) and item:
                inner = _emit(item, indent + 2)
                inner[0] = f"{pad}- " + inner[0][indent + 2:]
                lines += inner
            else:
                lines.append(f"{pad}- {_scalar(item) if not isinstance(item, (dict, list)) else '{}'}")
    else:
        lines.append(pad + _scalar(value))
    return lines


def to_yaml(*documents: dict) -> str:
    return "---\n".join("\n".join(_emit(doc, 0)) + "\n" for doc in documents)


def join_yaml(*texts: str) -> str:
    """Several YAML texts (each one or more documents) as one file."""
    return "---\n".join(text if text.endswith("\n") else text + "\n" for text in texts)


# --------------------------------------------------------------------------- objects

def backend_ref(service: str, port: int | str = "http") -> dict:
    """An IngressBackend: a service port by number (int) or by name (str)."""
    return {"service": {"name": service, "port": {"number": port} if isinstance(port, int) else {"name": port}}}


def path_rule(path: str, service: str, port: int | str = "http", path_type: str = "Prefix") -> dict:
    return {"path": path, "pathType": path_type, "backend": backend_ref(service, port)}


def host_rule(host: str | None, *paths: dict) -> dict:
    """A rule for `host` (None: a rule without host) with the given paths."""
    rule: dict = {} if host is None else {"host": host}
    rule["http"] = {"paths": list(paths)}
    return rule


def ingress_yaml(name: str, *, namespace: str = "default", rules=(), default_backend: dict | tuple | None = None,
                 class_name="svcproxy", annotations: dict | None = None, created: str | None = CREATED) -> str:
    """An Ingress. `class_name=ABSENT` leaves spec.ingressClassName out; `default_backend`
    is a `backend_ref(...)` or a (service, port) pair; `created=None` leaves out
    creationTimestamp."""
    metadata: dict = {"name": name, "namespace": namespace}
    if created is not None:
        metadata["creationTimestamp"] = created
    if annotations:
        metadata["annotations"] = dict(annotations)
    spec: dict = {}
    if class_name is not ABSENT:
        spec["ingressClassName"] = class_name
    if default_backend is not None:
        spec["defaultBackend"] = default_backend if isinstance(default_backend, dict) else backend_ref(*default_backend)
    if rules:
        spec["rules"] = list(rules)
    return to_yaml({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": metadata, "spec": spec})


def ingress_class_yaml(name: str, controller: str = CONTROLLER, default: bool = False) -> str:
    metadata: dict = {"name": name}
    if default:
        metadata["annotations"] = {"ingressclass.kubernetes.io/is-default-class": "true"}
    return to_yaml({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": metadata,
                    "spec": {"controller": controller}})


def http_service_yaml(name: str, endpoints: list[tuple[str, int]] | None, *, namespace: str = "default",
                      port: int = 80, port_name: str = "http") -> str:
    """A ClusterIP Service on a loopback ClusterIP of its own (so that daemons never share a
    listener) with its Endpoints; an Ingress names its port `port_name` or `port`."""
    return service_yaml(name, cluster_ip=pick_cluster_ip(), port=port, endpoints=endpoints,
                        namespace=namespace, port_name=port_name)


def endpoint_slice_yaml(service: str, slice_name: str, address: str, port: int, *, ready: bool | None = True,
                        namespace: str = "default", port_name: str = "http") -> str:
    """An EndpointSlice of `service` holding one endpoint; `ready=None` leaves conditions out."""
    endpoint: dict = {"addresses": [address]}
    if ready is not None:
        endpoint["conditions"] = {"ready": ready}
    return to_yaml({
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": slice_name, "namespace": namespace, "labels": {"kubernetes.io/service-name": service}},
        "addressType": "IPv6" if ":" in address else "IPv4",
        "ports": [{"name": port_name, "port": port, "protocol": "TCP"}],
        "endpoints": [endpoint],
    })


def ingress_bind_args(port: int, host: str = "127.0.0.1") -> tuple[str, ...]:
    return ("--ingress-http-bind-address", f"{host}:{port}")


def check(*paths, extra=(), timeout: float = 10) -> subprocess.CompletedProcess:
    """`svcproxy check --config ... --print-plan EXTRA...`: exit status, stdout, stderr."""
    args = [str(BINARY), "check"]
    for path in paths:
        args += ["--config", str(path)]
    args += ["--nodeport-addresses", NODEPORT_ADDRESSES, "--service-cluster-ip-range", CLUSTER_IP_RANGE,
             "--print-plan", *extra]
    return subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)


def run_status(daemon, *args, timeout: float = 10) -> subprocess.CompletedProcess:
    return subprocess.run([str(BINARY), "status", "--socket", daemon.status_socket, *args],
                          capture_output=True, text=True, timeout=timeout)


# --------------------------------------------------------------------------- responses

@dataclass
class Response:
    version: str
    status: int
    reason: str
    fields: list[tuple[str, str]]
    body: bytes = b""
    interim: list[int] = field(default_factory=list)
    framing: str = "none"  # "length", "chunked", "close" or "none"
    body_length: int = 0
    body_sha256: str = ""

    def header(self, name: str) -> str | None:
        values = self.headers_named(name)
        return ", ".join(values) if values else None

    def headers_named(self, name: str) -> list[str]:
        return [value for key, value in self.fields if key.lower() == name.lower()]

    @property
    def json(self) -> dict:
        try:
            return json.loads(self.body)
        except ValueError as error:
            raise AssertionError(f"not a backend's JSON answer: {self}") from error

    @property
    def backend(self) -> str:
        """The name of the backend that answered (from its X-Backend header)."""
        return self.header("X-Backend") or f"<no backend: {self.status}>"

    @property
    def closes(self) -> bool:
        return "close" in {t.strip().lower() for t in (self.header("Connection") or "").split(",")}

    def __str__(self) -> str:
        shown = self.body[:300]
        return f"{self.version} {self.status} {self.reason} {self.fields} body[{self.body_length}]={shown!r}"


def read_response(reader: BufferedSocket, method: str = "GET", sink=None, keep_body: bool = True,
                  on_head=None) -> Response:
    """One response from `reader`: interim 1xx responses are noted and skipped (101 is
    final); the body is framed as RFC 9112 §6.3 says for a response to `method`. With `sink`,
    body bytes go there as they come; with keep_body=False only their count and SHA-256 are
    kept. `on_head(response)` runs once the final head is in, before any body is read."""
    interim: list[int] = []
    while True:
        head = reader.read_head()
        if head is None:
            raise PeerClosed("connection closed before a response")
        status_line, fields = parse_head(head)
        version, code, *reason = status_line.split(" ", 2)
        status = int(code)
        if 100 <= status < 200 and status != 101:
            interim.append(status)
            continue
        break
    response = Response(version, status, reason[0] if reason else "", fields, interim=interim)
    tally = StreamTally()
    parts: list[bytes] = []

    def take(data):
        tally.add(data)
        if sink is not None:
            sink(data)
        if keep_body:
            parts.append(bytes(data))

    if on_head is not None:
        on_head(response)
    encoding = (response.header("Transfer-Encoding") or "").lower()
    length = response.header("Content-Length")
    if method == "HEAD" or status in (101, 204, 304):
        response.framing = "none"
    elif encoding.endswith("chunked"):
        response.framing = "chunked"
        reader.stream_chunked(take)
    elif length is not None:
        response.framing = "length"
        reader.stream_exact(int(length), take)
    else:
        response.framing = "close"
        while True:
            data = reader.read_some()
            if not data:
                break
            take(data)
    response.body = b"".join(parts)
    response.body_length, response.body_sha256 = tally.count, tally.hexdigest
    return response


def build_request(method: str, path: str, host: str | None, headers=(), body: bytes | None = None,
                  version: str = "HTTP/1.1") -> bytes:
    lines = [f"{method} {path} {version}"]
    if host is not None:
        lines.append(f"Host: {host}")
    names = set()
    for name, value in (headers.items() if isinstance(headers, dict) else headers):
        lines.append(f"{name}: {value}")
        names.add(name.lower())
    if body is not None and "content-length" not in names and "transfer-encoding" not in names:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


class HTTPClient:
    """One client TCP connection to the daemon, used request after request (keep-alive) or
    with raw bytes; every read waits at most `timeout`."""

    def __init__(self, address: tuple[str, int], timeout: float = IO_TIMEOUT, source: str | None = None,
                 rcvbuf: int | None = None):
        self.address = address
        self.sock = socket.socket(socket.AF_INET6 if ":" in address[0] else socket.AF_INET, socket.SOCK_STREAM)
        try:
            if rcvbuf is not None:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)  # before the handshake
            if source is not None:
                self.sock.bind((source, 0))
            self.sock.settimeout(timeout)
            self.sock.connect(address)
        except BaseException:
            self.sock.close()
            raise
        self.reader = BufferedSocket(self.sock)
        self.local_port = self.sock.getsockname()[1]

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def request(self, method: str = "GET", path: str = "/", host: str | None = "foo.example", headers=(),
                body: bytes | None = None, version: str = "HTTP/1.1", **read_options) -> Response:
        self.send(build_request(method, path, host, headers, body, version))
        return self.response(method, **read_options)

    def get(self, path: str = "/", host: str | None = "foo.example", headers=()) -> Response:
        return self.request("GET", path, host, headers)

    def response(self, method: str = "GET", **read_options) -> Response:
        return read_response(self.reader, method, **read_options)

    def wait_closed(self, timeout: float = IO_TIMEOUT) -> str:
        """Wait for the daemon to end the connection: "eof", "reset" or "timeout"; data left
        in the buffer or arriving meanwhile is an error: "data: ..."."""
        if self.reader.buf:
            return f"data: {bytes(self.reader.buf[:200])!r}"
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(64 * KiB)
        except ConnectionResetError:
            return "reset"
        except (socket.timeout, TimeoutError):
            return "timeout"
        return "eof" if not data else f"data: {data[:200]!r}"

    def close(self) -> None:
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@dataclass
class StreamedRequest:
    response: Response | None
    sent: int
    sent_sha256: str
    errors: list


def stream_request(client: HTTPClient, method: str, path: str, host: str, chunks, *, headers=(),
                   length: int | None = None, timeout: float = 60.0, **read_options) -> StreamedRequest:
    """Send a request whose body comes from `chunks` (Content-Length `length`, or chunked
    when None) from a thread of its own while this thread reads the response: both
    directions move at once, as a client that streams does."""
    fields = list(headers.items() if isinstance(headers, dict) else headers)
    fields.append(("Content-Length", str(length)) if length is not None else ("Transfer-Encoding", "chunked"))
    sent = StreamTally()
    errors: list[BaseException] = []

    def send_all():
        try:
            client.send(build_request(method, path, host, fields))
            for chunk in chunks:
                client.send(b"%x\r\n%s\r\n" % (len(chunk), chunk) if length is None else chunk)
                sent.add(chunk)
            if length is None:
                client.send(b"0\r\n\r\n")
        except OSError as error:
            errors.append(error)

    sender = threading.Thread(target=send_all, name="request-body", daemon=True)
    client.sock.settimeout(timeout)
    sender.start()
    try:
        response = client.response(method, **read_options)
    except (OSError, ValueError) as error:
        errors.append(error)
        response = None
    finally:
        sender.join(timeout=timeout)
    return StreamedRequest(response, sent.count, sent.hexdigest, errors)


def get(address: tuple[str, int], path: str = "/", host: str | None = "foo.example", headers=(),
        method: str = "GET", body: bytes | None = None, source: str | None = None, timeout: float = IO_TIMEOUT) -> Response:
    """One request on a connection of its own."""
    with HTTPClient(address, timeout, source) as client:
        return client.request(method, path, host, headers, body)


def raw_exchange(address: tuple[str, int], data: bytes, timeout: float = IO_TIMEOUT) -> tuple[Response | None, str]:
    """Send raw bytes, read one response, then how the connection ends ("eof", "reset",
    "timeout" or "data: ..." when more follows)."""
    with HTTPClient(address, timeout) as client:
        try:
            client.send(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the daemon may answer and close before reading everything we send
        try:
            response = client.response()
        except (PeerClosed, ConnectionResetError) as error:
            return None, repr(error)
        return response, client.wait_closed(timeout)


# --------------------------------------------------------------------------- curl

@dataclass
class CurlResult:
    status: int
    body: bytes
    returncode: int
    stderr: str

    @property
    def json(self) -> dict:
        return json.loads(self.body)


def curl(address: tuple[str, int], url_host: str, path: str = "/", *args: str, resolve: bool = True,
         timeout: float = IO_TIMEOUT) -> CurlResult:
    """curl http://URL_HOST:PORT/PATH, with URL_HOST resolved to the daemon's address
    (`--resolve`), or, with resolve=False, the URL naming the address and args giving -H Host."""
    ip, port = address
    if resolve:
        url = f"http://{url_host}:{port}{path}"
        target = ["--resolve", f"{url_host}:{port}:{ip}", url]
    else:
        url = f"http://{ip}:{port}{path}"
        target = [url]
    result = subprocess.run(["curl", "-sS", "--max-time", str(timeout), "-o", "-", "-w", "\n%{http_code}",
                             *args, *target], capture_output=True, timeout=timeout + 5)
    body, _, code = result.stdout.rpartition(b"\n")
    return CurlResult(int(code or b"0"), body, result.returncode, result.stderr.decode(errors="replace"))


# --------------------------------------------------------------------------- WebSocket

def websocket_connect(address: tuple[str, int], host: str, path: str = "/ws", timeout: float = IO_TIMEOUT):
    """Open a WebSocket through the daemon: (client, 101 response). Raises AssertionError
    when the answer is not a valid 101."""
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    client = HTTPClient(address, timeout)
    response = client.request("GET", path, host, [("Upgrade", "websocket"), ("Connection", "Upgrade"),
                                                  ("Sec-WebSocket-Key", key), ("Sec-WebSocket-Version", "13")])
    if response.status != 101:
        client.close()
        raise AssertionError(f"WebSocket upgrade answered {response}")
    if response.header("Sec-WebSocket-Accept") != websocket_accept(key):
        client.close()
        raise AssertionError(f"wrong Sec-WebSocket-Accept in {response}")
    return client, response


def websocket_send(client: HTTPClient, payload: bytes, opcode: int = 0x1) -> None:
    client.send(websocket_frame(payload, opcode, mask=True))


def websocket_receive(client: HTTPClient) -> tuple[int, bytes]:
    opcode, payload, _ = read_websocket_frame(client.reader)
    return opcode, payload


# --------------------------------------------------------------------------- the daemon

def wait_for_log(daemon, predicate, timeout: float = 5.0) -> list[str]:
    """The daemon's log lines, once `predicate(lines)` holds (or the deadline passes)."""
    deadline = Deadline(timeout)
    while True:
        lines = daemon.log_text().splitlines()
        if predicate(lines) or deadline.expired():
            return lines
        time.sleep(0.05)


def listening(address: tuple[str, int]) -> bool:
    """Whether a TCP connect to `address` is accepted (refused: False)."""
    try:
        socket.create_connection(address, timeout=2).close()
        return True
    except ConnectionRefusedError:
        return False




# --------------------------------------------------------------------------- set-ups

def http_services(start_http_backend, *names: str, **options):
    """One HTTP backend and one Service (with its Endpoints) per name; "team/api" puts
    Service "api" in namespace "team" behind a backend called "team/api".
    Returns ({name: Backend}, YAML of the Services)."""
    backends = {}
    texts = []
    for full in names:
        namespace, _, name = full.rpartition("/")
        backends[full] = start_http_backend(full, **options)
        texts.append(http_service_yaml(name, [backends[full].endpoint], namespace=namespace or "default"))
    return backends, join_yaml(*texts)


def answered_by(address: tuple[str, int], host: str | None, path: str) -> str:
    """The name of the backend that answered GET `path` with Host `host`, or the status
    code (as text) when the daemon answered itself."""
    response = get(address, path, host)
    return response.backend if response.status == 200 and response.header("X-Backend") else str(response.status)


def mismatches(address: tuple[str, int], cases) -> list[str]:
    """Every (host, path, expected) case whose answer differs, described."""
    wrong = []
    for host, path, expected in cases:
        got = answered_by(address, host, path)
        if got != expected:
            wrong.append(f"Host {host!r} {path!r}: expected {expected}, got {got}")
    return wrong
