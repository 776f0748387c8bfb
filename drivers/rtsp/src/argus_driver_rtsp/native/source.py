"""The native engine's :class:`argus_sdk.PacketSource`: RTSP over TCP read on the caller's thread.

No reader thread and no mailbox: :meth:`NativePacketSource.read` polls the
socket for at most its ``timeout``, at most once per ``receive_interval``
(what arrives meanwhile waits in the socket: one wake-up and one ``recv``
per batch instead of several per frame, which is most of a stream's cost),
cuts the ``$``-framed RTP packets out of the buffer, hands each to its
track's depacketizer and returns the first complete access unit (the others
wait in a small queue for the next reads). It also sends the session's
keep-alive when due and gives the connection up after ``read_timeout``
seconds without a byte. :meth:`NativePacketSource.close` may come from any
thread: it sends TEARDOWN, shuts the socket down (a blocked read wakes at
once) and closes it as soon as no read holds it.

Errors keep the driver's vocabulary (:mod:`argus_driver_rtsp.errors`): every
message starts with the redacted URL, and no request, response or password is
ever logged.
"""

from __future__ import annotations

import logging
import struct
import threading
import time
from collections import deque
from collections.abc import Callable

from argus_driver_rtsp import __version__, urls
from argus_driver_rtsp.connection import Endpoint
from argus_driver_rtsp.const import CLOSE_GRACE, MAX_PREROLL_PACKETS
from argus_driver_rtsp.native import sdp
from argus_driver_rtsp.native.auth import Credentials
from argus_driver_rtsp.native.client import RtspClient, control_url
from argus_driver_rtsp.native.depacketize import Unit
from argus_driver_rtsp.native.errors import OPEN_ERRORS, Reordered, translate
from argus_driver_rtsp.native.tracks import NativeTrack, complete_video, select_tracks
from argus_driver_rtsp.native.wire import ProtocolError, Response, Wire
from argus_driver_rtsp.settings import RtspCameraSettings
from argus_driver_rtsp.sockets import one_open_at_a_time
from argus_driver_rtsp.timestamps import WallClock
from argus_driver_rtsp.tracks import summary
from argus_sdk import ArgusError, Clock, DeviceUnavailable, StreamDescription, StreamPacket

#: After the 4-byte interleave header: RTP's first two bytes, sequence number, timestamp.
_RTP = struct.Struct(">4xBBHI")
_Push = Callable[[bytearray, int, int, int, int, bool], None]
#: Longest TEARDOWN may take when closing.
_TEARDOWN_TIMEOUT = 0.5


class NativePacketSource:
    """One RTSP/TCP session. :meth:`read` from one thread at a time; :meth:`close` from any.

    Opening connects, authenticates, describes, sets up every track and plays,
    within ``settings.open_timeout``.

    :raises AuthenticationFailed, ConfigurationError, DeviceUnavailable, Unsupported:
        the session cannot be opened.
    """

    def __init__(
        self,
        name: str,
        settings: RtspCameraSettings,
        endpoint: Endpoint,
        clock: Clock,
        log: logging.Logger,
        *,
        on_reordered: Callable[[], None] | None = None,
    ) -> None:
        self.where = endpoint.where
        self._on_reordered = on_reordered
        self._last_video_pts = -1
        self._endpoint = endpoint
        self._log = log
        self._read_timeout = settings.read_timeout
        self._interval = settings.receive_interval
        self._units: list[Unit] = []
        self._ready: deque[StreamPacket] = deque()
        self._wall = WallClock(clock)
        self._io = threading.Lock()
        self._state = threading.Lock()
        self._closed = False
        self._error: ArgusError | None = None
        self._wire: Wire | None = None
        self._waiting = True
        self._tracks: list[NativeTrack] = []
        self._channels: dict[int, _Push] = {}
        error: ArgusError | None = None
        try:
            self._client = self._open(settings, endpoint)
            self._waiting = self._tracks[0].is_video
            if self._tracks[0].needs_keyframe():
                self._preroll(time.monotonic() + settings.open_timeout)
        except OPEN_ERRORS as exc:
            self._note_reordered(exc)
            error = translate(
                exc, self.where, endpoint.scrub, opening=True, timeout=settings.open_timeout
            )
        except BaseException:
            self._drop_wire()
            raise
        if error is not None:
            self._drop_wire()
            raise error  # outside the handler: nothing of the request is its context
        self.description = StreamDescription(name, tuple(t.description for t in self._tracks))
        now = time.monotonic()
        self._last_data = now
        self._next_keepalive = now + self._client.keepalive_interval
        log.info("%s: connected (%s, native engine)", self.where, summary(self.description))

    def _open(self, settings: RtspCameraSettings, endpoint: Endpoint) -> RtspClient:
        """Set the session up; sessions to one camera do so one at a time, as the ffmpeg
        engine's do (a camera is spared concurrent session set-ups)."""
        host, port = urls.endpoint(endpoint.url)
        with one_open_at_a_time(host, port):
            return self._setup(settings, endpoint, host, port)

    def _setup(
        self, settings: RtspCameraSettings, endpoint: Endpoint, host: str, port: int
    ) -> RtspClient:
        deadline = time.monotonic() + settings.open_timeout
        self._wire = Wire.connect(host, port, settings.open_timeout)
        credentials = Credentials(settings.username, settings.password.get_secret_value())
        client = RtspClient(self._wire, endpoint.url, credentials, f"Argus-RTSP/{__version__}")
        client.options(deadline)
        described = client.describe(deadline)
        media = sdp.parse(described.sdp)
        self._tracks = select_tracks(media, self._units, self.where, self._log)
        for track in self._tracks:
            wanted = (2 * track.description.index, 2 * track.description.index + 1)
            url = control_url(described.base, track.media.control)
            rtp, _ = client.setup(url, wanted, deadline)
            self._channels[rtp] = track.depacketizer.push
        client.play(deadline)
        return client

    def _preroll(self, deadline: float) -> None:
        """Read up to the first video keyframe, whose parameter sets and SPS complete the
        description when the SDP lacks them; its packets are delivered first."""
        while len(self._ready) < MAX_PREROLL_PACKETS:
            wire = self._wire
            assert wire is not None
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no keyframe in time")
            if wire.fill(left):
                self._parse(wire)
                if self._units:
                    self._convert(time.monotonic())
                    if self._ready:
                        first = self._ready[0]
                        self._tracks[0] = complete_video(self._tracks[0], first.data, self.where)
                        return
        raise DeviceUnavailable(f"{self.where}: no video keyframe among the first packets")

    # -- the PacketSource contract -------------------------------------------------

    def read(self, timeout: float) -> StreamPacket | None:
        ready = self._ready
        if ready:
            return ready.popleft()
        with self._io:
            return self._receive(timeout)

    def _receive(self, timeout: float) -> StreamPacket | None:
        """Receive until a packet is complete or ``timeout`` passes. Holds ``_io``."""
        wire = self._wire
        if self._error is not None or wire is None or self._closed:
            raise self._ended()
        now = time.monotonic()
        deadline = now + timeout
        ready = self._ready
        while True:
            pause = min(self._last_data + self._interval, deadline) - now
            if pause > 0:  # let a batch of bytes gather: one wake-up and one recv for it
                time.sleep(pause)
                now = time.monotonic()
            stall = self._last_data + self._read_timeout
            wait = min(deadline, stall, self._next_keepalive) - now
            try:
                if now >= self._next_keepalive:
                    self._client.keepalive(self._read_timeout)
                    self._next_keepalive = now + self._client.keepalive_interval
                got = wire.fill(wait)
                now = time.monotonic()
                if got:
                    self._last_data = now
                    self._parse(wire)
                    if self._units:
                        self._convert(now)
                        if ready:
                            return ready.popleft()
                elif now >= stall:
                    raise TimeoutError("no data")
            except (OSError, EOFError, ProtocolError, Reordered) as exc:
                self._note_reordered(exc)
                self._fail(exc)
            if now >= deadline:
                return None

    def _parse(self, wire: Wire) -> None:
        """Hand every complete interleaved RTP packet in the buffer to its depacketizer.

        The hot path: one pass over the bytes received, no object per packet
        beyond the payload slices the depacketizers keep.
        """
        buf, pos, end = wire.buf, wire.pos, wire.end
        channels, unpack = self._channels, _RTP.unpack_from
        while end - pos >= 4:
            if buf[pos] != 0x24:  # not '$': an RTSP response (to a keep-alive) or a stray byte
                wire.pos = pos
                if buf[pos] == 0x52:
                    response = wire.response_here()
                    if response is None:
                        return
                    self._answered(response)
                else:
                    wire.pos += 1
                pos = wire.pos
                continue
            stop = pos + 4 + ((buf[pos + 2] << 8) | buf[pos + 3])
            if stop > end:
                break
            push = channels.get(buf[pos + 1])
            if push is not None and stop - pos >= 16:
                first, second, seq, ts = unpack(buf, pos)
                if first == 0x80:  # version 2, no padding, extension nor CSRC: the common case
                    push(buf, pos + 16, stop, seq, ts, second > 127)
                else:
                    start = pos + 16 + 4 * (first & 0x0F)
                    if first & 0x10 and start + 4 <= stop:  # header extension
                        start += 4 + 4 * ((buf[start + 2] << 8) | buf[start + 3])
                    last = stop - buf[stop - 1] if first & 0x20 else stop
                    if start <= last:
                        push(buf, start, last, seq, ts, second > 127)
            pos = stop
        wire.pos = pos

    def _answered(self, response: Response) -> None:
        if not 200 <= response.status < 300:
            self._log.debug(
                "%s: keep-alive answered %d %s",
                self.where,
                response.status,
                self._endpoint.scrub(response.reason),
            )

    def _convert(self, arrival: float) -> None:
        """Turn the complete access units into the SDK's packets, from a video keyframe on."""
        tracks, wall, ready = self._tracks, self._wall, self._ready
        for index, pts, data, key, duration in self._units:
            track = tracks[index]
            if self._waiting:
                if not (key and track.is_video):
                    continue
                self._waiting = False
            if index == 0 and track.is_video:
                if 0 < self._last_video_pts - pts < track.timeline.ticks_per_second:
                    raise Reordered("the video's pts went back")
                self._last_video_pts = pts
            placed = track.timeline.place(pts, pts, duration, arrival)
            if placed.rebased:
                track.note_rebase(self._log, self.where)
            time_base = track.description.time_base
            ready.append(
                StreamPacket(
                    index,
                    data,
                    placed.pts,
                    placed.dts,
                    time_base,
                    key,
                    wall.wall_time(placed.pts, time_base),
                    placed.duration,
                )
            )
        self._units.clear()

    def _note_reordered(self, exc: Exception) -> None:
        if isinstance(exc, Reordered) and self._on_reordered is not None:
            self._on_reordered()

    def _fail(self, exc: Exception) -> None:
        """End the session on a read error: this and every later read raise it."""
        error = translate(
            exc, self.where, self._endpoint.scrub, opening=False, timeout=self._read_timeout
        )
        if self._closed:
            error = DeviceUnavailable(f"{self.where}: the stream is closed")
        self._error = error
        self._drop_wire()
        raise error from None

    def _ended(self) -> ArgusError:
        if self._closed:
            self._drop_wire()
            return DeviceUnavailable(f"{self.where}: the stream is closed")
        assert self._error is not None
        return self._error

    def close(self) -> None:
        """TEARDOWN, then cut the connection; a blocked :meth:`read` ends at once. Any thread;
        idempotent."""
        with self._state:
            if self._closed:
                return
            self._closed = True
        wire = self._wire
        if wire is not None and self._error is None:
            try:
                self._client.teardown(_TEARDOWN_TIMEOUT)
            except (OSError, ValueError) as exc:
                self._log.debug("%s: TEARDOWN not sent: %s", self.where, type(exc).__name__)
            wire.shutdown()
        self._ready.clear()
        if self._io.acquire(timeout=CLOSE_GRACE):
            try:
                self._drop_wire()
            finally:
                self._io.release()
        else:
            self._log.debug("%s: a read still holds the socket; it closes it", self.where)

    def _drop_wire(self) -> None:
        """Close the socket. Called with ``_io`` held, or before anyone reads."""
        wire, self._wire = self._wire, None
        if wire is not None:
            wire.shutdown()
            wire.close()

    def scrub(self, text: str) -> str:
        return self._endpoint.scrub(text)

    def __repr__(self) -> str:
        return f"<NativePacketSource {self.where} {self.description.name}>"
