"""NetworkPolicy ingress enforced at the proxy, after the cases of Kubernetes' network-policy
e2e tests (test/e2e/network/netpol): the pods behind a service are Pods with labels at their
own loopback IPs, clients are loopback addresses of their own, and each connection reaches
only endpoints whose pod admits its client; when none does, it is reset."""

from collections import Counter

from harness import identify, pick_cluster_ip, pick_port, poll_until
from harness.node import documents, name_from, pod_yaml, policy_yaml, refused_count, selector_service_yaml

ALLOWED, DENIED, OTHER = "127.0.0.2", "127.0.0.3", "127.0.0.4"


class Web:
    """Pods a and b (app: web) behind service `web`, each answering with its name on every port."""

    def __init__(self, start_backend, port_names=("http",)):
        self.cluster_ip = pick_cluster_ip()
        self.ports = {name: pick_port((self.cluster_ip,)) for name in port_names}
        self.pods = []
        for pod in ("a", "b"):
            ip = pick_cluster_ip()
            backends = {name: start_backend(identify, host=ip, name=f"{pod}:{name}") for name in port_names}
            self.pods.append(pod_yaml(f"web-{pod}", ip, {"app": "web", "name": pod},
                                      {name: b.port for name, b in backends.items()}))

    def yaml(self, *policies: str) -> str:
        return documents(selector_service_yaml("web", self.cluster_ip, self.ports), *self.pods, *policies)

    def ask(self, client: str, port_name: str = "http") -> str:
        answer = name_from(client, (self.cluster_ip, self.ports[port_name]))
        return answer.split(":")[0]


DENY_ALL = policy_yaml("deny-all", "  podSelector: {}\n  policyTypes: [Ingress]\n")
ALLOW_ALL = policy_yaml("allow-all", "  podSelector: {}\n  ingress: [{}]\n")


def allow_from(name: str, cidr: str, extra: str = "") -> str:
    return policy_yaml(name, f"  podSelector: {{}}\n  ingress: [{{from: [{{ipBlock: {{cidr: {cidr}{extra}}}}}]}}]\n")


def test_without_policies_every_client_reaches_every_endpoint(start_backend, start_daemon, write_config):
    web = Web(start_backend)
    start_daemon(write_config(web.yaml()))
    assert Counter(web.ask(ALLOWED) for _ in range(4)) == {"a": 2, "b": 2}


def test_default_deny_ingress_refuses_every_client_and_says_why(start_backend, start_daemon, write_config):
    web = Web(start_backend)
    daemon = start_daemon(write_config(web.yaml(DENY_ALL)))
    assert [web.ask(client) for client in (ALLOWED, DENIED, OTHER)] == ["reset"] * 3
    # Written by the logging thread a moment after the reset.
    line = "NetworkPolicy denies client 127.0.0.2 every endpoint of default/web:http (default/deny-all)"
    assert poll_until(lambda: line in daemon.log_text(), timeout=5), daemon.log_tail()
    assert refused_count(daemon, "default/web:http", "network_policy") == 3


def test_allow_all_admits_every_client_even_beside_a_deny(start_backend, start_daemon, write_config):
    web = Web(start_backend)
    start_daemon(write_config(web.yaml(DENY_ALL, ALLOW_ALL)))
    assert Counter(web.ask(client) for client in (ALLOWED, DENIED, OTHER, ALLOWED)) == {"a": 2, "b": 2}


def test_a_policy_allowing_one_port_denies_the_other(start_backend, start_daemon, write_config):
    web = Web(start_backend, port_names=("http", "admin"))
    only_http = policy_yaml("only-http", "  podSelector: {}\n  ingress: [{ports: [{port: http, protocol: TCP}]}]\n")
    start_daemon(write_config(web.yaml(only_http)))
    assert web.ask(ALLOWED, "http") in ("a", "b")
    assert web.ask(ALLOWED, "admin") == "reset"


def test_two_stacked_policies_allow_the_union(start_backend, start_daemon, write_config):
    web = Web(start_backend)
    start_daemon(write_config(web.yaml(allow_from("one", f"{ALLOWED}/32"), allow_from("two", f"{DENIED}/32"))))
    assert web.ask(ALLOWED) in ("a", "b")
    assert web.ask(DENIED) in ("a", "b")
    assert web.ask(OTHER) == "reset"


def test_ip_block_with_except_allows_the_cidr_but_not_the_hole(start_backend, start_daemon, write_config):
    web = Web(start_backend)
    start_daemon(write_config(web.yaml(allow_from("block", "127.0.0.0/24", f", except: [{DENIED}/32]"))))
    assert web.ask(ALLOWED) in ("a", "b")
    assert web.ask(OTHER) in ("a", "b")
    assert web.ask(DENIED) == "reset"


def test_a_udp_only_rule_does_not_admit_tcp(start_backend, start_daemon, write_config):
    web = Web(start_backend)
    udp = policy_yaml("udp-only", "  podSelector: {}\n  ingress: [{ports: [{protocol: UDP, port: http}]}]\n")
    start_daemon(write_config(web.yaml(udp)))
    assert web.ask(ALLOWED) == "reset"


def test_deleting_or_changing_a_policy_by_reload_changes_the_verdict_for_new_connections(
        start_backend, start_daemon, write_config):
    web = Web(start_backend)
    daemon = start_daemon(write_config(web.yaml(DENY_ALL)))
    assert web.ask(ALLOWED) == "reset"

    write_config(web.yaml())
    daemon.reload()
    assert web.ask(ALLOWED) in ("a", "b")

    write_config(web.yaml(allow_from("some", f"{ALLOWED}/32")))
    daemon.reload()
    assert web.ask(ALLOWED) in ("a", "b")
    assert web.ask(DENIED) == "reset"


def test_a_denied_client_goes_only_to_the_endpoint_whose_pod_admits_it(start_backend, start_daemon, write_config):
    web = Web(start_backend)
    deny_a = policy_yaml("deny-a", "  podSelector: {matchLabels: {name: a}}\n  policyTypes: [Ingress]\n")
    start_daemon(write_config(web.yaml(deny_a)), workers=2)
    assert Counter(web.ask(DENIED) for _ in range(10)) == {"b": 10}


def test_pod_and_namespace_selectors_admit_client_pods_by_their_ip(start_backend, start_daemon, write_config):
    web = Web(start_backend)
    frontend_namespace = "apiVersion: v1\nkind: Namespace\nmetadata: {name: frontend, labels: {team: fe}}\n"
    client_pod = pod_yaml("client", ALLOWED, {"role": "client"}, {"none": 1}, namespace="frontend")
    other_pod = pod_yaml("other", DENIED, {"role": "other"}, {"none": 1}, namespace="frontend")
    both = policy_yaml("from-frontend-clients", "  podSelector: {}\n  ingress: [{from: [{namespaceSelector: "
                       "{matchLabels: {team: fe}}, podSelector: {matchLabels: {role: client}}}]}]\n")
    start_daemon(write_config(web.yaml(frontend_namespace, client_pod, other_pod, both)))
    assert web.ask(ALLOWED) in ("a", "b")
    assert web.ask(DENIED) == "reset"
    assert web.ask(OTHER) == "reset"
