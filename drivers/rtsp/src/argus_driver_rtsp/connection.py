"""One RTSP session through PyAV: open it, describe its tracks, turn its packets into the SDK's.

A :class:`Connection` is opened by the caller's thread and then read by exactly
one thread (the stream's reader); :meth:`Connection.abort` is the only method
another thread may call. Every FFmpeg error is translated at this edge
(:mod:`argus_driver_rtsp.errors`); nothing here logs or raises a password.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass

import av
import av.container
from av.stream import Stream

from argus_driver_rtsp import __version__, urls
from argus_driver_rtsp.const import MAX_PREROLL_PACKETS, PROBE_OPTIONS
from argus_driver_rtsp.errors import MEDIA_ERRORS, reason, translate
from argus_driver_rtsp.settings import RtspCameraSettings
from argus_driver_rtsp.sockets import SessionSocket, one_open_at_a_time, socket_inodes
from argus_driver_rtsp.timestamps import WallClock
from argus_driver_rtsp.tracks import Track, complete_video, select_tracks, summary
from argus_sdk import ArgusError, Clock, DeviceUnavailable, StreamDescription, StreamPacket


@dataclass(frozen=True, slots=True)
class Endpoint:
    """What a connection needs to know about where it connects, without secrets in clear."""

    url: str
    where: str
    scrub: urls.Scrubber

    @classmethod
    def of(cls, settings: RtspCameraSettings, url: str) -> Endpoint:
        """``where`` shows the user and a masked password: ``rtsp://admin:***@cam/live``."""
        secret = settings.password.get_secret_value()
        where = urls.redact(urls.with_credentials(url, settings.username, secret))
        return cls(url, where, urls.Scrubber(settings.secrets()))


def ffmpeg_options(settings: RtspCameraSettings) -> dict[str, str]:
    """The demuxer options: transport, a short probe, a socket I/O timeout (µs).

    The socket timeout also bounds connecting and the TEARDOWN sent on close;
    the read timeout proper is kept by PyAV and by :meth:`RtspPacketSource.read`.
    """
    seconds = max(settings.open_timeout, settings.read_timeout)
    return {
        "rtsp_transport": settings.transport,
        **PROBE_OPTIONS,
        "timeout": str(round(seconds * 1_000_000)),
        "user_agent": f"Argus-RTSP/{__version__}",
    }


def open_container(
    settings: RtspCameraSettings, endpoint: Endpoint
) -> tuple[av.container.InputContainer, SessionSocket | None]:
    """Open the session; also claim its socket, so that another thread can cut it.

    :raises AuthenticationFailed, ConfigurationError, DeviceUnavailable: see
        :func:`argus_driver_rtsp.errors.translate`.
    """
    secret = settings.password.get_secret_value()
    target = urls.with_credentials(endpoint.url, settings.username, secret)
    host, port = urls.endpoint(endpoint.url)
    error = None
    with one_open_at_a_time(host, port):
        before = socket_inodes()
        try:
            container = av.open(
                target,
                options=ffmpeg_options(settings),
                timeout=(settings.open_timeout, settings.read_timeout),
            )
        except MEDIA_ERRORS as exc:
            error = translate(
                exc, endpoint.where, endpoint.scrub, opening=True, timeout=settings.open_timeout
            )
        if error is not None:
            raise error  # outside the handler: PyAV's exception, URL and all, is not its context
        return container, SessionSocket.claim(before, host, port)


class Connection:
    """An open RTSP session and its supported tracks (video first)."""

    def __init__(
        self,
        name: str,
        settings: RtspCameraSettings,
        endpoint: Endpoint,
        clock: Clock,
        log: logging.Logger,
    ) -> None:
        self.where = endpoint.where
        self._endpoint = endpoint
        self._read_timeout = settings.read_timeout
        self._clock = clock
        self._log = log
        self._aborted = False
        self._container, self._socket = open_container(settings, endpoint)
        try:
            self._tracks, self._preroll, self._demux = self._prepare()
        except BaseException:
            self.close()
            raise
        self.description = StreamDescription(name, tuple(t.description for t in self._tracks))
        log.info("%s: connected (%s)", self.where, summary(self.description))

    def _prepare(self) -> tuple[list[Track], list[av.Packet[Stream]], Iterator[av.Packet[Stream]]]:
        tracks = select_tracks(self._container, self.where, self._log)
        demux = self._container.demux([t.stream for t in tracks])
        preroll: list[av.Packet[Stream]] = []
        video = tracks[0]
        if video.needs_keyframe():
            preroll = self._until_keyframe(demux, video.stream.index)
            tracks[0] = complete_video(video, preroll, self.where)
        return tracks, preroll, demux

    def _until_keyframe(
        self, demux: Iterator[av.Packet[Stream]], index: int
    ) -> list[av.Packet[Stream]]:
        """Packets up to the first video keyframe, whose parameter sets complete the
        description when the SDP lacks them."""
        packets: list[av.Packet[Stream]] = []
        for packet in self._guarded(demux):
            packets.append(packet)
            if packet.stream.index == index and packet.is_keyframe and packet.size:
                return packets
            if len(packets) >= MAX_PREROLL_PACKETS:
                break
        raise DeviceUnavailable(f"{self.where}: no video keyframe among the first packets")

    def packets(self) -> Generator[StreamPacket, None, None]:
        """The stream's packets, starting at a video keyframe, until the connection ends.

        Runs on the reader thread. Ends only by raising: ``DeviceUnavailable``
        when the camera goes away or :meth:`abort` was called.
        """
        wall = WallClock(self._clock)
        by_index = {t.stream.index: t for t in self._tracks}
        waiting = self._tracks[0].is_video
        for packet in self._guarded(self._replay()):
            track = by_index.get(packet.stream.index)
            if track is None or packet.size == 0:
                continue
            if waiting:
                if not (track.is_video and packet.is_keyframe):
                    continue
                waiting = False
            yield self._convert(track, packet, wall)
        raise DeviceUnavailable(f"{self.where}: the camera ended the stream")

    def _replay(self) -> Iterator[av.Packet[Stream]]:
        yield from self._preroll
        self._preroll = []
        yield from self._demux

    def _guarded(self, packets: Iterator[av.Packet[Stream]]) -> Iterator[av.Packet[Stream]]:
        """``packets``, with FFmpeg's errors translated and an abort reported as such."""
        error: ArgusError | None = None
        try:
            yield from packets
        except MEDIA_ERRORS as exc:
            error = translate(
                exc, self.where, self._endpoint.scrub, opening=False, timeout=self._read_timeout
            )
        if self._aborted:
            error = DeviceUnavailable(f"{self.where}: the stream was closed")
        if error is not None:
            raise error  # outside the handler, as in open_container

    def _convert(self, track: Track, packet: av.Packet[Stream], wall: WallClock) -> StreamPacket:
        arrival = time.monotonic()  # network time is real time, whatever the host's clock
        placed = track.timeline.place(packet.pts, packet.dts, packet.duration or 0, arrival)
        if placed.rebased:
            track.note_rebase(self._log, self.where)
        time_base = track.description.time_base
        return StreamPacket(
            track=track.description.index,
            data=track.payload(bytes(packet), self.where),
            pts=placed.pts,
            dts=placed.dts,
            time_base=time_base,
            keyframe=packet.is_keyframe or not track.is_video,
            wall_time=wall.wall_time(placed.pts, time_base),
            duration=placed.duration,
        )

    def abort(self) -> None:
        """Make a blocked or later read end promptly. Any thread; idempotent."""
        self._aborted = True
        if self._socket is not None:
            self._socket.abort()

    @property
    def abortable(self) -> bool:
        """Whether :meth:`abort` can cut a blocked read (else it ends with the read timeout)."""
        return self._socket is not None

    def scrub(self, text: str) -> str:
        """``text`` with this connection's secrets masked."""
        return self._endpoint.scrub(text)

    def close(self) -> None:
        """Close the session (sends TEARDOWN). Only from the thread that reads it. Idempotent."""
        try:
            self._container.close()
        except MEDIA_ERRORS as exc:
            self._log.debug("%s: closing: %s", self.where, reason(exc, self._endpoint.scrub))
        finally:
            if self._socket is not None:
                self._socket.release()
