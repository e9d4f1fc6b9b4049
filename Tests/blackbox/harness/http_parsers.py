"""Two reference HTTP/1.1 request parsers, asked whether they accept a raw byte string.

`llhttp_verdict(raw)` asks a real Node.js HTTP server (llhttp, its default strict mode, and
Node's own checks such as the required Host): one long-lived `node` process on 127.0.0.1,
started on first use and ended at exit, whose handler reads each body and answers 200. The
bytes go on a fresh connection, whose write side is then shut: Node answers what it read and
closes. `h11_verdict(raw)` runs the pure-Python h11 as a server over the same bytes.

Either peer accepts when every request in the bytes was read to its end without an error;
it rejects on an error status or when it closes without answering anything. Comparing the
two with svcproxy is how the smuggling corpus finds where parsers disagree on a message.
"""

from __future__ import annotations

import atexit
import re
import socket
import subprocess
import threading

import h11

from .basics import Deadline

# Each body is read to its end before the answer, so that a body the parser frames
# differently shows up as an error or as an extra request, not as an early answer.
NODE_SERVER = r"""
const http = require('http');
const server = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, {'Content-Type': 'text/plain', 'Content-Length': '3'});
    res.end('ok\n');
  });
});
// Answer every request read before the client's FIN, then close: how a verdict ends
// without waiting for an idle timeout.
server.httpAllowHalfOpen = true;
server.keepAliveTimeout = 2000;
server.listen(0, '127.0.0.1', () => { process.stdout.write(server.address().port + '\n'); });
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
"""
VERDICT_TIMEOUT = 5.0
STATUS_LINE = re.compile(rb"HTTP/1\.[01] (\d{3})[^\r\n]*\r\n")


class NodeServer:
    """One `node` process serving HTTP on a loopback port; ends when stdin closes or stop()."""

    def __init__(self):
        self.process = subprocess.Popen(["node", "-e", NODE_SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL)
        line = self.process.stdout.readline()
        if not line.strip().isdigit():
            self.stop()
            raise RuntimeError(f"node did not start its HTTP server (said {line!r})")
        self.address = ("127.0.0.1", int(line))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()  # the script exits on stdin's end
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()  # our own child, by PID
                self.process.wait(timeout=5)
        self.process.stdout.close()


_node: NodeServer | None = None
_node_lock = threading.Lock()


def node_server() -> NodeServer:
    """The session's Node server, started on first use."""
    global _node
    with _node_lock:
        if _node is None:
            _node = NodeServer()
            atexit.register(stop_node_server)
        return _node


def stop_node_server() -> None:
    global _node
    with _node_lock:
        if _node is not None:
            _node.stop()
            _node = None


def exchange(address, raw: bytes, half_close: bool = True, timeout: float = VERDICT_TIMEOUT,
             idle: float | None = None) -> bytes:
    """Send `raw` on a fresh connection and return every byte answered until the peer closes,
    `timeout` passes, or (with `idle`) nothing more arrives for `idle` seconds after a first
    answer. A reset counts as the end of the answer."""
    deadline = Deadline(timeout)
    answer = b""
    with socket.create_connection(address, timeout=timeout) as conn:
        try:
            conn.sendall(raw)
            if half_close:
                conn.shutdown(socket.SHUT_WR)
        except OSError:
            return answer  # closed before reading it all: the answer, if any, is lost anyway
        while not deadline.expired():
            wait = deadline.remaining()
            if idle is not None and answer:
                wait = min(wait, idle)
            conn.settimeout(max(wait, 0.01))
            try:
                data = conn.recv(65536)
            except socket.timeout:
                if idle is not None and answer:
                    break
                continue
            except OSError:
                break
            if not data:
                break
            answer += data
    return answer


def statuses(answer: bytes) -> list[int]:
    """The final statuses in an answer (1xx interim ones left out), in order."""
    found = []
    for match in STATUS_LINE.finditer(answer):
        status = int(match.group(1))
        if status >= 200:
            found.append(status)
    return found


def llhttp_verdict(raw: bytes) -> bool:
    """Whether Node's HTTP server reads every request in `raw` without an error."""
    answered = statuses(exchange(node_server().address, raw))
    return bool(answered) and all(200 <= status < 300 for status in answered)


def h11_verdict(raw: bytes) -> bool:
    """Whether h11, as a server, reads every request in `raw` to its end without an error."""
    conn = h11.Connection(our_role=h11.SERVER)
    conn.receive_data(raw)
    conn.receive_data(b"")  # the client's FIN, as Node gets it
    requests = 0
    try:
        for _ in range(1000):
            event = conn.next_event()
            if isinstance(event, h11.Request):
                requests += 1
            elif isinstance(event, h11.EndOfMessage):
                conn.send(h11.Response(status_code=200, headers=[("Content-Length", "0")]))
                conn.send(h11.EndOfMessage())
                if conn.our_state is h11.MUST_CLOSE:
                    # HTTP/1.0 or Connection: close: the request was read; the connection ends.
                    return not conn.trailing_data[0]
                conn.start_next_cycle()
            elif isinstance(event, h11.ConnectionClosed):
                return requests > 0
            elif event is h11.PAUSED:
                return False  # CONNECT or Upgrade: a tunnel, not a request it read
            elif event is h11.NEED_DATA:
                return False  # the bytes ended inside a message
    except h11.ProtocolError:
        return False
    return False
