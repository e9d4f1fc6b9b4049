"""The command line: help, usage errors (exit 64, EX_USAGE) and configuration errors (exit 78,
EX_CONFIG) that point at FILE:LINE:COL and name the Kubernetes field path."""

import re
import subprocess

import pytest

from harness import BINARY, CLUSTER_IP_RANGE, NODEPORT_ADDRESSES, pick_port, service_yaml

EX_USAGE = 64
EX_CONFIG = 78


def run(*args, timeout: float = 10) -> subprocess.CompletedProcess:
    """Run the binary to completion (killed by subprocess if it outlives `timeout`)."""
    return subprocess.run([str(BINARY), *args], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=timeout)


def run_config(path, *extra) -> subprocess.CompletedProcess:
    return run("run", "--config", str(path), "--nodeport-addresses", NODEPORT_ADDRESSES,
               "--service-cluster-ip-range", CLUSTER_IP_RANGE, *extra)


def test_help_exits_0_and_mentions_run():
    result = run("--help")

    assert result.returncode == 0, result.stderr
    assert "run" in result.stdout + result.stderr


@pytest.mark.parametrize("args", [
    ("--no-such-flag",),
    ("run", "--config", "{config}", "--nodeport-addresses", NODEPORT_ADDRESSES, "--no-such-flag"),
    ("run", "--config", "{config}", "--nodeport-addresses", NODEPORT_ADDRESSES, "--workers", "many"),
    ("run", "--config", "{config}", "--nodeport-addresses", NODEPORT_ADDRESSES, "--shutdown-grace-period", "inf"),
    ("run", "--config", "{config}", "--nodeport-addresses", NODEPORT_ADDRESSES, "--shutdown-grace-period", "2e10s"),
    ("run", "--config", "{config}", "--nodeport-addresses", NODEPORT_ADDRESSES, "--tcp-keepalive", "10h"),
    ("run", "--config", "{config}", "--nodeport-addresses", NODEPORT_ADDRESSES, "--affinity-table-size", "0"),
    ("run", "--config", "{config}", "--nodeport-addresses", NODEPORT_ADDRESSES, "--relay-buffer-size", "5000"),
    ("run", "--config", "{config}", "--nodeport-addresses", NODEPORT_ADDRESSES, "--yield-before-sleep", "65"),
    ("run", "--config", "{config}", "--nodeport-addresses", NODEPORT_ADDRESSES, "--yield-before-sleep=-1"),
    ("run", "--config", "{config}", "--nodeport-addresses", NODEPORT_ADDRESSES, "--connection-steering", "queue"),
], ids=["top-level", "run", "bad-value", "infinite-grace", "century-grace", "keepalive-past-the-kernel-limit",
        "no-affinity-pins", "buffer-not-a-power-of-two", "yield-rounds-past-the-bound", "negative-yield-rounds",
        "unknown-steering"])
def test_bad_flag_exits_64(args, write_config):
    config = write_config(service_yaml("web", node_port=pick_port(), endpoints=[("127.0.0.1", 1)]))

    result = run(*(arg.format(config=config) for arg in args))

    assert result.returncode == EX_USAGE, f"exit {result.returncode}, stderr: {result.stderr}"


@pytest.mark.parametrize("value", ["65", "-1"])
def test_yield_rounds_out_of_range_are_refused_naming_the_range(value, write_config):
    config = write_config(service_yaml("web", node_port=pick_port(), endpoints=[("127.0.0.1", 1)]))

    result = run("run", "--config", config, "--nodeport-addresses", NODEPORT_ADDRESSES, f"--yield-before-sleep={value}")

    assert result.returncode == EX_USAGE, f"exit {result.returncode}, stderr: {result.stderr}"
    assert "--yield-before-sleep must be between 0 and 64" in result.stderr


BAD_NODE_PORT = """\
apiVersion: v1
kind: Service
metadata: {{name: good, namespace: default}}
spec:
  type: NodePort
  ports:
  - {{name: http, port: 80, targetPort: 8080, nodePort: {good_port}, protocol: TCP}}
---
apiVersion: v1
kind: Service
metadata:
  name: bad
  namespace: default
spec:
  type: NodePort
  ports:
  - name: http
    port: 80
    targetPort: 8080
    nodePort: 99999
    protocol: TCP
"""
BAD_NODE_PORT_LINE = 20


def test_invalid_node_port_exits_78_naming_file_line_and_field(write_config):
    path = write_config(BAD_NODE_PORT.format(good_port=pick_port()), name="bad-nodeport.yaml")
    assert path.read_text().splitlines()[BAD_NODE_PORT_LINE - 1].strip() == "nodePort: 99999"

    result = run_config(path)

    assert result.returncode == EX_CONFIG, f"exit {result.returncode}, stderr: {result.stderr}"
    pattern = re.compile(rf"bad-nodeport\.yaml:{BAD_NODE_PORT_LINE}:\d+:.*spec\.ports\[0\]\.nodePort")
    assert pattern.search(result.stderr), \
        f"no line like 'bad-nodeport.yaml:{BAD_NODE_PORT_LINE}:COL: ... spec.ports[0].nodePort' in:\n{result.stderr}"


SYNTAX_ERROR = """\
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  type: NodePort
  ports:
  - name: http: oops
    port: 80
"""
SYNTAX_ERROR_LINE = 7


def test_yaml_syntax_error_exits_78_naming_the_line(write_config):
    path = write_config(SYNTAX_ERROR, name="broken.yaml")

    result = run_config(path)

    assert result.returncode == EX_CONFIG, f"exit {result.returncode}, stderr: {result.stderr}"
    assert re.search(rf"broken\.yaml:{SYNTAX_ERROR_LINE}:\d+", result.stderr), \
        f"no 'broken.yaml:{SYNTAX_ERROR_LINE}:COL' in:\n{result.stderr}"
