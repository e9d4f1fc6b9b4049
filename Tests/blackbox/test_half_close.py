"""Half-close is relayed (unlike kube-proxy): a client that shuts down its write side still
gets the whole answer that the backend sends after seeing end of stream."""

import socket

from harness import MiB, answer_after_eof, connect, pattern_bytes, recv_hash_to_eof, service_yaml, sha256

ANSWER_SIZE = 4 * MiB


def test_backend_answers_after_client_half_close_and_client_receives_all(
        start_backend, start_daemon, write_config, node_port):
    backend = start_backend(answer_after_eof(ANSWER_SIZE))
    start_daemon(write_config(service_yaml("rpc", node_port=node_port, endpoints=[backend.endpoint])))
    request = pattern_bytes(100_000, seed=3)

    with connect(("127.0.0.1", node_port)) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        received, received_sha256 = recv_hash_to_eof(sock, timeout=20)

    assert len(backend.records) == 1, f"backend saw no complete request (errors: {backend.errors})"
    request_count, request_sha256, answer_sha256 = backend.records[0]
    assert (request_count, request_sha256) == (len(request), sha256(request)), "backend got a damaged request"
    assert received == ANSWER_SIZE, f"client received {received} of {ANSWER_SIZE} answer bytes"
    assert received_sha256 == answer_sha256
