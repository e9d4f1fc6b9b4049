"""A real HTTP/1.1 server as a backend: what the Ingress proxy sends requests to.

Built on `Backend` (one thread per accepted connection, each ending by itself), on raw
sockets so that every response can be shaped as a test needs: Content-Length, chunked or
close-delimited bodies, interim responses, no answer at all, a WebSocket echo after 101.

By default each request is answered 200 with a JSON body naming the backend and what it
received, and a `X-Backend: NAME` header:

    {"backend": "a", "method": "GET", "path": "/x?q=1", "version": "HTTP/1.1",
     "headers": {"host": "foo.example", ...},           # lowercased; repeats joined by ", "
     "header_list": [["Host", "foo.example"], ...],     # as received, in order
     "body_length": 0, "body_sha256": "e3b0...", "connection": 1, "request_on_connection": 1}

A request picks another answer with headers of its own (end-to-end, so the proxy passes
them on):

    X-Mode: json (default) | length | stream | close-delimited | echo | status | slow |
            partial-head | close | early-hints
    X-Bytes: N           body size for length, stream and close-delimited (pattern bytes, seed N)
    X-Delay: SECONDS     wait this long after the request body before answering
    X-Status: CODE       for X-Mode: status (204 and 304 get no body; others a short one)
    X-Reply-Header: Name: value   (repeatable) added to the response head
    X-Expect-Reply: CODE with Expect: 100-continue: answer CODE at once, never read the body

An `Upgrade: websocket` request is answered 101 and the connection becomes a WebSocket echo
(see `serve_websocket`). Backend-wide options (`http_handler(...)`) set the default mode,
close connections right after accept (for 502), or drop chosen requests of each
connection without an answer (a pooled connection that turns out closed).

Every request is recorded in `backend.records` as the same dict as the JSON body (plus
`mode`); `backend.accepted` counts TCP connections; `backend.bytes_sent` counts body bytes
of streamed responses as they are handed to the kernel (for backpressure tests).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import socket
import struct
import threading
import time

from .backends import Backend
from .basics import KiB, MiB, StreamTally, pattern_chunks

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC11B3F"
MAX_HEAD = 1 * MiB  # far above the proxy's limits: the backend never refuses what the proxy lets through
SLOW_HOLD = 30.0    # how long X-Mode: slow keeps a request unanswered at most

_REASONS = {
    100: "Continue", 101: "Switching Protocols", 103: "Early Hints", 200: "OK", 201: "Created",
    204: "No Content", 304: "Not Modified", 400: "Bad Request", 404: "Not Found", 413: "Content Too Large",
    417: "Expectation Failed", 500: "Internal Server Error", 503: "Service Unavailable",
}


class PeerClosed(ConnectionError):
    """The peer ended the stream in the middle of a message."""


class BufferedSocket:
    """A socket with a read buffer: lines, heads, exact counts, and whatever is there."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buf = bytearray()

    def fill(self, size: int = 256 * KiB) -> bool:
        data = self.sock.recv(size)
        if not data:
            return False
        self.buf += data
        return True

    def read_head(self, limit: int = MAX_HEAD) -> bytes | None:
        """Up to and including the blank line; None at a clean end of stream before any byte."""
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0:
                head = bytes(self.buf[: end + 4])
                del self.buf[: end + 4]
                return head
            if len(self.buf) > limit:
                raise ValueError(f"head over {limit} bytes")
            if not self.fill():
                if self.buf:
                    raise PeerClosed(f"end of stream inside a head: {bytes(self.buf[:200])!r}")
                return None

    def read_line(self, limit: int = 64 * KiB) -> bytes:
        while True:
            end = self.buf.find(b"\r\n")
            if end >= 0:
                line = bytes(self.buf[:end])
                del self.buf[: end + 2]
                return line
            if len(self.buf) > limit:
                raise ValueError("line too long")
            if not self.fill():
                raise PeerClosed("end of stream inside a line")

    def read_exact(self, count: int) -> bytes:
        while len(self.buf) < count:
            if not self.fill(max(256 * KiB, count - len(self.buf))):
                raise PeerClosed(f"end of stream after {len(self.buf)} of {count} bytes")
        data = bytes(self.buf[:count])
        del self.buf[:count]
        return data

    def read_some(self, limit: int = 256 * KiB) -> bytes:
        """What is buffered, else one recv; b"" at end of stream."""
        if not self.buf:
            if not self.fill(limit):
                return b""
        data = bytes(self.buf[:limit])
        del self.buf[:limit]
        return data

    def stream_exact(self, count: int, sink) -> None:
        """Pass exactly `count` bytes to `sink`, chunk by chunk, without keeping them."""
        left = count
        while left:
            data = self.read_some(min(left, 256 * KiB))
            if not data:
                raise PeerClosed(f"end of stream with {left} of {count} bytes missing")
            sink(data)
            left -= len(data)

    def stream_chunked(self, sink) -> list[tuple[str, str]]:
        """Decode a chunked body into `sink`; return the trailer fields."""
        while True:
            line = self.read_line()
            size = int(line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                break
            self.stream_exact(size, sink)
            if self.read_exact(2) != b"\r\n":
                raise ValueError("chunk not followed by CRLF")
        trailers = []
        while True:
            line = self.read_line()
            if not line:
                return trailers
            name, _, value = line.decode("latin-1").partition(":")
            trailers.append((name.strip(), value.strip()))


def parse_head(head: bytes) -> tuple[str, list[tuple[str, str]]]:
    """The first line and the header fields (name as written, value stripped)."""
    lines = head.decode("latin-1").split("\r\n")
    fields = []
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise ValueError(f"header line without a colon: {line!r}")
        fields.append((name, value.strip()))
    return lines[0], fields


def header_dict(fields: list[tuple[str, str]]) -> dict[str, str]:
    """Lowercased names; repeated fields joined by ", " as RFC 9110 combines them."""
    merged: dict[str, str] = {}
    for name, value in fields:
        key = name.lower()
        merged[key] = f"{merged[key]}, {value}" if key in merged else value
    return merged


def connection_tokens(headers: dict[str, str]) -> set[str]:
    return {token.strip().lower() for token in headers.get("connection", "").split(",") if token.strip()}


# --------------------------------------------------------------------------- WebSocket

def websocket_accept(key: str) -> str:
    return base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()


def websocket_frame(payload: bytes, opcode: int = 0x1, mask: bool = False) -> bytes:
    """One final frame; clients mask (RFC 6455 §5.3), servers do not."""
    first = 0x80 | opcode
    length = len(payload)
    mask_bit = 0x80 if mask else 0
    if length < 126:
        header = struct.pack(">BB", first, mask_bit | length)
    elif length < 1 << 16:
        header = struct.pack(">BBH", first, mask_bit | 126, length)
    else:
        header = struct.pack(">BBQ", first, mask_bit | 127, length)
    if not mask:
        return header + payload
    key = struct.pack(">I", 0x5A17C3E1 ^ length)
    return header + key + _apply_mask(payload, key)


def _apply_mask(payload: bytes, key: bytes) -> bytes:
    if not payload:
        return b""
    repeated = (key * (len(payload) // 4 + 1))[: len(payload)]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(len(payload), "big")


def read_websocket_frame(reader: BufferedSocket) -> tuple[int, bytes, bool]:
    """(opcode, unmasked payload, whether it was masked); fragments are not used here."""
    first, second = reader.read_exact(2)
    opcode = first & 0x0F
    masked = bool(second & 0x80)
    length = second & 0x7F
    if length == 126:
        (length,) = struct.unpack(">H", reader.read_exact(2))
    elif length == 127:
        (length,) = struct.unpack(">Q", reader.read_exact(8))
    key = reader.read_exact(4) if masked else b""
    payload = reader.read_exact(length)
    return opcode, (_apply_mask(payload, key) if masked else payload), masked


def serve_websocket(reader: BufferedSocket, backend: Backend, record: dict) -> None:
    """After 101: greet with a text frame, then echo every frame with the same opcode,
    unmasked; answer a close frame with a close frame and end. Frames that arrive unmasked
    (a client must mask) are recorded as a protocol error."""
    conn = reader.sock
    conn.sendall(websocket_frame(f"hello from {backend.name}".encode()))
    frames = 0
    while True:
        opcode, payload, masked = read_websocket_frame(reader)
        frames += 1
        if not masked:
            record.setdefault("errors", []).append("unmasked client frame")
        if opcode == 0x8:
            conn.sendall(websocket_frame(payload[:2], opcode=0x8))
            record["websocket_frames"] = frames
            return
        if opcode == 0x9:  # ping
            conn.sendall(websocket_frame(payload, opcode=0xA))
            continue
        conn.sendall(websocket_frame(payload, opcode=opcode))


# --------------------------------------------------------------------------- HTTP server

@functools.lru_cache(maxsize=32)
def pattern_sha256(size: int, seed: int) -> str:
    """The SHA-256 of `size` pattern bytes of `seed`: what X-Mode length/stream/close-delimited send."""
    digest = hashlib.sha256()
    for chunk in pattern_chunks(size, seed):
        digest.update(chunk)
    return digest.hexdigest()


def _status_line(code: int) -> bytes:
    return f"HTTP/1.1 {code} {_REASONS.get(code, 'Status')}\r\n".encode()


def _head(code: int, fields: list[tuple[str, str]]) -> bytes:
    return _status_line(code) + b"".join(f"{n}: {v}\r\n".encode("latin-1") for n, v in fields) + b"\r\n"


def _chunk(data) -> bytes:
    return b"%x\r\n" % len(data) + bytes(data) + b"\r\n"


class _Connection:
    serial_lock = threading.Lock()
    serial = 0


def http_handler(*, mode: str = "json", close_on_accept: bool = False, drop_requests: frozenset[int] = frozenset()):
    """A `Backend` handler speaking HTTP/1.1.

    mode: the answer for requests without X-Mode.
    close_on_accept: close every connection at once, reading nothing (the proxy sees a
        connection closed before any response byte: 502).
    drop_requests: request numbers (1-based, per connection) on which the connection is
        closed after the request head is read, with no answer; recorded as
        {"dropped": True, ...}. {2} makes every pooled connection fail on its second use.
    """

    def handler(conn: socket.socket, backend: Backend) -> None:
        with _Connection.serial_lock:
            _Connection.serial += 1
            serial = _Connection.serial
        if close_on_accept:
            backend.record({"closed_on_accept": True, "connection": serial})
            return  # Backend closes the socket
        reader = BufferedSocket(conn)
        number = 0
        while True:
            try:
                head = reader.read_head()
            except (ConnectionResetError, PeerClosed):
                return
            if head is None:
                return
            number += 1
            if not _serve_one(reader, head, backend, serial, number, mode, number in drop_requests):
                return

    return handler


def _serve_one(reader: BufferedSocket, head: bytes, backend: Backend, serial: int, number: int,
               default_mode: str, drop: bool) -> bool:
    """Answer one request; whether the connection may carry another."""
    conn = reader.sock
    request_line, fields = parse_head(head)
    method, target, version = request_line.split(" ", 2)
    headers = header_dict(fields)
    mode = headers.get("x-mode", default_mode).strip().lower()
    record = {
        "backend": backend.name, "method": method, "path": target, "version": version,
        "headers": headers, "header_list": [list(f) for f in fields],
        "connection": serial, "request_on_connection": number, "mode": mode,
    }
    if drop:
        record["dropped"] = True
        backend.record(record)
        return False

    # The request body: answered at once when Expect names a refusal; else 100 Continue first.
    expects_continue = headers.get("expect", "").lower() == "100-continue"
    if expects_continue and "x-expect-reply" in headers:
        code = int(headers["x-expect-reply"])
        body = f"refused by {backend.name} without reading the body\n".encode()
        record.update(body_length=None, body_sha256=None, status=code)
        backend.record(record)
        conn.sendall(_head(code, [("X-Backend", backend.name), ("Content-Length", str(len(body))),
                                  ("Connection", "close")]) + body)
        return False
    if expects_continue:
        conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")

    tally = StreamTally()
    if headers.get("upgrade", "").lower() == "websocket" and "upgrade" in connection_tokens(headers):
        record.update(body_length=0, body_sha256=tally.hexdigest, status=101)
        backend.record(record)
        conn.sendall(_head(101, [("Upgrade", "websocket"), ("Connection", "Upgrade"),
                                 ("Sec-WebSocket-Accept", websocket_accept(headers.get("sec-websocket-key", ""))),
                                 ("X-Backend", backend.name)]))
        serve_websocket(reader, backend, record)
        return False

    echo = mode == "echo"
    if echo:
        return _serve_echo(reader, headers, backend, record)
    if "transfer-encoding" in headers and headers["transfer-encoding"].lower().endswith("chunked"):
        record["trailers"] = reader.stream_chunked(tally.add)
    elif "content-length" in headers:
        reader.stream_exact(int(headers["content-length"]), tally.add)
    record.update(body_length=tally.count, body_sha256=tally.hexdigest, status=None)
    backend.record(record)  # seen now; the answer's fields are added to the same dict below

    client_keeps_alive = ("close" not in connection_tokens(headers)
                          and (version == "HTTP/1.1" or "keep-alive" in connection_tokens(headers)))
    extra = [("X-Backend", backend.name)]
    for name, value in fields:
        if name.lower() == "x-reply-header":
            reply_name, _, reply_value = value.partition(":")
            extra.append((reply_name.strip(), reply_value.strip()))
    if not client_keeps_alive:
        extra.append(("Connection", "close"))
    if "x-delay" in headers:
        time.sleep(min(float(headers["x-delay"]), SLOW_HOLD))

    size = int(headers.get("x-bytes", "0"))
    if mode == "stream" and version != "HTTP/1.1":
        mode = "close-delimited"  # no chunked coding towards an HTTP/1.0 peer
    if mode == "slow":
        record["status"] = None
        # Never answer; wait for the proxy to give up and close (or the test's end).
        conn.settimeout(SLOW_HOLD)
        try:
            while reader.read_some():
                pass
        except OSError:
            pass
        record["upstream_closed"] = True
        return False
    if mode == "partial-head":
        record["status"] = None
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/pl")
        return False
    if mode == "close":
        record["status"] = None
        return False
    if mode == "early-hints":
        conn.sendall(_head(103, [("Link", "</style.css>; rel=preload; as=style")]))
        mode = "json"
    if mode == "status":
        code = int(headers.get("x-status", "200"))
        record["status"] = code
        if code in (204, 304):
            # A 304 may carry the length of the representation it stands for: no body follows.
            length = [("Content-Length", "5000")] if code == 304 else []
            conn.sendall(_head(code, extra + [("ETag", '"v1"')] + length))
        else:
            body = f"status {code} from {backend.name}\n".encode()
            conn.sendall(_head(code, extra + [("Content-Length", str(len(body)))])
                         + (b"" if method == "HEAD" else body))
        return client_keeps_alive
    if mode == "overlong":
        # An answer and, in the same send, more than its Content-Length: a second response
        # nobody asked for, which must never answer the client's next request.
        record["status"] = 200
        body = b"exactly this\n"
        conn.sendall(_head(200, extra + [("Content-Length", str(len(body)))]) + body
                     + _head(200, [("X-Smuggled", "yes"), ("Content-Length", "0")]))
        return client_keeps_alive
    if mode == "misframed":
        # Content-Length and chunked at once (RFC 9112 §6.3: a proxy must not trust either),
        # and in the same send a made-up response that only the bad framing could smuggle.
        record["status"] = 200
        conn.sendall(_head(200, extra + [("Content-Length", "5"), ("Transfer-Encoding", "chunked")])
                     + _head(200, [("X-Smuggled", "yes"), ("Content-Length", "0")]))
        return False
    if mode in ("length", "stream", "close-delimited"):
        record["status"] = 200
        # Known before the last byte leaves, so a client that has it all can compare at once.
        record["response_sha256"] = pattern_sha256(size if method != "HEAD" else 0, seed=size)
        record["response_length"] = size if method != "HEAD" else 0
        if mode == "length":
            conn.sendall(_head(200, extra + [("Content-Length", str(size)), ("Content-Type", "application/octet-stream")]))
        elif mode == "stream":
            conn.sendall(_head(200, extra + [("Transfer-Encoding", "chunked"), ("Content-Type", "application/octet-stream")]))
        else:
            conn.sendall(_head(200, [f for f in extra if f[0] != "Connection"] + [("Connection", "close"),
                                                                                 ("Content-Type", "application/octet-stream")]))
        if method != "HEAD":
            for chunk in pattern_chunks(size, seed=size):
                conn.sendall(_chunk(chunk) if mode == "stream" else chunk)
                backend.add_sent(len(chunk))
            if mode == "stream":
                conn.sendall(b"0\r\n\r\n")
        return client_keeps_alive and mode != "close-delimited"

    # json
    record["status"] = 200
    body = json.dumps({k: v for k, v in record.items() if k not in ("mode", "status")}).encode()
    conn.sendall(_head(200, extra + [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
                 + (b"" if method == "HEAD" else body))
    return client_keeps_alive


def _serve_echo(reader: BufferedSocket, headers: dict[str, str], backend: Backend, record: dict) -> bool:
    """Send the request body back as it arrives (chunked), before the request has ended: the
    proxy must carry both directions at once."""
    conn = reader.sock
    tally = StreamTally()
    conn.sendall(_head(200, [("X-Backend", backend.name), ("Transfer-Encoding", "chunked"),
                             ("Content-Type", "application/octet-stream")]))

    def send_back(data):
        tally.add(data)
        conn.sendall(_chunk(data))
        backend.add_sent(len(data))

    if headers.get("transfer-encoding", "").lower().endswith("chunked"):
        reader.stream_chunked(send_back)
    else:
        reader.stream_exact(int(headers.get("content-length", "0")), send_back)
    conn.sendall(b"0\r\n\r\n")
    record.update(body_length=tally.count, body_sha256=tally.hexdigest, status=200)
    backend.record(record)
    return "close" not in connection_tokens(headers)


def requests_seen(backend: Backend) -> list[dict]:
    """The requests the backend has read a head of (dropped ones included)."""
    return [r for r in list(backend.records) if "method" in r]

