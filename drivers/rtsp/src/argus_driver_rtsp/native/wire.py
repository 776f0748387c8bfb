"""The RTSP connection's bytes: requests out, responses and ``$``-framed interleaved data in.

:class:`Wire` owns one non-blocking TCP socket and one receive buffer. Reads
happen on one thread at a time (the caller's); :meth:`Wire.send` and
:meth:`Wire.shutdown` may come from any thread. Nothing here knows about
credentials: requests arrive fully formed, and no request or response text is
ever logged.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from dataclasses import dataclass, field

#: Receive buffer: room for several interleaved frames (each at most 64 KiB + 4).
BUFFER_SIZE = 512 * 1024
_MAX_FRAME = 4 + 0xFFFF
_MAX_HEADER = 64 * 1024
_MAX_BODY = 256 * 1024
_POLL_IN = select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP


class ProtocolError(Exception):
    """The peer sent something that is not RTSP."""


@dataclass(slots=True)
class Response:
    """An RTSP response; header names lower case, repeated headers kept in order."""

    status: int
    reason: str
    headers: dict[str, list[str]] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None


class Wire:
    """One RTSP/TCP connection's socket and receive buffer.

    :meth:`fill` appends to ``buf[end:]``; consumers parse ``buf[pos:end]`` and
    advance ``pos``. Interleaved frames are handed out by the caller's own
    parser (the hot path); :meth:`read_response` skips them.
    """

    def __init__(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock
        self.buf = bytearray(BUFFER_SIZE)
        self.pos = 0
        self.end = 0
        self._view = memoryview(self.buf)
        self._poll = select.poll()
        self._poll.register(sock.fileno(), _POLL_IN)
        self._send_lock = threading.Lock()
        self._shut = False

    @classmethod
    def connect(cls, host: str, port: int, timeout: float) -> Wire:
        """:raises OSError: as :func:`socket.create_connection` (refused, timed out …)."""
        return cls(socket.create_connection((host, port), timeout=timeout))

    # -- reading (one thread at a time) ------------------------------------------

    def fill(self, timeout: float) -> int:
        """Receive what is there, waiting at most ``timeout`` s; the bytes added (0: none yet).

        :raises EOFError: the peer closed the connection (or :meth:`shutdown` was called).
        :raises OSError: the connection broke.
        """
        if self.end > BUFFER_SIZE - _MAX_FRAME:
            self._compact()
        try:
            count = self.sock.recv_into(self._view[self.end :])
        except BlockingIOError:
            if not self._poll.poll(max(0.0, timeout) * 1000):
                return 0
            try:
                count = self.sock.recv_into(self._view[self.end :])
            except BlockingIOError:
                return 0
        if count == 0:
            raise EOFError("the peer closed the connection")
        self.end += count
        return count

    def _compact(self) -> None:
        left = self.end - self.pos
        self.buf[:left] = self.buf[self.pos : self.end]
        self.pos, self.end = 0, left

    def read_response(self, deadline: float) -> Response:
        """The next RTSP response; interleaved frames before it are skipped.

        :raises TimeoutError: none complete by ``deadline`` (monotonic seconds).
        :raises ProtocolError, EOFError, OSError: see :meth:`fill` and :meth:`take_response`.
        """
        while True:
            response = self.take_response()
            if response is not None:
                return response
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no response in time")
            self.fill(left)

    def take_response(self) -> Response | None:
        """Parse one response from the buffer if it is all there, skipping interleaved
        frames and stray bytes before it; ``None`` if more bytes are needed.

        :raises ProtocolError: a malformed or oversized response.
        """
        buf = self.buf
        while self.pos < self.end:
            if buf[self.pos] == 0x24:  # '$': an interleaved frame
                if self.end - self.pos < 4:
                    return None
                size = 4 + ((buf[self.pos + 2] << 8) | buf[self.pos + 3])
                if self.end - self.pos < size:
                    return None
                self.pos += size
            elif buf[self.pos] == 0x52:  # 'R' of "RTSP/1.0"
                return self.response_here()
            else:
                self.pos += 1  # stray byte (a CR/LF after a body …)
        return None

    def response_here(self) -> Response | None:
        """The response starting at ``pos`` if it is all in the buffer, else ``None``."""
        head_end = self.buf.find(b"\r\n\r\n", self.pos, self.end)
        if head_end < 0:
            if self.end - self.pos > _MAX_HEADER:
                raise ProtocolError("response header too long")
            return None
        head = bytes(self.buf[self.pos : head_end]).decode("iso-8859-1")
        response = parse_head(head)
        length = int(response.header("content-length") or 0)
        if not 0 <= length <= _MAX_BODY:
            raise ProtocolError("response body too long")
        body_start = head_end + 4
        if self.end - body_start < length:
            if body_start + length > BUFFER_SIZE:
                raise ProtocolError("response body too long")
            return None
        response.body = bytes(self.buf[body_start : body_start + length])
        self.pos = body_start + length
        return response

    # -- any thread --------------------------------------------------------------

    def send(self, data: bytes, timeout: float) -> None:
        """Send all of ``data`` within ``timeout`` s. Any thread; sends never interleave.

        :raises TimeoutError, OSError: the connection cannot take it.
        """
        deadline = time.monotonic() + timeout
        view = memoryview(data)
        with self._send_lock:
            while view:
                try:
                    sent = self.sock.send(view)
                except BlockingIOError:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise TimeoutError("cannot send in time") from None
                    select.select([], [self.sock], [], left)
                    continue
                view = view[sent:]

    def shutdown(self) -> None:
        """End the connection both ways: a blocked :meth:`fill` returns at once. Any thread."""
        self._shut = True
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)

    @property
    def is_shut(self) -> bool:
        return self._shut

    def close(self) -> None:
        """Close the socket; only once no thread reads it any more."""
        self._view.release()
        self.sock.close()


def parse_head(head: str) -> Response:
    """A response's status line and headers.

    :raises ProtocolError: not an RTSP status line.
    """
    lines = head.split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("RTSP/") or not parts[1].isdigit():
        raise ProtocolError("not an RTSP response")
    response = Response(int(parts[1]), parts[2] if len(parts) > 2 else "")
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            response.headers.setdefault(name.strip().lower(), []).append(value.strip())
    return response
