from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from argus_driver_rtsp.sockets import SessionSocket, socket_inodes

pytestmark = pytest.mark.skipif(socket_inodes() is None, reason="no /proc/self/fd nor /dev/fd")


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server


def connect(listener: socket.socket) -> tuple[socket.socket, socket.socket]:
    client = socket.create_connection(listener.getsockname(), timeout=5)
    peer, _ = listener.accept()
    return client, peer


def test_abort_ends_a_blocked_read_on_the_claimed_socket(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    before = socket_inodes()
    client, peer = connect(listener)
    claimed = SessionSocket.claim(before, "127.0.0.1", port)
    assert claimed is not None
    client.settimeout(30)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(client.recv(10)))
    reader.start()
    claimed.abort()
    reader.join(10)
    assert not reader.is_alive() and got == [b""]
    claimed.release()
    claimed.release()
    claimed.abort()  # after release: nothing, no error
    client.close()
    peer.close()


def test_a_socket_is_claimed_once(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    before = socket_inodes()
    client, peer = connect(listener)
    first = SessionSocket.claim(before, "localhost", port)
    assert first is not None
    assert SessionSocket.claim(before, "127.0.0.1", port) is None
    first.release()
    again = SessionSocket.claim(before, "127.0.0.1", port)
    assert again is not None
    again.release()
    client.close()
    peer.close()


def test_nothing_is_claimed_when_it_is_not_certain(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    before = socket_inodes()
    one, two = connect(listener), connect(listener)
    assert SessionSocket.claim(before, "127.0.0.1", port) is None  # two candidates
    assert SessionSocket.claim(before, "127.0.0.2", port) is None  # wrong address
    assert SessionSocket.claim(before, "127.0.0.1", port + 1) is None  # wrong port
    assert SessionSocket.claim(None, "127.0.0.1", port) is None  # nothing listed before
    assert SessionSocket.claim(before, "no-such-host.invalid", port) is None
    for sock in (*one, *two):
        sock.close()
