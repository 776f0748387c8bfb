"""The generic RTSP camera: one channel, a main and an optional sub stream, no PTZ or I/O.

:meth:`RtspCamera.describe` learns each stream's codec, picture size and frame
rate by opening it once (about 0.15 s with the short probe) and keeps what it
learnt, as does every :meth:`RtspCamera.open_stream`.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping
from fractions import Fraction
from weakref import WeakSet

from pydantic import BaseModel, ValidationError

from argus_driver_rtsp import const, urls
from argus_driver_rtsp.connection import Connection, Endpoint
from argus_driver_rtsp.native.source import NativePacketSource
from argus_driver_rtsp.settings import RtspCameraSettings
from argus_driver_rtsp.source import RtspPacketSource
from argus_sdk import (
    ChannelDescription,
    ConfigurationError,
    DeviceDescription,
    DeviceUnavailable,
    InvalidRequest,
    PacketSource,
    PluginContext,
    PtzCommand,
    PtzStatus,
    StreamDescription,
    StreamProfile,
    Unsupported,
)


def profile_of(description: StreamDescription) -> StreamProfile:
    """What :meth:`RtspCamera.describe` says about a stream, from its open description."""
    video, audio = description.video, description.audio
    return StreamProfile(
        name=description.name,
        codec=video.codec if video is not None else "",
        width=video.width if video is not None else 0,
        height=video.height if video is not None else 0,
        frame_rate=(video.frame_rate if video is not None else None) or Fraction(0),
        bit_rate=video.bit_rate if video is not None else 0,
        audio_codec=audio.codec if audio is not None else None,
    )


class RtspCamera:
    """A camera reached by RTSP URLs. Every method may block; all are thread-safe."""

    def __init__(self, settings: RtspCameraSettings, context: PluginContext) -> None:
        self._settings = settings
        self._context = context
        self._lock = threading.Lock()
        self._profiles: dict[str, StreamProfile] = {}
        self._sources: WeakSet[RtspPacketSource | NativePacketSource] = WeakSet()
        #: Streams the native engine cannot read (B-frames): FFmpeg reads them from then on.
        self._ffmpeg_streams: set[str] = set()
        self._closed = False

    # -- the CameraDriver contract -------------------------------------------------

    def describe(self) -> DeviceDescription:
        """Vendor and model are generic: RTSP does not say who made the camera."""
        self._check_open()
        streams = tuple(self._profile(name) for name in self._stream_names())
        channel = ChannelDescription(index=0, name=const.CHANNEL_NAME, streams=streams)
        return DeviceDescription(vendor=const.VENDOR, model=const.MODEL, channels=(channel,))

    def open_stream(self, channel: int, stream: str) -> PacketSource:
        self._check_open()
        if channel != 0:
            raise InvalidRequest(f"no channel {channel}; an RTSP camera has channel 0 only")
        connection = self._connect(stream)
        self._remember(connection.description)
        source: RtspPacketSource | NativePacketSource
        if isinstance(connection, NativePacketSource):
            source = connection
        else:
            source = RtspPacketSource(
                connection, self._context.owner, self._context.log, self._settings.read_timeout
            )
        with self._lock:
            closed = self._closed
            if not closed:
                self._sources.add(source)
        if closed:
            source.close()
            raise DeviceUnavailable(f"{self}: the device is closed")
        return source

    def ptz(self, channel: int, command: PtzCommand) -> PtzStatus:
        raise Unsupported("a generic RTSP camera has no PTZ control")

    def set_output(self, port: str, active: bool) -> None:
        raise Unsupported("a generic RTSP camera has no relay outputs")

    def input_states(self) -> Mapping[str, bool]:
        """Always empty: a generic RTSP camera has no digital inputs."""
        self._check_open()
        return {}

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            sources = list(self._sources)
        for source in sources:
            source.close()

    def __repr__(self) -> str:
        return f"<RtspCamera {self._context.owner} {urls.redact(self._settings.main_url)}>"

    # -- internals -----------------------------------------------------------------

    def _stream_names(self) -> tuple[str, ...]:
        return (const.MAIN,) if self._settings.sub_url is None else (const.MAIN, const.SUB)

    def _connect(self, stream: str) -> Connection | NativePacketSource:
        """An open session of ``stream``, through the engine the settings choose for it."""
        url = self._settings.url(stream)
        if url is None:
            names = ", ".join(self._stream_names())
            raise InvalidRequest(f"the camera has no stream {stream!r} (it has {names})")
        endpoint = Endpoint.of(self._settings, url)
        clock, log = self._context.clock, self._context.log
        with self._lock:
            native = self._settings.native(url) and stream not in self._ffmpeg_streams
        if not native:
            return Connection(stream, self._settings, endpoint, clock, log)
        fall_back = functools.partial(self._use_ffmpeg, stream, endpoint.where)
        return NativePacketSource(
            stream, self._settings, endpoint, clock, log, on_reordered=fall_back
        )

    def _use_ffmpeg(self, stream: str, where: str) -> None:
        """Called by a native session whose video has B-frames: FFmpeg reads it from now on."""
        with self._lock:
            first = stream not in self._ffmpeg_streams
            self._ffmpeg_streams.add(stream)
        if first:
            self._context.log.warning(
                "%s: the camera sends B-frames; this stream is read by the ffmpeg engine", where
            )

    def _profile(self, stream: str) -> StreamProfile:
        with self._lock:
            known = self._profiles.get(stream)
        if known is not None:
            return known
        connection = self._connect(stream)
        try:
            return self._remember(connection.description)
        finally:
            connection.close()

    def _remember(self, description: StreamDescription) -> StreamProfile:
        profile = profile_of(description)
        with self._lock:
            self._profiles[description.name] = profile
        return profile

    def _check_open(self) -> None:
        if self._closed:
            raise DeviceUnavailable(f"{self}: the device is closed")


def open_camera(settings: BaseModel, context: PluginContext) -> RtspCamera:
    """``CameraDriverType.open`` of the ``rtsp`` driver."""
    if not isinstance(settings, RtspCameraSettings):
        try:
            settings = RtspCameraSettings.model_validate(settings.model_dump())
        except ValidationError as exc:
            raise ConfigurationError(f"invalid RtspCameraSettings: {exc}") from None
    return RtspCamera(settings, context)
