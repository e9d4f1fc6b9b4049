"""Kubernetes objects served as Kubernetes documents them, through the real binary: a selector
over Pods with a named targetPort, a LoadBalancer on its load-balancer IP, NodePort and
ClusterIP, and `check` on the first-time user's file."""

import subprocess
from collections import Counter
from pathlib import Path

from harness import BINARY, CLUSTER_IP_RANGE, NODEPORT_ADDRESSES, ask_name, identify, pick_cluster_ip, pick_port

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def pod_yaml(name: str, port: int | None, *, ready: bool = True, labels: str = "{app: web}") -> str:
    ports = f"ports: [{{name: web, containerPort: {port}, protocol: TCP}}]" if port else "ports: []"
    return f"""\
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: default, labels: {labels}}}
spec:
  containers:
  - {{name: app, image: example/web, {ports}}}
status:
  phase: Running
  podIP: 127.0.0.1
  podIPs: [{{ip: 127.0.0.1}}]
  conditions:
  - {{type: Ready, status: "{'True' if ready else 'False'}"}}
"""


def test_selector_over_pods_round_robins_over_exactly_the_ready_ones_at_their_named_ports(
        start_backend, start_daemon, write_config):
    ready = [start_backend(identify, name=name) for name in ("pod-a", "pod-b", "pod-c")]
    unready = start_backend(identify, name="pod-unready")
    other = start_backend(identify, name="pod-other-app")
    assert len({backend.endpoint[1] for backend in ready}) == 3
    cluster_ip = pick_cluster_ip()
    port = pick_port((cluster_ip,))
    documents = [f"""\
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: default}}
spec:
  clusterIP: {cluster_ip}
  selector: {{app: web}}
  ports: [{{name: http, port: {port}, targetPort: web}}]
"""]
    documents += [pod_yaml(f"web-{i}", backend.endpoint[1]) for i, backend in enumerate(ready)]
    documents.append(pod_yaml("web-starting", unready.endpoint[1], ready=False))
    documents.append(pod_yaml("web-unnamed", None))
    documents.append(pod_yaml("other", other.endpoint[1], labels="{app: other}"))
    start_daemon(write_config("---\n".join(documents)))

    answers = Counter(ask_name((cluster_ip, port)) for _ in range(30))

    assert answers == {"pod-a": 10, "pod-b": 10, "pod-c": 10}


def test_load_balancer_answers_on_its_ip_its_node_port_and_its_cluster_ip(start_backend, start_daemon, write_config):
    backend = start_backend(identify, name="lb-backend")
    lb_ip, cluster_ip = pick_cluster_ip(), pick_cluster_ip()
    port = pick_port((lb_ip, cluster_ip))
    node_port = pick_port()
    start_daemon(write_config(f"""\
apiVersion: v1
kind: Service
metadata: {{name: public, namespace: default}}
spec:
  type: LoadBalancer
  clusterIP: {cluster_ip}
  ports: [{{name: http, port: {port}, targetPort: 8080, nodePort: {node_port}}}]
status:
  loadBalancer:
    ingress: [{{ip: {lb_ip}}}]
---
apiVersion: v1
kind: Endpoints
metadata: {{name: public, namespace: default}}
subsets:
- addresses: [{{ip: {backend.endpoint[0]}}}]
  ports: [{{name: http, port: {backend.endpoint[1]}}}]
"""))

    assert ask_name((lb_ip, port)) == "lb-backend"
    assert ask_name(("127.0.0.1", node_port)) == "lb-backend"
    assert ask_name((cluster_ip, port)) == "lb-backend"


def check(*paths, extra=()) -> subprocess.CompletedProcess:
    args = [str(BINARY), "check"]
    for path in paths:
        args += ["--config", str(path)]
    args += ["--nodeport-addresses", NODEPORT_ADDRESSES, "--service-cluster-ip-range", CLUSTER_IP_RANGE, *extra]
    return subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=10)


def test_first_time_users_file_fails_on_its_tab_then_its_typo_then_passes(write_config):
    text = (FIXTURES / "first-time-user.yaml").read_text()

    tabbed = check(write_config(text, name="tabbed.yaml"))
    assert tabbed.returncode == 78
    assert "tabbed.yaml:4:1: YAML syntax error: line 4 is indented with a tab character" in tabbed.stderr

    spaced = check(write_config(text.replace("\t", "  "), name="spaced.yaml"))
    assert spaced.returncode == 78
    assert ('spaced.yaml:6:3: Service "default/myapp-service" is invalid: spec.selectors: '
            "Unknown field: did you mean spec.selector?") in spaced.stderr

    fixed = check(write_config(text.replace("\t", "  ").replace("selectors", "selector"), name="fixed.yaml"),
                  extra=("--print-plan",))
    assert fixed.returncode == 0, fixed.stderr
    assert "127.0.0.1:30008 (NodePort)" in fixed.stdout
    # An IPv4 Service's NodePort is served on the node's IPv4 addresses only: the ClusterIP and 127.0.0.1.
    assert "[::1]:30008" not in fixed.stdout
    assert fixed.stdout.rstrip().endswith("Configuration is valid: 1 service, 0 endpoints, 2 listeners")


def test_bad_settings_flags_exit_64(write_config):
    path = write_config("apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 80}]}\n")

    for flag, value in [("--service-node-port-range", "9-1"), ("--service-cluster-ip-range", "10.0.0.0"),
                        ("--nodeport-addresses", "nowhere")]:
        result = subprocess.run([str(BINARY), "check", "--config", str(path), flag, value],
                                capture_output=True, text=True, timeout=10)
        assert result.returncode == 64, (flag, result.stderr)
