"""Relay pipes: a streaming direction is spliced through a pipe instead of copied through a
buffer. Bytes arrive intact either way and with any pipe size, a half-close is relayed after
the last spliced byte, and a connection holds a pipe only while bytes wait in it: connections
that went idle hold none, so the daemon's pipes do not grow with its connections."""

import socket

import pytest

from harness import MiB, answer_after_eof, connect, echo, pattern_chunks, recv_hash_to_eof, service_yaml
from harness.basics import StreamTally

REQUEST_SIZE = 32 * MiB
ANSWER_SIZE = 48 * MiB


def open_pipes(daemon) -> int:
    """Pipes the daemon holds open: both ends of one show the same "pipe:[inode]"."""
    return len({target for target in daemon.fd_targets().values() if target.startswith("pipe:")})


@pytest.mark.parametrize("pipe_size", [None, "4096", "0"], ids=["default-pipes", "one-page-pipes", "copying"])
def test_large_transfers_each_way_with_a_half_close_arrive_intact(
        start_backend, start_daemon, write_config, node_port, pipe_size):
    backend = start_backend(answer_after_eof(ANSWER_SIZE))
    start_daemon(write_config(service_yaml("bulk", node_port=node_port, endpoints=[backend.endpoint])),
                 extra_args=("--relay-pipe-size", pipe_size) if pipe_size else ())
    request = StreamTally()

    with connect(("127.0.0.1", node_port), timeout=60) as sock:
        for chunk in pattern_chunks(REQUEST_SIZE, seed=11):
            sock.sendall(chunk)
            request.add(chunk)
        sock.shutdown(socket.SHUT_WR)
        received, received_sha256 = recv_hash_to_eof(sock, timeout=60)

    assert len(backend.records) == 1, f"backend saw no complete request (errors: {backend.errors})"
    request_count, request_sha256, answer_sha256 = backend.records[0]
    assert (request_count, request_sha256) == (REQUEST_SIZE, request.hexdigest), "backend got a damaged request"
    assert (received, received_sha256) == (ANSWER_SIZE, answer_sha256), "client got a damaged answer"


def test_connections_that_went_idle_hold_no_pipe(start_backend, start_daemon, write_config, node_port):
    backend = start_backend(echo)
    daemon = start_daemon(write_config(service_yaml("idle", node_port=node_port, endpoints=[backend.endpoint])))
    before = open_pipes(daemon)
    connections = []
    try:
        for index in range(20):
            sock = connect(("127.0.0.1", node_port), timeout=30)
            connections.append(sock)
            sent = StreamTally()
            echoed = StreamTally()
            for chunk in pattern_chunks(MiB, seed=index):
                sock.sendall(chunk)
                sent.add(chunk)
                while echoed.count < sent.count:  # the echo comes back before the next chunk goes
                    echoed.add(sock.recv(sent.count - echoed.count))
            assert echoed.hexdigest == sent.hexdigest, f"connection {index}: echo differs"
        # Twenty connections moved a MiB each way and are open and idle: a connection that
        # kept its pipes would hold forty. The pool keeps the ones it opened for the next.
        held = open_pipes(daemon) - before
        assert held >= 1, "the transfers were not spliced"
        assert held <= 2, f"{held} pipes open for 20 idle connections"
    finally:
        for sock in connections:
            sock.close()


@pytest.mark.parametrize("then_close", [False, True], ids=["more-after", "end-after"])
def test_an_urgent_byte_in_a_spliced_stream_loses_nothing_behind_it(
        start_backend, start_daemon, write_config, node_port, then_close):
    # splice(2) stops at an urgent (MSG_OOB) byte, saying "would block" (or 0, as at the end,
    # when a FIN follows) while bytes wait behind it; a read steps past it. The urgent byte
    # itself is not part of the stream (SO_OOBINLINE is off) and is not relayed.
    backend = start_backend(echo)
    start_daemon(write_config(service_yaml("urgent", node_port=node_port, endpoints=[backend.endpoint])))
    sent, echoed = StreamTally(), StreamTally()
    with connect(("127.0.0.1", node_port), timeout=10) as sock:
        for chunk in pattern_chunks(MiB, seed=5):  # a stream: spliced
            sock.sendall(chunk)
            sent.add(chunk)
            while echoed.count < sent.count:
                echoed.add(sock.recv(sent.count - echoed.count))
        sock.send(b"!", socket.MSG_OOB)
        tail = b"behind the urgent byte " * 400
        sock.sendall(tail)
        sent.add(tail)
        if then_close:
            sock.shutdown(socket.SHUT_WR)
        while echoed.count < sent.count:
            data = sock.recv(65536)
            assert data, f"the stream ended {sent.count - echoed.count} bytes early"
            echoed.add(data)
        if then_close:
            assert sock.recv(1) == b"", "the half-close follows the last byte"
    assert echoed.hexdigest == sent.hexdigest
