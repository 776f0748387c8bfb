"""The RTSP driver's :class:`argus_sdk.PacketSource`: a reader thread feeding a small mailbox.

FFmpeg's reads block, so each open stream has one reader thread that demuxes
and converts packets (:meth:`Connection.packets`) and puts them in a bounded
mailbox. :meth:`RtspPacketSource.read` waits on the mailbox for at most its
``timeout`` and returns ``None`` if nothing came; once the connection ended,
the queued packets are delivered first and then its error is raised, on this
and every later read. After ``read_timeout`` seconds without a packet (real
time, as FFmpeg's own timeouts) :meth:`read` gives the connection up itself:
FFmpeg's read timeout alone can take twice as long, when its parser still
holds a last frame. :meth:`RtspPacketSource.close` may come from any thread:
it wakes a waiting :meth:`read`, cuts the session's socket so that a blocked
FFmpeg read returns at once, and waits briefly for the reader thread to close
the session and end.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections import deque

from argus_driver_rtsp.connection import Connection
from argus_driver_rtsp.const import CLOSE_GRACE, MAILBOX_PACKETS, READER_NAP
from argus_sdk import ArgusError, DeviceUnavailable, StreamDescription, StreamPacket


class Mailbox:
    """Packets from one producer thread to one consumer, then the error that ended them."""

    def __init__(self, capacity: int) -> None:
        self._cond = threading.Condition()
        self._packets: deque[StreamPacket] = deque()
        self._capacity = capacity
        self._end: ArgusError | None = None
        self._closed = False
        self._last_put = time.monotonic()

    def silence(self) -> float:
        """Seconds since the last packet came in (or since the mailbox was made)."""
        with self._cond:
            return time.monotonic() - self._last_put

    def put(self, packet: StreamPacket) -> bool:
        """Queue ``packet``, waiting for room; ``False`` (and nothing queued) once closed."""
        with self._cond:
            while len(self._packets) >= self._capacity and not self._closed:
                self._cond.wait(READER_NAP)
            if self._closed:
                return False
            self._packets.append(packet)
            self._last_put = time.monotonic()
            self._cond.notify_all()
            return True

    def finish(self, error: ArgusError) -> None:
        """No more packets will come; raise ``error`` once the queued ones are taken."""
        with self._cond:
            if self._end is None:
                self._end = error
            self._cond.notify_all()

    def close(self, error: ArgusError) -> bool:
        """Drop the queue and raise ``error`` from now on; ``False`` if already closed."""
        with self._cond:
            if self._closed:
                return False
            self._closed = True
            self._end = error
            self._packets.clear()
            self._cond.notify_all()
            return True

    def get(self, timeout: float) -> StreamPacket | None:
        """The next packet, ``None`` after ``timeout`` seconds without one.

        :raises ArgusError: the error given to :meth:`finish` or :meth:`close`.
        """
        with self._cond:
            if not self._cond.wait_for(self._ready, max(0.0, timeout)):
                return None
            if self._packets and not self._closed:
                packet = self._packets.popleft()
                self._cond.notify_all()
                return packet
            assert self._end is not None
            raise self._end

    def _ready(self) -> bool:
        return bool(self._packets) or self._end is not None


class RtspPacketSource:
    """One open RTSP stream. :meth:`read` is called from one worker thread;
    :meth:`close` from any thread."""

    def __init__(
        self, connection: Connection, owner: str, log: logging.Logger, read_timeout: float
    ) -> None:
        self._connection = connection
        self._log = log
        self._read_timeout = read_timeout
        self._mailbox = Mailbox(MAILBOX_PACKETS)
        name = f"rtsp-{owner}-{connection.description.name}"
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def description(self) -> StreamDescription:
        return self._connection.description

    @property
    def reader(self) -> threading.Thread:
        """The reader thread (for tests and status pages)."""
        return self._thread

    def read(self, timeout: float) -> StreamPacket | None:
        packet = self._mailbox.get(timeout)
        if packet is None and self._mailbox.silence() > self._read_timeout:
            error = DeviceUnavailable(
                f"{self._connection.where}: no data for {self._read_timeout:g} s"
            )
            if self._mailbox.close(error):
                self._connection.abort()
            raise error
        return packet

    def close(self) -> None:
        where = self._connection.where
        if self._mailbox.close(DeviceUnavailable(f"{where}: the stream is closed")):
            self._connection.abort()
        if threading.current_thread() is not self._thread:
            self._thread.join(CLOSE_GRACE)
        if self._thread.is_alive():
            self._log.debug(
                "%s: reader still blocked in FFmpeg; it ends within the read timeout", where
            )

    def __repr__(self) -> str:
        return f"<RtspPacketSource {self._connection.where} {self.description.name}>"

    def _run(self) -> None:
        """The reader thread: packets into the mailbox until the connection ends."""
        packets = self._connection.packets()
        try:
            for packet in packets:
                if not self._mailbox.put(packet):
                    break
        except ArgusError as exc:
            self._mailbox.finish(exc)
        except Exception as exc:  # noqa: BLE001 - a bug here or in PyAV: logged, the stream ends
            self._report_bug(exc)
        finally:
            packets.close()
            self._connection.close()

    def _report_bug(self, exc: Exception) -> None:
        where = self._connection.where
        text = self._connection.scrub("".join(traceback.format_exception(exc)))
        self._log.error("%s: the RTSP reader failed:\n%s", where, text)
        self._mailbox.finish(
            DeviceUnavailable(f"{where}: the RTSP reader failed ({type(exc).__name__})")
        )
