"""An ONVIF camera: one channel, the main and sub streams from media profiles, PTZ, snapshots.

The first call that needs the camera connects: GetServices, or GetCapabilities
on older devices (where the media and PTZ services are), GetDeviceInformation,
GetProfiles and, when the main profile has a PTZ configuration, GetNode. What
it learnt is kept until a call fails with ``DeviceUnavailable``; the next call
asks again. Streams are opened by the RTSP driver
(:class:`argus_driver_rtsp.device.RtspCamera`) with the URIs GetStreamUri gives
and the credentials of these settings.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from argus_driver_onvif import const, soap
from argus_driver_onvif.profiles import MediaProfile, choose
from argus_driver_onvif.ptz import OnvifPtz, capabilities
from argus_driver_onvif.settings import OnvifCameraSettings
from argus_driver_rtsp import urls
from argus_driver_rtsp.device import RtspCamera
from argus_driver_rtsp.settings import RtspCameraSettings
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
    Unsupported,
)

_JPEG = b"\xff\xd8"
_T = TypeVar("_T")
#: RTSP cameras of earlier connections kept open (their streams may still run).
_KEEP_RETIRED = 2


@dataclass(frozen=True, slots=True)
class _Learnt:
    """What the camera said when this driver connected."""

    description: DeviceDescription
    profiles: dict[str, MediaProfile]
    ptz: OnvifPtz | None
    #: GetSnapshotUri's answers by stream, asked at a stream's first snapshot.
    snapshot_uris: dict[str, str] = field(default_factory=dict)


class OnvifCamera:
    """A camera reached through ONVIF. Every method may block; all are thread-safe."""

    def __init__(self, settings: OnvifCameraSettings, context: PluginContext) -> None:
        self._settings = settings
        self._context = context
        self._client = soap.OnvifClient(settings, context.log)
        self._lock = threading.Lock()
        self._learnt: _Learnt | None = None
        self._rtsp: RtspCamera | None = None
        #: RTSP cameras of earlier connections: their open streams run on until closed.
        self._retired: list[RtspCamera] = []
        self._closed = False

    # -- the CameraDriver contract -------------------------------------------------

    def describe(self) -> DeviceDescription:
        return self._connect().description

    def open_stream(self, channel: int, stream: str) -> PacketSource:
        learnt = self._connect()
        if channel != 0:
            raise InvalidRequest(f"no channel {channel}; an ONVIF camera has channel 0 only")
        if stream not in learnt.profiles:
            names = ", ".join(learnt.profiles)
            raise InvalidRequest(f"the camera has no stream {stream!r} (it has {names})")
        try:
            return self._rtsp_camera(learnt).open_stream(0, stream)
        except DeviceUnavailable:
            self._forget()  # the URIs may have changed (a reboot, a new profile)
            raise

    def ptz(self, channel: int, command: PtzCommand) -> PtzStatus:
        learnt = self._connect()
        if channel != 0:
            raise InvalidRequest(f"no channel {channel}; an ONVIF camera has channel 0 only")
        ptz = learnt.ptz
        if ptz is None:
            raise Unsupported(f"{self}: the camera has no PTZ on its main profile")
        return self._guarded(lambda: ptz.execute(command))

    def set_output(self, port: str, active: bool) -> None:
        raise Unsupported("relay outputs of ONVIF cameras are not supported yet")

    def input_states(self) -> Mapping[str, bool]:
        """Always empty: digital inputs of ONVIF cameras are not supported yet."""
        self._check_open()
        return {}

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            cameras = [*self._retired, *([self._rtsp] if self._rtsp else [])]
            self._rtsp, self._retired = None, []
        for camera in cameras:
            camera.close()
        self._client.close()

    def __repr__(self) -> str:
        return f"<OnvifCamera {self._context.owner} {self._settings.where}>"

    # -- beyond the contract -------------------------------------------------------

    def snapshot_uri(self, stream: str = const.MAIN) -> str:
        """The HTTP URL of a JPEG picture of ``stream``'s profile (GetSnapshotUri), without
        credentials: the camera may ask for a login (:meth:`snapshot` gives it). Asked once
        per connection, like the rest of what the driver learns."""
        learnt = self._connect()
        known = learnt.snapshot_uris.get(stream)
        if known is not None:
            return known
        profile = learnt.profiles.get(stream)
        if profile is None:
            raise InvalidRequest(f"the camera has no stream {stream!r}")
        reply = self._guarded(
            lambda: self._client.call("media", "GetSnapshotUri", ProfileToken=profile.token)
        )
        uri = str(getattr(reply, "Uri", "") or "")
        if not uri.lower().startswith(("http://", "https://")):
            raise Unsupported(f"{self}: the camera offers no snapshot URI")
        learnt.snapshot_uris[stream] = uri = self._reachable(uri)
        return uri

    def snapshot(self, stream: str = const.MAIN) -> bytes:
        """A JPEG picture of ``stream`` as the camera makes it."""
        reply = self._guarded(lambda: self._client.get(self.snapshot_uri(stream)))
        if not reply.content.startswith(_JPEG):
            raise DeviceUnavailable(f"{self}: the snapshot is not a JPEG picture")
        return bytes(reply.content)

    # -- internals -----------------------------------------------------------------

    def _connect(self) -> _Learnt:
        self._check_open()
        with self._lock:
            if self._learnt is not None:
                return self._learnt
        learnt = self._guarded(self._ask)
        with self._lock:
            self._learnt = learnt
        return learnt

    def _ask(self) -> _Learnt:
        client, where = self._client, self._settings.where
        client.discover_services()
        info = client.call("devicemgmt", "GetDeviceInformation")
        if not client.has("media"):
            raise Unsupported(f"{where}: the camera has no ONVIF media service")
        profiles = choose(
            [MediaProfile.of(p) for p in client.call("media", "GetProfiles") or ()],
            self._settings,
            where,
        )
        main = profiles[const.MAIN]
        ptz = None
        if main.ptz_node is not None and client.has("ptz"):
            node = client.call("ptz", "GetNode", NodeToken=main.ptz_node)
            ptz = OnvifPtz(client, main.token, capabilities(node), self._context.log)
        channel = ChannelDescription(
            index=0,
            name=const.CHANNEL_NAME,
            streams=tuple(p.stream(name) for name, p in profiles.items()),
            ptz=ptz.capabilities if ptz is not None else None,
        )
        description = DeviceDescription(
            vendor=_text(info, "Manufacturer"),
            model=_text(info, "Model"),
            channels=(channel,),
            firmware=_text(info, "FirmwareVersion"),
            serial_number=_text(info, "SerialNumber"),
        )
        self._context.log.info(
            "%s: %s %s, streams %s",
            where,
            description.vendor,
            description.model,
            ", ".join(f"{n}={p.token}" for n, p in profiles.items()),
        )
        return _Learnt(description, profiles, ptz)

    def _rtsp_camera(self, learnt: _Learnt) -> RtspCamera:
        """The RTSP camera that reads this connection's streams, made at its first stream."""
        known = self._current_rtsp()
        if known is not None:
            return known
        uris = {name: self._stream_uri(p) for name, p in learnt.profiles.items()}
        s = self._settings
        try:
            rtsp_settings = RtspCameraSettings(
                main_url=uris[const.MAIN],
                sub_url=uris.get(const.SUB),
                username=s.username,
                password=s.password,
                transport=s.transport,
                open_timeout=s.timeout,
                read_timeout=s.read_timeout,
            )
        except ValidationError:
            raise ConfigurationError(
                f"{self}: the camera's stream URIs cannot be used by the RTSP reader"
            ) from None
        camera = RtspCamera(rtsp_settings, self._context)
        with self._lock:
            current, closed = self._rtsp, self._closed
            if current is None and not closed:
                self._rtsp = camera
        if closed:
            camera.close()
            raise DeviceUnavailable(f"{self}: the device is closed")
        if current is not None:  # another thread was quicker
            camera.close()
            return current
        return camera

    def _current_rtsp(self) -> RtspCamera | None:
        with self._lock:
            return self._rtsp

    def _stream_uri(self, profile: MediaProfile) -> str:
        setup = {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}}
        reply = self._client.call(
            "media", "GetStreamUri", StreamSetup=setup, ProfileToken=profile.token
        )
        uri = str(getattr(reply, "Uri", "") or "")
        if not uri.lower().startswith(("rtsp://", "rtsps://")):
            raise Unsupported(f"{self}: profile {profile.token} has no RTSP stream URI")
        # The settings' credentials are the ones used; any in the URI are dropped.
        return self._reachable(urls.split_credentials(uri)[0])

    def _reachable(self, uri: str) -> str:
        if not self._settings.stream_host_from_settings:
            return uri
        return soap.rehost(uri, self._settings.host)

    def _guarded(self, work: Callable[[], _T]) -> _T:
        """``work()``; a camera that became unreachable is asked everything again next time."""
        try:
            return work()
        except DeviceUnavailable:
            self._forget()
            raise

    def _forget(self) -> None:
        """Ask the camera everything again next time. The current RTSP camera is retired:
        its open streams run on (only one may have failed), and the oldest retired ones
        are closed, so a camera that keeps dropping does not pile them up."""
        with self._lock:
            self._learnt = None
            if self._rtsp is not None:
                self._retired.append(self._rtsp)
                self._rtsp = None
            stale = self._retired[:-_KEEP_RETIRED]
            del self._retired[:-_KEEP_RETIRED]
        for camera in stale:
            camera.close()

    def _check_open(self) -> None:
        if self._closed:
            raise DeviceUnavailable(f"{self}: the device is closed")


def _text(reply: Any, field: str) -> str:
    return str(getattr(reply, field, "") or "").strip()


def open_camera(settings: BaseModel, context: PluginContext) -> OnvifCamera:
    """``CameraDriverType.open`` of the ``onvif`` driver. Does not contact the camera."""
    if not isinstance(settings, OnvifCameraSettings):
        try:
            settings = OnvifCameraSettings.model_validate(settings.model_dump())
        except ValidationError as exc:
            raise ConfigurationError(f"invalid OnvifCameraSettings: {exc}") from None
    return OnvifCamera(settings, context)
