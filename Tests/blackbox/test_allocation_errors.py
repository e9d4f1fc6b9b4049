"""Allocation errors as `svcproxy check` prints them, in the API server's words and at the
field that asked: a NodePort range that other Services filled points at the service port
that found none (its line, as nodePort was not written), and RequireDualStack on a
single-stack node with an unconfigured first family reports the policy and the family
together."""

import subprocess

from harness import BINARY, NODEPORT_ADDRESSES, service_yaml

EX_CONFIG = 78

# Two Services take the range's two ports; the third finds none for its port.
THIRD = """\
apiVersion: v1
kind: Service
metadata: {name: third, namespace: default}
spec:
  type: NodePort
  ports:
  - name: http
    port: 80
"""
FULL_RANGE = service_yaml("first", node_port=30000) + "---\n" + service_yaml("second", node_port=30001) + "---\n" + THIRD

DUAL = """\
apiVersion: v1
kind: Service
metadata: {name: dual, namespace: default}
spec: {ipFamilyPolicy: RequireDualStack, ipFamilies: [IPv6, IPv4], ports: [{port: 80}]}
"""


def check(path, *flags) -> subprocess.CompletedProcess:
    return subprocess.run([str(BINARY), "check", "--config", str(path), "--nodeport-addresses", NODEPORT_ADDRESSES, *flags],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=10)


def test_allocation_from_a_full_node_port_range_is_an_error_at_the_port_that_found_none(write_config):
    path = write_config(FULL_RANGE, name="full.yaml")
    port_line = FULL_RANGE.splitlines().index("  - name: http") + 1

    result = check(path, "--service-node-port-range", "30000-30001", "--service-cluster-ip-range", "10.96.0.0/12")

    assert result.returncode == EX_CONFIG, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if "is invalid" in line]
    assert errors == [f"{path}:{port_line}:5: Service \"default/third\" is invalid: spec.ports[0].nodePort: Invalid value: 0: "
                      "failed to allocate a nodePort: range is full (the range of valid ports is 30000-30001)"], result.stderr


def test_require_dual_stack_on_a_single_stack_node_reports_the_policy_and_the_unconfigured_family(write_config):
    path = write_config(DUAL, name="dual.yaml")

    result = check(path, "--service-cluster-ip-range", "10.96.0.0/12")

    assert result.returncode == EX_CONFIG, result.stdout + result.stderr
    errors = [line.split(": ", 1)[1] for line in result.stderr.splitlines() if "is invalid" in line]
    assert errors == [
        'Service "default/dual" is invalid: spec.ipFamilyPolicy: Invalid value: "RequireDualStack": '
        "this cluster is not configured for dual-stack services",
        'Service "default/dual" is invalid: spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster',
    ], result.stderr
