"""Everything the black-box tests need to drive svcproxy from the outside.

The tests own every socket: the daemon's NOTIFY_SOCKET, the backends it relays to, and the
clients that connect through it. The modules hold those pieces (`basics`: deadlines, ports,
data; `daemon`: config and process; `backends`: servers as threads; `clients`: connections
through the daemon) so that each test file reads as the behaviour it proves. Nothing here
sleeps to synchronise: readiness is the daemon's READY=1 datagram, exit is its pidfd, and
data is waited for on the socket itself. Where no event exists (a descriptor count settling,
a sender stalling), we poll with a deadline.
"""

from .backends import Backend, answer_after_eof, echo, identify, source
from .basics import (
    CHUNK, GiB, KiB, MiB, Deadline, family_of, pattern_bytes, pattern_chunks, pick_cluster_ip,
    pick_port, poll_until, refusing_endpoint, sha256, wait_until_stalled,
)
from .clients import (
    DuplexResult, EchoOutcome, ask_name, connect, duplex_transfer, echo_many, echo_once,
    recv_hash_to_eof, recv_to_eof, time_until_end, wait_for_end,
)
from .daemon import BINARY, CLUSTER_IP_RANGE, NODEPORT_ADDRESSES, Daemon, DaemonError, service_yaml
