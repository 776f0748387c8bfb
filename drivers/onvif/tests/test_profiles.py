from __future__ import annotations

from fractions import Fraction
from types import SimpleNamespace

import pytest

from argus_driver_onvif.profiles import MediaProfile, choose
from argus_driver_onvif.settings import OnvifCameraSettings
from argus_sdk import ConfigurationError, DeviceUnavailable


def _profile(
    token: str, name: str, encoding: str | None = "H264", ptz: str | None = None
) -> SimpleNamespace:
    encoder = None
    if encoding is not None:
        encoder = SimpleNamespace(
            Encoding=encoding,
            Resolution=SimpleNamespace(Width=1920, Height=1080),
            RateControl=SimpleNamespace(FrameRateLimit=25, BitrateLimit=4096),
        )
    return SimpleNamespace(
        token=token,
        Name=name,
        VideoEncoderConfiguration=encoder,
        PTZConfiguration=SimpleNamespace(NodeToken=ptz) if ptz else None,
    )


def test_a_profile_becomes_a_stream_profile() -> None:
    p = MediaProfile.of(_profile("P1", "Main", "H265", ptz="node"))
    assert (p.codec, p.width, p.height, p.frame_rate, p.bit_rate, p.ptz_node) == (
        "hevc", 1920, 1080, Fraction(25), 4096000, "node",
    )  # fmt: skip
    s = p.stream("main")
    assert (s.name, s.codec, s.frame_rate) == ("main", "hevc", Fraction(25))


PROFILES = [
    MediaProfile.of(_profile("audio", "AudioOnly", None)),
    MediaProfile.of(_profile("P1", "Main")),
    MediaProfile.of(_profile("P2", "Sub")),
    MediaProfile.of(_profile("P3", "Third")),
]


def _choose(**settings: object) -> dict[str, str]:
    chosen = choose(PROFILES, OnvifCameraSettings(host="cam", **settings), "cam")
    return {k: v.token for k, v in chosen.items()}


def test_by_default_the_first_two_video_profiles() -> None:
    assert _choose() == {"main": "P1", "sub": "P2"}


def test_profiles_by_token_or_name_and_no_sub() -> None:
    assert _choose(main_profile="P3", sub_profile="Main") == {"main": "P3", "sub": "P1"}
    assert _choose(main_profile="Sub", sub_profile=None) == {"main": "P2"}
    assert _choose(main_profile="P2") == {"main": "P2", "sub": "P1"}


def test_an_unknown_profile_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match=r"no media profile 'nope'.*P1 \(Main\)"):
        _choose(sub_profile="nope")


def test_a_camera_without_video_profiles() -> None:
    with pytest.raises(DeviceUnavailable):
        choose(PROFILES[:1], OnvifCameraSettings(host="cam"), "cam")
