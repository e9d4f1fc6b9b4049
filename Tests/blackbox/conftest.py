"""Fixtures for the svcproxy black-box suite: config files, free ports, backends, daemons.

Every fixture that starts something also ends it: backends are shut down and joined, daemons
are stopped with SIGTERM and must exit 0 (a hung daemon is killed by PID and the test fails).
When a test fails, the daemon's log tail is printed in its teardown section.

Run from the repository root: `python3 -m pytest -q Tests/blackbox` (standard library and
pytest only). The binary is `$SVCPROXY_BIN`, by default `.build/debug/svcproxy`; without it
the tests are skipped, unless CI=true or SVCPROXY_REQUIRE_BIN=1, where they fail.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import BINARY, Backend, Daemon, pick_port, service_yaml  # noqa: E402


def pytest_report_header(config):
    return f"svcproxy binary: {BINARY} ({'present' if BINARY.exists() else 'MISSING'})"


def pytest_collection_modifyitems(config, items):
    if BINARY.exists():
        return
    if os.environ.get("CI") == "true" or os.environ.get("SVCPROXY_REQUIRE_BIN") == "1":
        return  # let the tests fail loudly: a missing binary in CI is a broken build
    skip = pytest.mark.skip(reason=f"svcproxy binary not built at {BINARY} (set SVCPROXY_BIN)")
    for item in items:
        item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def write_config(tmp_path):
    """write_config(text, name="svc.yaml") -> Path of the written file in the test's config dir."""
    config_dir = tmp_path / "config"
    config_dir.mkdir()

    def write(text: str, name: str = "svc.yaml") -> Path:
        path = config_dir / name
        path.write_text(text)
        return path

    return write


@pytest.fixture
def node_port() -> int:
    """A NodePort free on both 127.0.0.1 and ::1."""
    return pick_port()


@pytest.fixture
def start_backend():
    """start_backend(handler, host="127.0.0.1", name=...) -> a running Backend."""
    backends: list[Backend] = []

    def start(handler, host: str = "127.0.0.1", name: str | None = None) -> Backend:
        backend = Backend(handler, host=host, name=name or f"backend-{len(backends)}")
        backends.append(backend)
        return backend

    yield start
    for backend in backends:
        backend.stop()


@pytest.fixture
def start_daemon(request, tmp_path, start_backend):
    """start_daemon(configs, workers=1, nofile_limit=None, log_level=None) -> a READY Daemon.

    Depends on start_backend so that daemons stop before their backends do."""
    daemons: list[Daemon] = []

    def start(configs, **options) -> Daemon:
        if isinstance(configs, (str, Path)):
            configs = [configs]
        daemon = Daemon([Path(c) for c in configs], tmp_path, **options)
        daemons.append(daemon)
        return daemon

    yield start
    call_report = getattr(request.node, "report_call", None)
    failed = call_report is not None and call_report.failed
    problems = []
    for daemon in daemons:
        if failed:
            print(daemon.log_tail(80))
        try:
            daemon.stop()
        except AssertionError as error:
            problems.append(str(error))
    if problems and not failed:
        pytest.fail("\n".join(problems), pytrace=False)
    elif problems:
        print("\n".join(problems))


@pytest.fixture(params=[("--batch-sends", "true"), ("--batch-sends", "false"),
                        ("--batch-sends", "true", "--yield-before-sleep", "64")],
                ids=["batched-sends", "sends-one-by-one", "yielding-before-sleep"])
def relay_to(request, start_backend, start_daemon, write_config, node_port):
    """relay_to(handler) -> (backend, daemon): a Service at `node_port` whose one endpoint
    runs `handler`, served with `--batch-sends` on, as a second run of the test off, and as
    a third with the workers yielding their CPU before they sleep (events found after a
    yield take the path of those found by epoll_wait's sleep)."""

    def start(handler, name: str = "relay"):
        backend = start_backend(handler)
        daemon = start_daemon(write_config(service_yaml(name, node_port=node_port, endpoints=[backend.endpoint])),
                              extra_args=request.param)
        return backend, daemon

    return start


@pytest.fixture
def start_http_backend(start_backend):
    """start_http_backend(name, host="127.0.0.1", mode=..., close_on_accept=..., drop_requests=...)
    -> a running HTTP/1.1 Backend (see harness/http_backend.py)."""
    from harness.http_backend import http_handler

    def start(name: str, host: str = "127.0.0.1", **options):
        return start_backend(http_handler(**options), host=host, name=name)

    return start


@pytest.fixture
def start_ingress(start_daemon):
    """start_ingress(configs, extra_args=(), **options) -> a READY Daemon serving Ingress HTTP on
    127.0.0.1:<picked port>, as `daemon.ingress_address`."""
    from harness.ingress import ingress_bind_args

    def start(configs, extra_args=(), **options):
        port = pick_port(("127.0.0.1",))
        daemon = start_daemon(configs, extra_args=(*ingress_bind_args(port), *extra_args), **options)
        daemon.ingress_port = port
        daemon.ingress_address = ("127.0.0.1", port)
        return daemon

    return start


# --------------------------------------------------------------------------- Ingress TLS

def pytest_configure(config):
    config.addinivalue_line("markers", "testssl: a testssl.sh scan of the Ingress's HTTPS listener (`make testssl`)")


@pytest.fixture(scope="session")
def tls_material(tmp_path_factory):
    """Certificates and keys made once per session with the openssl CLI (harness/tls.py)."""
    from harness.tls import TLSMaterial

    return TLSMaterial(tmp_path_factory.mktemp("tls-material"))


@pytest.fixture
def start_tls_ingress(start_daemon, tls_material):
    """start_tls_ingress(configs, extra_args=(), **options) -> a READY Daemon serving Ingress
    HTTPS on `daemon.https_address` (127.0.0.1, `--ingress-https-bind-address`) and HTTP on
    `daemon.ingress_address` (`--ingress-http-bind-address`), each on a picked port."""
    from harness.ingress import ingress_bind_args
    from harness.tls import https_bind_args

    def start(configs, extra_args=(), **options):
        http_port = pick_port(("127.0.0.1",))
        https_port = pick_port(("127.0.0.1",))
        daemon = start_daemon(configs, extra_args=(*ingress_bind_args(http_port), *https_bind_args(https_port),
                                                   *extra_args), **options)
        daemon.ingress_port, daemon.ingress_address = http_port, ("127.0.0.1", http_port)
        daemon.https_port, daemon.https_address = https_port, ("127.0.0.1", https_port)
        return daemon

    return start


# --------------------------------------------------------------------------- UDP Services

@pytest.fixture
def start_udp_echo():
    """start_udp_echo(name, host="127.0.0.1", named=True) -> a running UdpEcho (harness/udp.py):
    answers each datagram with its name and the payload, and records who sent it."""
    from harness.udp import UdpEcho

    echoes = []

    def start(name: str, host: str = "127.0.0.1", **options):
        echo = UdpEcho(name, host=host, **options)
        echoes.append(echo)
        return echo

    yield start
    for echo in echoes:
        echo.stop()


@pytest.fixture
def start_dns_server(tmp_path):
    """start_dns_server() -> a running DnsServer: dnsmasq on a picked 127.0.0.1 port, UDP and
    TCP, serving svc.test A 10.1.2.3 (harness/udp.py)."""
    from harness.udp import DnsServer

    servers = []

    def start(**options):
        server = DnsServer(tmp_path, **options)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


# --------------------------------------------------------------------------- cluster DNS

@pytest.fixture
def start_upstream(tmp_path):
    """start_upstream(records, host="127.0.0.1", txt=None) -> a running harness.dns.Upstream:
    dnsmasq answering `records` (domain -> IPv4, the domain and every name below it)."""
    from harness.dns import Upstream

    upstreams = []

    def start(records: dict[str, str], host: str = "127.0.0.1", **options):
        upstream = Upstream(tmp_path, records, host=host, **options)
        upstreams.append(upstream)
        return upstream

    yield start
    for upstream in upstreams:
        upstream.stop()


@pytest.fixture
def start_cluster_dns(start_daemon):
    """start_cluster_dns(configs, upstreams=("none",), ttl=None, extra_args=(), **options) ->
    a READY Daemon answering DNS on a picked 127.0.0.1 port, as `daemon.dns_address`.
    `upstreams` are "none" or (ip, port) pairs (harness/dns.py)."""
    from harness.dns import dns_args, pick_dns_address

    def start(configs, upstreams=("none",), ttl=None, extra_args=(), **options):
        address = pick_dns_address()
        daemon = start_daemon(configs, extra_args=(*dns_args(address, upstreams, ttl), *extra_args), **options)
        daemon.dns_address = address
        return daemon

    return start
