"""Logging never blocks a worker: with --access-log writing one line per connection to a
stderr pipe that nobody reads, connections are still relayed, the watchdog keeps being
pinged, and the lines that found no room are counted in svcproxy_log_messages_dropped_total.
On SIGTERM the daemon exits on time even while its log reader is still stuck."""

import fcntl
import os
import threading
import time

from harness import Deadline, echo, echo_many, service_yaml
from harness.admin import scrape, series

WATCHDOG_USEC = 1_000_000
# More access lines than the log queue holds (4096), so that some must be dropped.
CONNECTIONS = 6000
BATCH = 250


def unread_stderr_pipe():
    """A pipe of one page: a few dozen log lines fill it, and then nobody reads it."""
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)
    return read_end, write_end


def drain_in_background(read_end):
    """Reads the pipe to end of stream (the daemon's exit) on a thread of its own."""
    def drain():
        while os.read(read_end, 65536):
            pass

    thread = threading.Thread(target=drain, name="stderr-drain", daemon=True)
    thread.start()
    return thread


class WatchdogPings:
    """Collects the WATCHDOG=1 datagrams' arrival times on a thread while traffic runs."""

    def __init__(self, daemon):
        self.daemon = daemon
        self.times = [time.monotonic()]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._collect, name="watchdog-pings", daemon=True)
        self._thread.start()

    def _collect(self):
        while not self._stop.is_set():
            message = self.daemon.next_notification(0.1)
            if message is not None and message.get("WATCHDOG") == "1":
                self.times.append(time.monotonic())

    def longest_gap(self) -> float:
        self._stop.set()
        self._thread.join(timeout=5)
        times = self.times + [time.monotonic()]
        return max(b - a for a, b in zip(times, times[1:]))


def start_with_unread_stderr(start_backend, start_daemon, write_config, node_port):
    backend = start_backend(echo)
    read_end, write_end = unread_stderr_pipe()
    try:
        daemon = start_daemon(write_config(service_yaml("web", node_port=node_port, endpoints=[backend.endpoint])),
                              workers=2, extra_args=("--access-log", "--log-format", "text"),
                              extra_env={"WATCHDOG_USEC": str(WATCHDOG_USEC)}, stderr=write_end)
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)  # the daemon holds its own copy
    return daemon, read_end


def test_a_stderr_nobody_reads_stalls_neither_relaying_nor_the_watchdog(
        start_backend, start_daemon, write_config, node_port):
    daemon, read_end = start_with_unread_stderr(start_backend, start_daemon, write_config, node_port)
    try:
        pings = WatchdogPings(daemon)
        deadline = Deadline(60)
        relayed = 0
        failures = []
        while relayed < CONNECTIONS and not failures and not deadline.expired():
            outcome = echo_many(("127.0.0.1", node_port), BATCH, 16, timeout=min(10, deadline.remaining()),
                                seed_base=relayed)
            relayed += outcome.ok
            failures = outcome.failures
        gap = pings.longest_gap()

        assert (relayed, failures[:3]) == (CONNECTIONS, [])
        assert gap < WATCHDOG_USEC / 1e6, f"no watchdog ping for {gap:.2f} s while relaying"
        assert series(scrape(daemon), "svcproxy_log_messages_dropped_total") > 0
        assert daemon.alive()
    finally:
        drainer = drain_in_background(read_end)
        daemon.stop()
        drainer.join(timeout=10)
        os.close(read_end)


def test_stop_is_not_held_up_by_a_log_reader_that_never_reads(start_backend, start_daemon, write_config, node_port):
    daemon, read_end = start_with_unread_stderr(start_backend, start_daemon, write_config, node_port)
    try:
        echo_many(("127.0.0.1", node_port), 100, 16, timeout=10)  # fills the pipe with access lines

        elapsed = daemon.stop()

        assert elapsed < 5, f"exit took {elapsed:.2f} s with the log reader stuck"
    finally:
        os.close(read_end)
