"""Cutting a blocked FFmpeg read from another thread.

PyAV offers no way to interrupt ``av_read_frame`` from outside: its interrupt
callback only compares the time since the read began with the read timeout,
so a reader thread blocked on a silent camera would hold its socket and thread
until that timeout. This module finds the TCP socket FFmpeg opened for an RTSP
session, so that :meth:`SessionSocket.abort` can ``shutdown()`` it: FFmpeg's
poll then sees the end of the connection at once (the RTSP control socket is
also polled in UDP mode) and the read returns. The file descriptor stays
FFmpeg's, which still closes it; this module holds a duplicate, closed by
:meth:`SessionSocket.release`.

Finding the socket: list this process's socket descriptors before and after
``av.open``; the session's socket is the one new TCP socket connected to the
camera's address and port (a DNS name is resolved again for the comparison).
Sessions of this driver to one address open one at a time (:func:`one_open_at_a_time`),
so two of them never see each other's new socket. When it is not certain (no
``/proc/self/fd`` or ``/dev/fd``, an unresolvable name, a redirect to another
address, another component of the process connecting to the same address at the
same moment) nothing is claimed, and a blocked read ends only with the read
timeout. A socket is claimed by one session at most.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

_FD_DIRS = (Path("/proc/self/fd"), Path("/dev/fd"))
_claimed: set[tuple[int, int]] = set()
_claimed_lock = threading.Lock()
_opening: dict[tuple[str, int], threading.Lock] = {}


@contextlib.contextmanager
def one_open_at_a_time(host: str, port: int) -> Iterator[None]:
    """Hold while opening a session to ``host``:``port`` and claiming its socket.

    Only streams of the same camera wait for each other, for the length of an open.
    """
    with _claimed_lock:
        lock = _opening.setdefault((host.lower(), port), threading.Lock())
    with lock:
        yield


def socket_inodes() -> dict[int, tuple[int, int]] | None:
    """This process's sockets: descriptor → (device, inode); ``None`` if they cannot be listed."""
    for folder in _FD_DIRS:
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        found: dict[int, tuple[int, int]] = {}
        for entry in entries:
            with contextlib.suppress(OSError, ValueError):
                st = entry.stat()
                if stat.S_ISSOCK(st.st_mode):
                    found[int(entry.name)] = (st.st_dev, st.st_ino)
        return found
    return None


class SessionSocket:
    """A duplicate of the TCP socket of one RTSP session, to cut it from any thread."""

    def __init__(self, sock: socket.socket, key: tuple[int, int]) -> None:
        self._sock = sock
        self._key = key
        self._lock = threading.Lock()
        self._released = False

    @classmethod
    def claim(
        cls, before: dict[int, tuple[int, int]] | None, host: str, port: int
    ) -> SessionSocket | None:
        """The socket opened since ``before`` was listed and connected to ``host``:``port``."""
        after = socket_inodes()
        if before is None or after is None:
            return None
        addresses = _addresses(host, port)
        known = set(before.values())
        candidates = []
        for fd, key in after.items():
            if key not in known:
                sock = _connected_to(fd, key, addresses, port)
                if sock is not None:
                    candidates.append((sock, key))
        return cls._unique(candidates)

    @classmethod
    def _unique(
        cls, candidates: list[tuple[socket.socket, tuple[int, int]]]
    ) -> SessionSocket | None:
        with _claimed_lock:
            free = [(s, k) for s, k in candidates if k not in _claimed]
            if len(free) == 1:
                _claimed.add(free[0][1])
        for sock, _ in candidates:
            if len(free) != 1 or sock is not free[0][0]:
                sock.close()
        return cls(*free[0]) if len(free) == 1 else None

    def abort(self) -> None:
        """Shut the connection down: FFmpeg's pending and later reads on it end. Any thread."""
        with self._lock:
            if not self._released:
                with contextlib.suppress(OSError):
                    self._sock.shutdown(socket.SHUT_RDWR)

    def release(self) -> None:
        """Close the duplicate; call once FFmpeg has closed its descriptor. Idempotent."""
        with self._lock:
            if self._released:
                return
            self._released = True
            self._sock.close()
        with _claimed_lock:
            _claimed.discard(self._key)


_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _address(text: str) -> _Address:
    address = ipaddress.ip_address(text.strip("[]").partition("%")[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _addresses(host: str, port: int) -> frozenset[_Address]:
    """The addresses ``host`` stands for (the resolver's answer for a DNS name)."""
    try:
        return frozenset({_address(host)})
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return frozenset()
    return frozenset(_address(str(info[4][0])) for info in infos)


def _connected_to(
    fd: int, key: tuple[int, int], addresses: frozenset[_Address], port: int
) -> socket.socket | None:
    """A duplicate of ``fd`` if it still is socket ``key``, a TCP socket connected to
    one of ``addresses`` on ``port``; else ``None``."""
    try:
        copy = os.dup(fd)
    except OSError:
        return None
    try:
        sock = socket.socket(fileno=copy)
    except OSError:
        os.close(copy)
        return None
    try:
        st = os.fstat(sock.fileno())
        if (st.st_dev, st.st_ino) == key and sock.type == socket.SOCK_STREAM:
            peer = sock.getpeername()
            if _address(str(peer[0])) in addresses and peer[1] == port:
                return sock
    except (OSError, ValueError, IndexError, TypeError):
        pass
    sock.close()
    return None
