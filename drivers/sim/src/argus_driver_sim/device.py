"""The simulated camera (one channel) and encoder (N channels) drivers.

Besides the SDK contract they offer a few methods a test or the demo uses to
play the device's part: :meth:`SimDevice.set_input`, :meth:`SimDevice.disconnect`,
:meth:`SimDevice.poll_io` and :meth:`SimDevice.wait_ptz_idle`.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TypeVar
from weakref import WeakSet

from pydantic import BaseModel, ValidationError

from argus_driver_sim import __version__, const, ptz
from argus_driver_sim.clip import AudioKey, Clip, ClipStore, VideoKey
from argus_driver_sim.ioports import IoPorts
from argus_driver_sim.loader import BackgroundLoader
from argus_driver_sim.loopback import LoopbackSerial, SerialPorts
from argus_driver_sim.replay import SimPacketSource
from argus_driver_sim.settings import ChannelSettings, SimCameraSettings, SimEncoderSettings
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
    StreamProfile,
    Unsupported,
)

_requesters = itertools.count(1)
_SettingsT = TypeVar("_SettingsT", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class _Channel:
    index: int
    name: str
    settings: ChannelSettings
    head: ptz.PtzHead | None

    def profiles(self) -> dict[str, const.VideoProfile]:
        s = self.settings
        profiles = {"main": const.PROFILES[s.main_profile]}
        if s.sub_profile is not None:
            profiles["sub"] = const.PROFILES[s.sub_profile]
        return profiles

    def describe(self) -> ChannelDescription:
        audio = "aac" if self.settings.audio else None
        fps = Fraction(self.settings.fps)
        streams = tuple(
            StreamProfile(name, "h264", p.width, p.height, fps, p.bit_rate, audio)
            for name, p in self.profiles().items()
        )
        capabilities = ptz.CAPABILITIES if self.head is not None else None
        return ChannelDescription(self.index, self.name, streams, capabilities)


class _PtzFollower:
    """Makes one stream follow its channel's PTZ head, switching clips at keyframes."""

    def __init__(
        self, head: ptz.PtzHead, base: VideoKey, store: ClipStore, loader: BackgroundLoader
    ) -> None:
        self._head, self._base, self._store, self._loader = head, base, store, loader
        self._id = next(_requesters)

    def target(self) -> VideoKey:
        return replace(self._base, view=self._head.view())

    def prefetch(self) -> None:
        """Start building the clip of the current position, if it is not in memory."""
        key = self.target()
        if self._store.peek(key) is None:
            self._loader.request(self._id, key)

    def __call__(self, current: Clip) -> Clip:
        key = self.target()
        if key == current.key:
            return current
        clip = self._store.peek(key)
        if clip is None:
            self._loader.request(self._id, key)
            return current
        return clip


class SimDevice:
    """What the simulated camera and encoder share: channels, streams, PTZ and I/O."""

    model = const.CAMERA_MODEL

    def __init__(
        self,
        channels: Sequence[tuple[str, ChannelSettings]],
        io: IoPorts,
        context: PluginContext,
        drop_after: float | None,
    ) -> None:
        self._context = context
        self._clock = context.clock
        self._channels = [
            _Channel(i, name, s, ptz.PtzHead(context.clock) if s.ptz else None)
            for i, (name, s) in enumerate(channels)
        ]
        self._io = io
        self._drop_after = drop_after
        self._store = ClipStore(context.cache_dir, context.log)
        self._loader = BackgroundLoader(self._store, context.log)
        self._lock = threading.Lock()
        self._sources: WeakSet[SimPacketSource] = WeakSet()
        self._followers: dict[int, WeakSet[_PtzFollower]] = {}
        self._offline_until = float("-inf")
        self._closed = False
        io.start()

    # -- the CameraDriver contract -------------------------------------------------

    def describe(self) -> DeviceDescription:
        digest = hashlib.sha256(self._context.owner.encode()).hexdigest()[:10].upper()
        return DeviceDescription(
            vendor=const.VENDOR,
            model=self.model,
            channels=tuple(c.describe() for c in self._channels),
            firmware=__version__,
            serial_number=f"SIM-{digest}",
            io_ports=self._io.ports,
            serial_ports=self._serial_port_names(),
        )

    def open_stream(self, channel: int, stream: str) -> PacketSource:
        ch = self._channel(channel)
        self._check_online()
        profile = ch.profiles().get(stream)
        if profile is None:
            raise InvalidRequest(f"channel {channel} has no stream {stream!r}")
        s = ch.settings
        key = VideoKey(
            ch.name, profile.width, profile.height, s.fps, s.loop_seconds, profile.bit_rate
        )
        follower = None
        if ch.head is not None:
            follower = _PtzFollower(ch.head, key, self._store, self._loader)
            key = follower.target()
        video = self._store.get(key)
        audio = self._store.get(AudioKey()) if s.audio else None
        source = SimPacketSource(
            stream, video, s.fps, audio, self._clock, switch=follower, drop_after=self._drop_after
        )
        self._register(source, channel, follower)
        return source

    def ptz(self, channel: int, command: PtzCommand) -> PtzStatus:
        ch = self._channel(channel)
        if ch.head is None:
            raise Unsupported(f"channel {channel} of {self._context.owner} has no PTZ")
        status = ch.head.execute(command)
        with self._lock:
            followers = list(self._followers.get(channel, ()))
        for follower in followers:
            follower.prefetch()
        return status

    def set_output(self, port: str, active: bool) -> None:
        self._check_open()
        self._io.set_output(port, active)

    def input_states(self) -> Mapping[str, bool]:
        self._check_open()
        return self._io.input_states()

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            sources = list(self._sources)
        for source in sources:
            source.close()
        self._loader.close()
        self._io.close()

    # -- playing the device's part (tests, demo) -----------------------------------

    def set_input(self, port: str, active: bool) -> None:
        """Switch a digital input as if the wired contact changed."""
        self._check_open()
        self._io.set_input(port, active)

    def output_states(self) -> Mapping[str, bool]:
        return self._io.output_states()

    def poll_io(self) -> None:
        """Publish the scripted input changes due on the clock now (for a ``ManualClock``)."""
        self._io.poll()

    def disconnect(self, offline_seconds: float = 0.0) -> None:
        """Drop every open stream, like a camera losing its network; :meth:`open_stream`
        fails with ``DeviceUnavailable`` for ``offline_seconds`` of clock time."""
        with self._lock:
            self._offline_until = self._clock.monotonic() + offline_seconds
            sources = list(self._sources)
        for source in sources:
            source.drop()

    def wait_ptz_idle(self, timeout: float) -> bool:
        """Wait (real time) until every requested PTZ view is built; ``True`` if so."""
        return self._loader.wait_idle(timeout)

    # -- internals -----------------------------------------------------------------

    def _serial_port_names(self) -> tuple[str, ...]:
        return ()

    def _register(
        self, source: SimPacketSource, channel: int, follower: _PtzFollower | None
    ) -> None:
        with self._lock:
            if self._closed:
                source.close()
                raise DeviceUnavailable("the simulated device is closed")
            self._sources.add(source)
            if follower is not None:
                # The source holds the follower; the follower lives as long as the stream.
                self._followers.setdefault(channel, WeakSet()).add(follower)

    def _channel(self, channel: int) -> _Channel:
        self._check_open()
        if not 0 <= channel < len(self._channels):
            raise InvalidRequest(f"no channel {channel}; the device has {len(self._channels)}")
        return self._channels[channel]

    def _check_open(self) -> None:
        if self._closed:
            raise DeviceUnavailable("the simulated device is closed")

    def _check_online(self) -> None:
        remaining = self._offline_until - self._clock.monotonic()
        if remaining > 0:
            raise DeviceUnavailable("the simulated device is offline", retry_after=remaining)


class SimCamera(SimDevice):
    """A simulated IP camera: one channel named after the settings' ``name``."""

    def __init__(self, settings: SimCameraSettings, context: PluginContext) -> None:
        io = IoPorts(
            context.owner,
            settings.inputs,
            settings.outputs,
            context.clock,
            context.publish,
            context.log,
        )
        super().__init__([(settings.name, settings)], io, context, settings.drop_after_seconds)


class SimEncoder(SimDevice):
    """A simulated encoder: channels named ``<name> ch<n>``, I/O and loopback serial ports."""

    model = const.ENCODER_MODEL

    def __init__(self, settings: SimEncoderSettings, context: PluginContext) -> None:
        io = IoPorts(
            context.owner,
            settings.inputs,
            settings.outputs,
            context.clock,
            context.publish,
            context.log,
        )
        self._serial = SerialPorts(settings.serial_ports)
        channels = [
            (f"{settings.name} ch{n}", settings.channel)
            for n in range(1, settings.channel_count + 1)
        ]
        super().__init__(channels, io, context, settings.drop_after_seconds)

    def open_serial(self, port: str) -> LoopbackSerial:
        """Open a loopback serial port: bytes written to it are read back from it."""
        self._check_open()
        return self._serial.open(port)

    def close(self) -> None:
        super().close()
        self._serial.close()

    def _serial_port_names(self) -> tuple[str, ...]:
        return self._serial.names


def _validated(model: type[_SettingsT], settings: BaseModel) -> _SettingsT:
    if isinstance(settings, model):
        return settings
    try:
        return model.model_validate(settings.model_dump())
    except ValidationError as exc:
        raise ConfigurationError(f"invalid {model.__name__}: {exc}") from exc


def open_camera(settings: BaseModel, context: PluginContext) -> SimCamera:
    """``CameraDriverType.open`` of the ``sim`` driver."""
    return SimCamera(_validated(SimCameraSettings, settings), context)


def open_encoder(settings: BaseModel, context: PluginContext) -> SimEncoder:
    """``EncoderDriverType.open`` of the ``sim-encoder`` driver."""
    return SimEncoder(_validated(SimEncoderSettings, settings), context)
