"""The daemon under test: the YAML it reads and the `svcproxy run` process itself.

A `Daemon` gets its own NOTIFY_SOCKET and counts as started only when READY=1 arrives on
it; its exit is watched through a pidfd, so neither start nor stop ever sleeps. Descriptors,
RSS and CPU time are read from /proc, as an operator would.
"""

from __future__ import annotations

import os
import resource
import selectors
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from .basics import Deadline, pick_port

REPO = Path(__file__).resolve().parents[3]
BINARY = Path(os.environ.get("SVCPROXY_BIN", str(REPO / ".build" / "debug" / "svcproxy")))
NODEPORT_ADDRESSES = "127.0.0.1/32,::1/128"
# Loopback ClusterIPs reach the daemon without any routing; allocated ones land here too.
# The IPv6 block is for dual-stack Services (their NodePorts listen on ::1 too); an IPv6
# ClusterIP is bound without being on an interface (IP_FREEBIND).
CLUSTER_IP_RANGE = "127.0.0.0/8,fd00:5c::/108"
READY_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0


def service_yaml(
    name: str,
    *,
    node_port: int | None = None,
    cluster_ip: str | None = None,
    port: int = 80,
    endpoints: list[tuple[str, int]] | None = None,
    namespace: str = "default",
    port_name: str = "http",
    ip_family_policy: str | None = None,
) -> str:
    """A Service and, unless `endpoints` is None, its Endpoints (one subset per endpoint).

    `endpoints=[]` writes an Endpoints object with `subsets: []`.
    """
    kind = "NodePort" if node_port is not None else "ClusterIP"
    port_fields = [f"name: {port_name}", f"port: {port}", "targetPort: 8080"]
    if node_port is not None:
        port_fields.append(f"nodePort: {node_port}")
    port_fields.append("protocol: TCP")
    lines = [
        "apiVersion: v1",
        "kind: Service",
        f"metadata: {{name: {name}, namespace: {namespace}}}",
        "spec:",
        f"  type: {kind}",
    ]
    if cluster_ip is not None:
        lines.append(f'  clusterIP: "{cluster_ip}"')
    if ip_family_policy is not None:
        lines.append(f"  ipFamilyPolicy: {ip_family_policy}")
    lines += ["  ports:", "  - {" + ", ".join(port_fields) + "}"]
    if endpoints is not None:
        lines += [
            "---",
            "apiVersion: v1",
            "kind: Endpoints",
            f"metadata: {{name: {name}, namespace: {namespace}}}",
        ]
        if not endpoints:
            lines.append("subsets: []")
        else:
            lines.append("subsets:")
            for ip, ep_port in endpoints:
                lines.append(f'- addresses: [{{ip: "{ip}"}}]')
                lines.append(f"  ports: [{{name: {port_name}, port: {ep_port}}}]")
    return "\n".join(lines) + "\n"


def _proc_fd_targets(pid: int) -> dict[str, str]:
    targets = {}
    base = f"/proc/{pid}/fd"
    for name in os.listdir(base):
        try:
            targets[name] = os.readlink(os.path.join(base, name))
        except OSError:
            pass  # closed between listdir and readlink
    return targets


class DaemonError(AssertionError):
    pass


class Daemon:
    """One `svcproxy run` process with its own NOTIFY_SOCKET, started and waited for READY=1."""

    _serial = 0

    def __init__(
        self,
        configs: list[Path],
        log_dir: Path,
        *,
        workers: int = 1,
        nofile_limit: int | None = None,
        log_level: str | None = None,
        extra_args: tuple[str, ...] = (),
        extra_env: dict[str, str] | None = None,
        stderr: int | None = None,
    ):
        Daemon._serial += 1
        self.notify_dir = tempfile.mkdtemp(prefix="svcproxy-notify-", dir="/tmp")
        self.notify_path = os.path.join(self.notify_dir, "notify.sock")
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(self.notify_path)
        self.notifications: list[dict[str, str]] = []
        self.log_path = Path(log_dir) / f"svcproxy-{Daemon._serial}.log"
        self.argv = [str(BINARY), "run"]
        for config in configs:
            self.argv += ["--config", str(config)]
        self.argv += ["--workers", str(workers), "--nodeport-addresses", NODEPORT_ADDRESSES,
                      "--service-cluster-ip-range", CLUSTER_IP_RANGE]
        if log_level:
            self.argv += ["--log-level", log_level]
        # Admin endpoints on ports and a socket of this daemon's own, so daemons never collide.
        self.metrics_address = ("127.0.0.1", pick_port(("127.0.0.1",)))
        self.healthz_address = ("127.0.0.1", pick_port(("127.0.0.1",)))
        self.status_socket = os.path.join(self.notify_dir, "status.sock")
        self.argv += ["--metrics-bind-address", "%s:%d" % self.metrics_address,
                      "--healthz-bind-address", "%s:%d" % self.healthz_address,
                      "--status-socket", self.status_socket]
        self.argv += list(extra_args)
        env = {k: v for k, v in os.environ.items() if k not in ("LISTEN_FDS", "LISTEN_PID", "WATCHDOG_USEC")}
        env["NOTIFY_SOCKET"] = self.notify_path
        env.update(extra_env or {})
        preexec = None
        if nofile_limit is not None:
            def preexec():
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile_limit, nofile_limit))
        # `stderr`, a descriptor, replaces the log file for stderr (a pipe the test controls);
        # the log file then holds stdout alone.
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log if stderr is None else stderr, env=env,
                preexec_fn=preexec, close_fds=True,
            )
        self.pid = self.process.pid
        self.pidfd = os.pidfd_open(self.pid)
        self.exit_status: int | None = None
        try:
            self._wait_for_ready(READY_TIMEOUT)
        except BaseException:
            self.kill()
            raise

    # -- readiness

    def _wait_for_ready(self, timeout: float) -> None:
        """Wait for a datagram with READY=1 or for the process to exit, whichever comes first."""
        deadline = Deadline(timeout)
        with selectors.DefaultSelector() as sel:
            sel.register(self.notify, selectors.EVENT_READ, "notify")
            sel.register(self.pidfd, selectors.EVENT_READ, "exit")
            while not deadline.expired():
                for key, _ in sel.select(timeout=deadline.remaining()):
                    if key.data == "exit":
                        status = self.process.wait(timeout=1)
                        self.exit_status = status
                        raise DaemonError(
                            f"svcproxy exited with status {status} before READY=1\n{self.log_tail()}")
                    message = self._read_notification()
                    if message.get("READY") == "1":
                        return
        raise DaemonError(f"no READY=1 on NOTIFY_SOCKET within {timeout} s\n{self.log_tail()}")

    def _read_notification(self) -> dict[str, str]:
        data = self.notify.recv(65536)
        fields = {}
        for line in data.decode(errors="replace").splitlines():
            key, _, value = line.partition("=")
            if key:
                fields[key] = value
        self.notifications.append(fields)
        return fields

    def next_notification(self, timeout: float) -> dict[str, str] | None:
        """The next datagram on NOTIFY_SOCKET as KEY=value fields, or None after `timeout`."""
        with selectors.DefaultSelector() as sel:
            sel.register(self.notify, selectors.EVENT_READ)
            if not sel.select(timeout=timeout):
                return None
        return self._read_notification()

    def reload(self, timeout: float = READY_TIMEOUT) -> list[dict[str, str]]:
        """Send SIGHUP and return the notifications up to and including the next READY=1."""
        first = len(self.notifications)
        self.process.send_signal(signal.SIGHUP)
        deadline = Deadline(timeout)
        while not deadline.expired():
            message = self.next_notification(deadline.remaining())
            if message is not None and message.get("READY") == "1":
                return self.notifications[first:]
        raise DaemonError(f"no READY=1 within {timeout} s of SIGHUP\n{self.log_tail()}")

    def listening_inodes(self, port: int) -> set[int]:
        """Inodes of this daemon's listening sockets on `port` (any address), from /proc."""
        own = set()
        for target in self.fd_targets().values():
            if target.startswith("socket:["):
                own.add(int(target[len("socket:["):-1]))
        found = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with open(table) as rows:
                next(rows)
                for row in rows:
                    fields = row.split()
                    local_port = int(fields[1].rsplit(":", 1)[1], 16)
                    if local_port == port and fields[3] == "0A" and int(fields[9]) in own:
                        found.add(int(fields[9]))
        return found

    # -- observation

    def alive(self) -> bool:
        return self.exit_status is None and self.process.poll() is None

    def fd_count(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def fd_targets(self) -> dict[str, str]:
        return _proc_fd_targets(self.pid)

    def rss_kib(self) -> int:
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise DaemonError("no VmRSS in /proc/PID/status")

    def cpu_seconds(self) -> float:
        """User plus system CPU time of all the daemon's threads so far."""
        with open(f"/proc/{self.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_text().splitlines()[-lines:]
        return f"--- last {len(text)} lines of {self.log_path} ---\n" + "\n".join(text)

    # -- lifecycle

    def wait_exit(self, timeout: float) -> int | None:
        """The exit status, or None if the process is still running after `timeout`."""
        if self.exit_status is not None:
            return self.exit_status
        with selectors.DefaultSelector() as sel:
            sel.register(self.pidfd, selectors.EVENT_READ)
            if not sel.select(timeout=timeout):
                return None
        self.exit_status = self.process.wait(timeout=1)
        return self.exit_status

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> float:
        """Send `sig`, wait for exit 0 and return how long it took; kill and fail if it hangs."""
        if self.exit_status is not None:
            self._close()
            return 0.0
        if self.process.poll() is not None:
            self.exit_status = self.process.returncode
            self._close()
            raise DaemonError(
                f"svcproxy had already exited with status {self.exit_status} before "
                f"{signal.Signals(sig).name}\n{self.log_tail()}")
        started = time.monotonic()
        self.process.send_signal(sig)
        status = self.wait_exit(timeout)
        elapsed = time.monotonic() - started
        if status is None:
            self.kill()
            raise DaemonError(
                f"svcproxy did not exit within {timeout} s of signal {signal.Signals(sig).name}; "
                f"killed\n{self.log_tail()}")
        self._close()
        if status != 0:
            raise DaemonError(
                f"svcproxy exited with status {status} after {signal.Signals(sig).name}, "
                f"expected 0\n{self.log_tail()}")
        return elapsed

    def kill(self) -> None:
        if self.exit_status is None and self.process.poll() is None:
            self.process.kill()  # our own child, by PID
        if self.exit_status is None:
            self.exit_status = self.process.wait(timeout=10)
        self._close()

    def _close(self) -> None:
        if self.notify.fileno() >= 0:
            self.notify.close()
            # The status socket stays behind when the daemon was killed.
            shutil.rmtree(self.notify_dir, ignore_errors=True)
        if self.pidfd >= 0:
            os.close(self.pidfd)
            self.pidfd = -1
