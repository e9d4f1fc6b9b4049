"""SIGTERM and SIGINT stop the daemon gracefully: exit status 0, quickly when idle."""

import signal

import pytest

from harness import echo, service_yaml


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_idle_daemon_with_status_0_within_5_s(sig, start_backend, start_daemon, write_config, node_port):
    backend = start_backend(echo)
    daemon = start_daemon(write_config(service_yaml("web", node_port=node_port, endpoints=[backend.endpoint])))

    elapsed = daemon.stop(sig, timeout=5)

    assert elapsed < 5
