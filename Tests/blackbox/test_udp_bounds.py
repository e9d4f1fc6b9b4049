"""`--udp-max-flows` bounds the flows a node keeps: 20,000 flows against a bound of 10,000 are
all answered, the oldest idle flows are evicted (and counted) to make room, and the daemon's
memory and descriptors stop growing at the bound."""

from harness import pick_cluster_ip
from harness.udp import Port, UdpClient, ended, many_flows, pick_udp_port, settled_metrics, udp_service_yaml


MAX_FLOWS = 10_000
BATCH = 200   # datagrams in flight at once: well within a socket's default receive buffer
MiB_IN_KIB = 1024


def test_twenty_thousand_flows_against_a_bound_of_ten_thousand_evict_the_oldest(
        start_udp_echo, start_daemon, write_config):
    echo = start_udp_echo("a")
    cluster_ip = pick_cluster_ip()
    port = pick_udp_port((cluster_ip,))
    daemon = start_daemon(write_config(udp_service_yaml("echo", [Port("dns", port, target_port=echo.port)],
                                                        {"dns": [echo.endpoint]}, cluster_ip=cluster_ip)),
                          extra_args=("--udp-max-flows", str(MAX_FLOWS)))
    address = (cluster_ip, port)

    def figures(until=lambda f: True):
        return settled_metrics(daemon, "echo", "dns", until)

    rss_start, fds_start = daemon.rss_kib(), daemon.fd_count()
    # Each batch of sockets binds a source IP of its own: no source address:port is used twice,
    # so every socket is a new flow. Flow 0 (the oldest) stays open for later.
    sources = [f"127.0.3.{i}" for i in range(1, 2 * MAX_FLOWS // BATCH + 1)]
    half = len(sources) // 2
    first, kept_old = many_flows(address, MAX_FLOWS, sources[:half], BATCH, timeout=30, keep={0})
    at_bound = figures(lambda f: f["flows"] >= first.answered)
    rss_at_bound = daemon.rss_kib()
    second, kept_new = many_flows(address, MAX_FLOWS, sources[half:], BATCH, timeout=30, keep={MAX_FLOWS - 1})
    after = figures(lambda f: f["flows"] >= at_bound["flows"] + second.answered)
    rss_after, fds_after = daemon.rss_kib(), daemon.fd_count()

    try:
        assert (first.sent, second.sent) == (MAX_FLOWS, MAX_FLOWS)
        assert (first.answered, second.answered) == (MAX_FLOWS, MAX_FLOWS), (first, second)
        resent = first.resent + second.resent
        other_ends = sum(v for k, v in after.items() if k.startswith("ended_") and k != "ended_evicted")
        assert after["flows"] >= 2 * MAX_FLOWS, after
        assert after["active"] <= MAX_FLOWS, after
        # Every flow created is either still active or ended; here only eviction ends them
        # (the default timeout of 30 s is far off), save for a late reply to a closed client
        # socket after a resend.
        assert ended(after, "evicted") + other_ends + after["active"] == after["flows"], after
        assert other_ends <= resent, after
        assert ended(after, "evicted") >= after["flows"] - MAX_FLOWS - other_ends, after
        # Memory and descriptors stop growing at the bound.
        grown_to_bound = max(0, rss_at_bound - rss_start)
        assert rss_after - rss_at_bound <= max(8 * MiB_IN_KIB, grown_to_bound // 2), \
            (rss_start, rss_at_bound, rss_after)
        assert fds_after <= fds_start + MAX_FLOWS + 64, (fds_start, fds_after)

        # The newest flow is still there: its next datagram creates no flow. The oldest was
        # evicted: its next datagram is a new flow. Both are answered.
        created = after["flows"]
        newest = UdpClient.wrap(kept_new[MAX_FLOWS - 1])
        assert newest.ask(address, b"newest again") is not None
        assert figures(lambda f: f["in"] > after["in"])["flows"] == created
        oldest = UdpClient.wrap(kept_old[0])
        assert oldest.ask(address, b"oldest again") is not None
        final = figures(lambda f: f["flows"] > created)
        assert final["flows"] == created + 1 and final["active"] <= MAX_FLOWS, final
    finally:
        for sock in list(kept_old.values()) + list(kept_new.values()):
            sock.close()
    assert daemon.alive()
