"""The systemd notify protocol, on a NOTIFY_SOCKET the test owns: READY=1 once every listener
is bound, RELOADING=1 with MONOTONIC_USEC= then READY=1 around a reload, STOPPING=1 on
SIGTERM, and WATCHDOG=1 pings at half of WATCHDOG_USEC that stop when the process stops.
What the start or the reload logged is in the log by the time READY=1 arrives."""

import os
import signal
import time

from harness import Deadline, echo, echo_once, service_yaml


def keys(message):
    return sorted(message)


def test_notifications_follow_ready_reloading_ready_stopping(start_backend, start_daemon, write_config, node_port):
    backend = start_backend(echo)
    daemon = start_daemon(write_config(service_yaml("web", node_port=node_port, endpoints=[backend.endpoint])))
    assert daemon.notifications[-1]["READY"] == "1"
    # Its allocated ClusterIP, and the NodePort on 127.0.0.1 and ::1.
    assert daemon.notifications[-1]["STATUS"] == "Serving 1 service, 1 endpoint, 2 listeners"  # ClusterIP, NodePort on 127.0.0.1
    assert "Started: Serving 1 service" in daemon.log_text(), daemon.log_tail()

    before_reload = time.monotonic_ns() // 1000
    sequence = daemon.reload()
    after_reload = time.monotonic_ns() // 1000

    assert [m.get("RELOADING") or m.get("READY") for m in sequence] == ["1", "1"]
    reloading, ready = sequence
    assert "RELOADING" in reloading and "READY" not in reloading
    assert before_reload <= int(reloading["MONOTONIC_USEC"]) <= after_reload
    assert ready["STATUS"].startswith("Serving ")
    assert "Reloaded: Serving 1 service" in daemon.log_text(), daemon.log_tail()

    daemon.process.send_signal(signal.SIGTERM)
    stopping = daemon.next_notification(timeout=5)
    assert stopping is not None and stopping.get("STOPPING") == "1"
    assert daemon.wait_exit(timeout=10) == 0


def test_invalid_reload_keeps_serving_and_says_so_in_status(start_backend, start_daemon, write_config, node_port):
    backend = start_backend(echo)
    config = write_config(service_yaml("web", node_port=node_port, endpoints=[backend.endpoint]))
    daemon = start_daemon(config)

    config.write_text(service_yaml("web", node_port=99999, endpoints=[backend.endpoint]))
    ready = daemon.reload()[-1]

    assert "the last reload failed" in ready["STATUS"]
    assert daemon.alive()
    assert echo_once(("127.0.0.1", node_port), b"still here") == b"still here"
    assert "spec.ports[0].nodePort: Invalid value: 99999" in daemon.log_text(), daemon.log_tail()


def test_watchdog_pings_at_half_the_interval_and_stop_while_the_process_is_stopped(
        start_backend, start_daemon, write_config, node_port):
    backend = start_backend(echo)
    daemon = start_daemon(write_config(service_yaml("web", node_port=node_port, endpoints=[backend.endpoint])),
                          workers=2, extra_env={"WATCHDOG_USEC": "400000"})

    def pings_within(seconds):
        count = 0
        deadline = Deadline(seconds)
        while not deadline.expired():
            message = daemon.next_notification(deadline.remaining())
            if message is not None and message.get("WATCHDOG") == "1":
                count += 1
        return count

    assert pings_within(1.0) >= 3  # every 200 ms

    os.kill(daemon.pid, signal.SIGSTOP)
    try:
        pings_within(0.1)  # drop one that may have been sent just before the stop
        assert pings_within(1.0) == 0
    finally:
        os.kill(daemon.pid, signal.SIGCONT)
    assert pings_within(1.0) >= 3
