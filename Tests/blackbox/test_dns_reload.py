"""The cluster DNS across a SIGHUP: a Service given a new ClusterIP answers the new address,
a new Service appears and a deleted one is gone (NXDOMAIN); and while the reload happens,
clients querying without pause never see an error or a timeout, each answer holding either
the old address or the new one."""

import threading
import time

import dns.exception

from harness import Deadline, pick_cluster_ip
from harness.dns import (
    Port, addresses, cluster_ip_service_yaml, documents, query, rcode, service_name,
)
from harness.udp import pick_udp_port


def service(name, cluster_ip, port):
    return cluster_ip_service_yaml(name, cluster_ip, [Port("http", port, "TCP", target_port=8080)])


def test_a_reload_changes_a_services_address_adds_new_names_and_removes_deleted_ones(start_cluster_dns, write_config):
    old_ip, new_ip, api_ip, gone_ip = (pick_cluster_ip() for _ in range(4))
    port = pick_udp_port((old_ip, new_ip, api_ip, gone_ip))
    config = write_config(documents(service("web", old_ip, port), service("gone", gone_ip, port)))
    daemon = start_cluster_dns(config)
    assert addresses(query(daemon.dns_address, service_name("web"))) == [old_ip]
    assert addresses(query(daemon.dns_address, service_name("gone"))) == [gone_ip]
    assert rcode(query(daemon.dns_address, service_name("api"))) == "NXDOMAIN"

    config.write_text(documents(service("web", new_ip, port), service("api", api_ip, port)))
    daemon.reload()

    assert addresses(query(daemon.dns_address, service_name("web"))) == [new_ip]
    assert addresses(query(daemon.dns_address, service_name("api"))) == [api_ip]
    assert rcode(query(daemon.dns_address, service_name("gone"))) == "NXDOMAIN"
    assert addresses(query(daemon.dns_address, service_name("web"), tcp=True)) == [new_ip]


CLIENTS = 4
RATE_PER_CLIENT = 250          # queries a second: 1,000 a second in all
MAX_QUERIES_PER_CLIENT = 3000  # and never more than this, whatever happens


def test_queries_during_reloads_all_get_the_old_or_the_new_address(start_cluster_dns, write_config):
    first_ip, second_ip = pick_cluster_ip(), pick_cluster_ip()
    port = pick_udp_port((first_ip, second_ip))
    config = write_config(service("web", first_ip, port))
    daemon = start_cluster_dns(config)
    stop = threading.Event()
    lock = threading.Lock()
    seen: dict[str, int] = {}
    failures: list[str] = []

    def client(number):
        interval = 1.0 / RATE_PER_CLIENT
        next_send = time.monotonic()
        for sent in range(MAX_QUERIES_PER_CLIENT):
            if stop.is_set():
                return
            tcp = sent % 10 == number   # one query in ten over TCP
            try:
                reply = query(daemon.dns_address, service_name("web"), tcp=tcp, timeout=2)
                outcome = f"{rcode(reply)} {' '.join(addresses(reply))}"
            except (dns.exception.DNSException, OSError) as error:
                outcome = f"{type(error).__name__} {error}"
            with lock:
                seen[outcome] = seen.get(outcome, 0) + 1
                if outcome not in (f"NOERROR {first_ip}", f"NOERROR {second_ip}"):
                    failures.append(outcome)
            next_send += interval
            delay = next_send - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def total(outcome):
        with lock:
            return seen.get(outcome, 0)

    threads = [threading.Thread(target=client, args=(n,), name=f"dns-client-{n}") for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    try:
        # Load first, then three reloads flipping the address, each followed by answers of the
        # address it brought, and load for 3 s at least, all under one deadline.
        deadline = Deadline(20)
        load_started = time.monotonic()
        while total(f"NOERROR {first_ip}") < 200 and not deadline.expired():
            time.sleep(0.05)
        for target in (second_ip, first_ip, second_ip):
            before = total(f"NOERROR {target}")
            config.write_text(service("web", target, port))
            daemon.reload()
            while total(f"NOERROR {target}") < before + 200 and not deadline.expired():
                time.sleep(0.05)
        while time.monotonic() - load_started < 3 and not deadline.expired():
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)

    assert failures == [], (failures[:10], seen)
    assert total(f"NOERROR {first_ip}") >= 400 and total(f"NOERROR {second_ip}") >= 400, seen
    assert addresses(query(daemon.dns_address, service_name("web"))) == [second_ip]
