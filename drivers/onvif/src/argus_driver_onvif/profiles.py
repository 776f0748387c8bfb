"""Media profiles: which one is the main and which the sub stream, and what each offers."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from argus_driver_onvif.const import CODECS, MAIN, SUB
from argus_driver_onvif.settings import OnvifCameraSettings
from argus_sdk import ConfigurationError, DeviceUnavailable, StreamProfile


@dataclass(frozen=True, slots=True)
class MediaProfile:
    """What this driver keeps of an ONVIF media profile."""

    token: str
    name: str
    codec: str
    width: int
    height: int
    frame_rate: Fraction
    bit_rate: int
    ptz_node: str | None

    @classmethod
    def of(cls, profile: Any) -> MediaProfile:
        encoder = getattr(profile, "VideoEncoderConfiguration", None)
        resolution = getattr(encoder, "Resolution", None)
        rate = getattr(encoder, "RateControl", None)
        encoding = str(getattr(encoder, "Encoding", "") or "")
        fps = getattr(rate, "FrameRateLimit", None) or 0
        kbps = getattr(rate, "BitrateLimit", None) or 0
        ptz = getattr(profile, "PTZConfiguration", None)
        return cls(
            token=str(profile.token),
            name=str(getattr(profile, "Name", "") or ""),
            codec=CODECS.get(encoding.upper(), encoding.lower()),
            width=int(getattr(resolution, "Width", 0) or 0),
            height=int(getattr(resolution, "Height", 0) or 0),
            frame_rate=Fraction(fps).limit_denominator(1001),
            bit_rate=int(kbps) * 1000,
            ptz_node=str(ptz.NodeToken) if ptz is not None and ptz.NodeToken else None,
        )

    def stream(self, name: str) -> StreamProfile:
        return StreamProfile(
            name=name,
            codec=self.codec,
            width=self.width,
            height=self.height,
            frame_rate=self.frame_rate,
            bit_rate=self.bit_rate,
        )


def choose(
    profiles: list[MediaProfile], settings: OnvifCameraSettings, where: str
) -> dict[str, MediaProfile]:
    """The profiles of the ``main`` and (if any) ``sub`` streams, by the settings.

    Only profiles with a video encoder count. A profile named in the settings is
    looked up by token first, then by name.

    :raises ConfigurationError: a profile named in the settings does not exist.
    :raises DeviceUnavailable: the camera has no video profile at all.
    """
    video = [p for p in profiles if p.codec]
    if not video:
        raise DeviceUnavailable(f"{where}: the camera reports no video media profile")
    chosen = {
        MAIN: _find(video, settings.main_profile, where) if settings.main_profile else video[0]
    }
    if settings.sub_profile:
        chosen[SUB] = _find(video, settings.sub_profile, where)
    elif settings.sub_profile is not None:
        rest = [p for p in video if p.token != chosen[MAIN].token]
        if rest:
            chosen[SUB] = rest[0]
    return chosen


def _find(profiles: list[MediaProfile], wanted: str, where: str) -> MediaProfile:
    for key in ("token", "name"):
        for profile in profiles:
            if getattr(profile, key) == wanted:
                return profile
    known = ", ".join(f"{p.token} ({p.name})" for p in profiles)
    raise ConfigurationError(f"{where}: no media profile {wanted!r}; the camera has {known}")
