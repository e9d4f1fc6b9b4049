"""NetworkPolicy decided per pod, not per address: on one node pods are often all reached on
127.0.0.1, each at ports of its own. Two Pods, web (app: web) and db (app: db), both at
127.0.0.1 with a container port named `serve` at numbers of their own, behind one Service.
A policy selecting only db isolates db alone; a rule allowing the named port `serve` admits
both, each at its own number; an EndpointSlice's targetRef names the pod where no selector
joins it. And egress: a client that is a pod goes only where its egress policies allow, and
is reset (counted as network_policy_egress, logged with both policies) when they allow no
endpoint that admits it."""

from collections import Counter

from harness import identify, pick_cluster_ip, pick_port, poll_until
from harness.node import documents, name_from, pod_yaml, policy_yaml, refused_count
from harness.udp import print_plan

ALLOWED, DENIED, CLIENT = "127.0.0.2", "127.0.0.3", "127.0.0.5"


class Backend:
    """Pods web and db at 127.0.0.1, each answering with its name on its own `serve` port,
    behind Service `backend` (selector tier: backend, or EndpointSlices naming them)."""

    def __init__(self, start_backend):
        self.cluster_ip = pick_cluster_ip()
        self.port = pick_port((self.cluster_ip,))
        self.serving = {name: start_backend(identify, host="127.0.0.1", name=name) for name in ("web", "db")}
        self.pods = [pod_yaml(name, "127.0.0.1", {"tier": "backend", "app": name}, {"serve": backend.port})
                     for name, backend in self.serving.items()]

    def service(self, selector: bool = True) -> str:
        spec_selector = "  selector: {tier: backend}\n" if selector else ""
        target = "serve" if selector else "8080"
        return (f"apiVersion: v1\nkind: Service\nmetadata: {{name: backend, namespace: default}}\nspec:\n"
                f"  clusterIP: {self.cluster_ip}\n{spec_selector}  ports: [{{name: http, port: {self.port}, targetPort: {target}}}]\n")

    def slices(self, web_ref: str, db_ref: str) -> list[str]:
        """One EndpointSlice per pod, at 127.0.0.1 and its port, with the targetRef given."""
        return [f"""\
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {{name: backend-{name}, namespace: default, labels: {{kubernetes.io/service-name: backend}}}}
addressType: IPv4
endpoints: [{{addresses: [127.0.0.1], targetRef: {ref}}}]
ports: [{{name: http, port: {self.serving[name].port}}}]
""" for name, ref in (("web", web_ref), ("db", db_ref))]

    def yaml(self, *extra: str, selector: bool = True) -> str:
        return documents(self.service(selector), *self.pods, *extra)

    def ask(self, client: str) -> str:
        return name_from(client, (self.cluster_ip, self.port))


DB_FROM_ALLOWED = policy_yaml("db-from-allowed", f"  podSelector: {{matchLabels: {{app: db}}}}\n"
                                                 f"  ingress: [{{from: [{{ipBlock: {{cidr: {ALLOWED}/32}}}}]}}]\n")


def test_a_policy_selecting_one_pod_of_a_shared_address_leaves_the_other_open(start_backend, start_daemon, write_config):
    backend = Backend(start_backend)
    start_daemon(write_config(backend.yaml(DB_FROM_ALLOWED)))
    assert Counter(backend.ask(DENIED) for _ in range(6)) == {"web": 6}, "web is selected by no policy"
    assert Counter(backend.ask(ALLOWED) for _ in range(4)) == {"web": 2, "db": 2}


def test_a_named_port_both_pods_declare_at_their_own_numbers_admits_both(start_backend, start_daemon, write_config):
    backend = Backend(start_backend)
    assert backend.serving["web"].port != backend.serving["db"].port
    serve = policy_yaml("serve-only", "  podSelector: {}\n  ingress: [{ports: [{port: serve}]}]\n")
    daemon = start_daemon(write_config(backend.yaml(serve)))
    assert Counter(backend.ask(DENIED) for _ in range(4)) == {"web": 2, "db": 2}

    write_config(backend.yaml(policy_yaml("metrics-only", "  podSelector: {}\n  ingress: [{ports: [{port: metrics}]}]\n")))
    daemon.reload()
    assert [backend.ask(DENIED) for _ in range(2)] == ["reset"] * 2


def test_an_endpoint_slices_target_ref_names_its_pod(start_backend, start_daemon, write_config):
    backend = Backend(start_backend)
    named = backend.slices("{kind: Pod, name: web}", "{kind: Pod, name: db}")
    daemon = start_daemon(write_config(backend.yaml(*named, DB_FROM_ALLOWED, selector=False)))
    assert Counter(backend.ask(DENIED) for _ in range(4)) == {"web": 4}

    # Named the other way round, the isolation follows the names, not the ports.
    write_config(backend.yaml(*backend.slices("{kind: Pod, name: db}", "{kind: Pod, name: web}"), DB_FROM_ALLOWED, selector=False))
    daemon.reload()
    assert Counter(backend.ask(DENIED) for _ in range(4)) == {"db": 4}


def test_a_client_pod_goes_only_where_its_egress_allows_and_is_reset_naming_both_policies(
        start_backend, start_daemon, write_config):
    backend = Backend(start_backend)
    client = pod_yaml("client", CLIENT, {"role": "client"}, {"none": 1})
    to_db = policy_yaml("client-to-db", "  podSelector: {matchLabels: {role: client}}\n  policyTypes: [Egress]\n"
                                        "  egress: [{to: [{podSelector: {matchLabels: {app: db}}}], ports: [{port: serve}]}]\n")
    config = write_config(backend.yaml(client, to_db))
    daemon = start_daemon(config)
    assert Counter(backend.ask(CLIENT) for _ in range(4)) == {"db": 4}
    assert Counter(backend.ask(DENIED) for _ in range(4)) == {"web": 2, "db": 2}, "a client that is no pod is not bound"

    plan = print_plan([config])
    assert plan.returncode == 0, plan.stderr
    assert "egress of default/client (127.0.0.5): to pods default/db on TCP port serve (default/client-to-db)" in plan.stdout
    assert f"endpoint 127.0.0.1:{backend.serving['db'].port} (pod default/db)" in plan.stdout

    # db admits only ALLOWED: the client's egress allows db alone, so nothing is left.
    write_config(backend.yaml(client, to_db, DB_FROM_ALLOWED))
    daemon.reload()
    assert [backend.ask(CLIENT) for _ in range(3)] == ["reset"] * 3
    assert refused_count(daemon, "default/backend:http", "network_policy_egress") == 3
    assert refused_count(daemon, "default/backend:http", "network_policy") == 0
    line = ("NetworkPolicy egress of client 127.0.0.5 (default/client-to-db) allows no endpoint of default/backend:http "
            "admitting it (default/db-from-allowed): refusing the connection")
    # Written by the logging thread a moment after the reset.
    assert poll_until(lambda: line in daemon.log_text(), timeout=5), daemon.log_tail()
