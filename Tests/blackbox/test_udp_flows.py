"""UDP flows: a flow is one client address:port talking to one service address:port. Its first
datagram picks an endpoint (exact round-robin across flows and workers, or the client IP's
pin under ClientIP affinity); its later datagrams go to the same endpoint. A flow ends after
its timeout of silence, when its endpoint refuses (ICMP port unreachable), or when its
endpoint leaves the plan on reload; the next datagram then picks anew."""

import time
from collections import Counter

import pytest

from harness import pick_cluster_ip
from harness.udp import (
    SILENCE, Port, UdpClient, ask_new_flow, dropped, ended, pick_udp_port, refusing_udp_endpoint, replies_within,
    settled_metrics, udp_service_yaml,
)



class EchoService:
    """Service `echo`, UDP port `dns` on a ClusterIP of its own, over named echo endpoints."""

    def __init__(self, start_udp_echo, names=("a", "b")):
        self.cluster_ip = pick_cluster_ip()
        self.port = pick_udp_port((self.cluster_ip,))
        self.address = (self.cluster_ip, self.port)
        self.echoes = {name: start_udp_echo(name) for name in names}

    def yaml(self, names=None, endpoints=None, **options) -> str:
        if endpoints is None:
            endpoints = [self.echoes[n].endpoint for n in (names if names is not None else self.echoes)]
        return udp_service_yaml("echo", [Port("dns", self.port)], {"dns": endpoints},
                                cluster_ip=self.cluster_ip, **options)

    def metrics(self, daemon, until=lambda figures: True, timeout: float = 5.0) -> dict:
        """This port's UDP metrics, once `until(figures)` holds (or after `timeout`)."""
        return settled_metrics(daemon, "echo", "dns", until, timeout)


@pytest.mark.parametrize("workers", [1, 2])
def test_ten_new_flows_alternate_exactly_between_two_endpoints(workers, start_udp_echo, start_daemon, write_config):
    svc = EchoService(start_udp_echo)
    daemon = start_daemon(write_config(svc.yaml()), workers=workers)

    answers = [ask_new_flow(svc.address, payload=b"flow %d" % i) for i in range(10)]

    assert Counter(answers) == {"a": 5, "b": 5}, answers
    assert all(first != second for first, second in zip(answers, answers[1:])), answers
    figures = svc.metrics(daemon, lambda f: f["out"] >= 10)
    assert figures["flows"] == 10 and figures["in"] == 10 and figures["out"] == 10, figures


def test_a_flow_stays_on_its_endpoint_while_new_flows_rotate(start_udp_echo, start_daemon, write_config):
    svc = EchoService(start_udp_echo, names=("a", "b", "c"))
    daemon = start_daemon(write_config(svc.yaml()), workers=2)

    with UdpClient() as steady:
        mine, others = [], []
        for i in range(30):
            mine.append(steady.name_from(svc.address, b"steady %d" % i))
            others.append(ask_new_flow(svc.address, payload=b"other %d" % i))

    assert len(set(mine)) == 1 and mine[0] in ("a", "b", "c"), mine
    # The steady flow took one pick; the 30 new flows share the rotation exactly.
    assert Counter(others) == {"a": 10, "b": 10, "c": 10}, others
    assert sum(echo.count() for echo in svc.echoes.values()) == 60
    figures = svc.metrics(daemon, lambda f: f["out"] >= 60)
    assert figures["in"] == 60 and figures["out"] == 60 and figures["flows"] == 31 and figures["active"] == 31, figures


def test_a_flow_silent_past_its_udp_timeout_ends_and_its_next_datagram_goes_to_the_next_endpoint(
        start_udp_echo, start_daemon, write_config):
    svc = EchoService(start_udp_echo)
    daemon = start_daemon(write_config(svc.yaml(udp_timeout="1s")))

    with UdpClient() as client:
        first = client.name_from(svc.address, b"one")
        # Datagrams 0.4 s apart keep the flow alive well past its 1 s timeout.
        kept = []
        for i in range(5):
            time.sleep(0.4)   # the passage of time is what is under test
            kept.append(client.name_from(svc.address, b"again %d" % i))
        assert kept == [first] * 5
        figures = svc.metrics(daemon)
        assert figures["active"] == 1 and figures["flows"] == 1 and ended(figures, "timeout") == 0, figures

        # Then silence: the flow ends by its timeout (waited for generously), and the same
        # client port is a new flow that takes the next endpoint in the rotation.
        figures = svc.metrics(daemon, lambda f: ended(f, "timeout") >= 1, timeout=10)
        assert ended(figures, "timeout") == 1 and figures["active"] == 0, figures
        after = client.name_from(svc.address, b"after the timeout")

    assert after != first and after in ("a", "b")
    figures = svc.metrics(daemon, lambda f: f["flows"] >= 2)
    assert figures["flows"] == 2 and figures["active"] == 1, figures


def test_an_endpoint_removed_by_reload_moves_its_flow_at_the_next_datagram_and_no_other(
        start_udp_echo, start_daemon, write_config):
    svc = EchoService(start_udp_echo, names=("a", "b", "c"))
    config = write_config(svc.yaml())
    daemon = start_daemon(config)

    with UdpClient() as moving, UdpClient() as staying:
        gone = moving.name_from(svc.address, b"before")
        kept = staying.name_from(svc.address, b"before")
        assert gone != kept
        before_reload = svc.echoes[gone].count()

        write_config(svc.yaml(names=[n for n in svc.echoes if n != gone]))
        daemon.reload()

        moved = [moving.name_from(svc.address, b"after %d" % i) for i in range(5)]
        stayed = [staying.name_from(svc.address, b"after %d" % i) for i in range(5)]

    assert len(set(moved)) == 1 and moved[0] != gone, moved
    assert stayed == [kept] * 5
    assert svc.echoes[gone].count() == before_reload   # nothing more reached the removed endpoint
    figures = svc.metrics(daemon, lambda f: ended(f, "endpoint_removed") >= 1 and f["flows"] >= 3)
    assert ended(figures, "endpoint_removed") == 1, figures
    assert figures["flows"] == 3 and figures["active"] == 2, figures


def test_a_refusing_endpoint_ends_the_flow_and_the_next_datagram_goes_to_the_other(
        start_udp_echo, start_daemon, write_config):
    svc = EchoService(start_udp_echo, names=("live",))
    refusing = refusing_udp_endpoint()
    daemon = start_daemon(write_config(svc.yaml(endpoints=[refusing, svc.echoes["live"].endpoint])))

    # Find a flow that the rotation sends to the refusing endpoint: of two new flows in a row,
    # exactly one goes there, and it gets no answer.
    first = UdpClient()
    second = UdpClient()
    try:
        if first.name_from(svc.address, b"probe", timeout=SILENCE) is None:
            refused = first
        else:
            assert second.name_from(svc.address, b"probe", timeout=SILENCE) is None
            refused = second
        figures = svc.metrics(daemon, lambda f: ended(f, "refused") >= 1)
        assert ended(figures, "refused") == 1, figures
        flows = 3 if refused is second else 2

        # The refused flow is over: the same client port starts a new one, on the live endpoint.
        again = refused.name_from(svc.address, b"once more")
    finally:
        first.close()
        second.close()

    assert again == "live"
    figures = svc.metrics(daemon, lambda f: f["flows"] >= flows)
    assert figures["flows"] == flows and ended(figures, "refused") == 1, figures


def test_a_service_without_endpoints_drops_and_counts_its_datagrams(start_udp_echo, start_daemon, write_config):
    svc = EchoService(start_udp_echo, names=())
    daemon = start_daemon(write_config(svc.yaml(endpoints=[])))

    with UdpClient() as one, UdpClient() as two:
        one.send(svc.address, b"anyone?")
        two.send(svc.address, b"anyone?")
        assert replies_within([one, two]) == [None, None]

    figures = svc.metrics(daemon, lambda f: dropped(f, "no_endpoints") >= 2)
    assert dropped(figures, "no_endpoints") == 2, figures
    assert figures["active"] == 0


def test_client_ip_affinity_keeps_every_source_port_of_a_client_on_one_endpoint(
        start_udp_echo, start_daemon, write_config):
    svc = EchoService(start_udp_echo)
    start_daemon(write_config(svc.yaml(affinity_timeout=10800)), workers=2)

    # The first flow of each client IP takes the next endpoint in the rotation; every later
    # flow from that IP, whatever its source port, goes to the same endpoint.
    first = {client: ask_new_flow(svc.address, source=client) for client in ("127.0.0.2", "127.0.0.3")}
    later = {client: Counter(ask_new_flow(svc.address, source=client, payload=b"port %d" % i) for i in range(15))
             for client in ("127.0.0.3", "127.0.0.2")}

    assert sorted(first.values()) == ["a", "b"], first
    for client, answers in later.items():
        assert answers == {first[client]: 15}, (client, answers)
