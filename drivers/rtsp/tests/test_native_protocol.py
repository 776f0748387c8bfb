"""The native engine's SDP, parameter-set and authentication parsing, on known inputs."""

from __future__ import annotations

import base64
from fractions import Fraction

import pytest

from argus_driver_rtsp.native import auth, params, sdp
from argus_driver_rtsp.native.client import control_url
from argus_driver_rtsp.native.wire import parse_head

H264_PARAMETERS = "sprop-parameter-sets=Z0LAHtoCgL/lwFqDAwNSgAAAAwCAAAAZR4sXUA==,aM48gA=="
AAC_HBR = "sizelength=13;indexlength=3;indexdeltalength=3"
#: As GStreamer's RTSP server describes its /h264-aac mount.
SDP = f"""v=0\r
o=- 9149707370222869996 1 IN IP4 127.0.0.1\r
s=Session streamed with GStreamer\r
t=0 0\r
a=control:*\r
m=video 0 RTP/AVP 96\r
a=rtpmap:96 H264/90000\r
a=framerate:25\r
a=fmtp:96 packetization-mode=1;{H264_PARAMETERS};profile-level-id=42c01e\r
a=control:stream=0\r
m=audio 0 RTP/AVP 97\r
a=rtpmap:97 MPEG4-GENERIC/16000/1\r
a=fmtp:97 streamtype=5;profile-level-id=2;mode=AAC-hbr;config=140856e500;{AAC_HBR}\r
a=control:stream=1\r
m=audio 0 RTP/AVP 8\r
a=control:stream=2\r
"""
H264_SPS_640 = base64.b64decode("Z0LAHtoCgL/lwFqDAwNSgAAAAwCAAAAZR4sXUA==")
H264_SPS_1080 = base64.b64decode("Z0LAKNoB4AiflwFqAgICgAAAAwCAAAAZR4wZUA==")
H265_SPS_640 = base64.b64decode(
    "QgEBAWAAAAMAkAAAAwAAAwA/oAUCAXHy5bpKTC//AAEAAWoMDAwIAAADAAgAAAMAyEA="
)


def test_sdp_media_codecs_and_parameters() -> None:
    video, aac, pcma = sdp.parse(SDP)
    assert (video.kind, video.payload_type, video.encoding, video.clock_rate) == (
        "video",
        96,
        "H264",
        90000,
    )
    assert video.frame_rate == Fraction(25) and video.control == "stream=0"
    assert video.fmtp["packetization-mode"] == "1"
    assert video.fmtp["sprop-parameter-sets"].endswith(",aM48gA==")
    assert (aac.encoding, aac.clock_rate, aac.channels) == ("MPEG4-GENERIC", 16000, 1)
    assert aac.fmtp["config"] == "140856e500" and aac.fmtp["mode"] == "AAC-hbr"
    assert (pcma.encoding, pcma.clock_rate, pcma.control) == ("PCMA", 8000, "stream=2")


@pytest.mark.parametrize(
    ("base", "control", "url"),
    [
        ("rtsp://cam/live/", "stream=0", "rtsp://cam/live/stream=0"),
        ("rtsp://cam/live", "trackID=1", "rtsp://cam/live/trackID=1"),
        ("rtsp://cam/live", "*", "rtsp://cam/live"),
        ("rtsp://cam/live", "rtsp://cam/other/t1", "rtsp://cam/other/t1"),
    ],
)
def test_track_urls_are_formed_as_ffmpeg_forms_them(base: str, control: str, url: str) -> None:
    assert control_url(base, control) == url


@pytest.mark.parametrize(
    ("sps", "size"),
    [(H264_SPS_640, (640, 360)), (H264_SPS_1080, (1920, 1080))],
)
def test_h264_sps_size_with_cropping_and_vui_frame_rate(sps: bytes, size: tuple[int, int]) -> None:
    width, height, rate = params.h264_sps(sps)
    assert (width, height) == size
    assert rate == Fraction(25)


def test_h265_sps_size() -> None:
    assert params.h265_sps(H265_SPS_640) == (640, 360)


def test_a_truncated_sps_is_an_error_not_a_guess() -> None:
    with pytest.raises(ValueError, match="truncated"):
        params.h264_sps(H264_SPS_640[:6])


def test_emulation_prevention_bytes_are_removed() -> None:
    assert params.rbsp(b"\x01\x00\x00\x03\x01\x00\x00\x03\x00") == b"\x01\x00\x00\x01\x00\x00\x00"


def test_digest_response_is_rfc_2617s_example(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth.os, "urandom", lambda n: bytes.fromhex("0a4f113b"))
    credentials = auth.Credentials("Mufasa", "Circle Of Life")
    assert credentials.header("GET", "/dir/index.html") is None
    challenge = (
        'Digest realm="testrealm@host.com", qop="auth,auth-int", '
        'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
    )
    assert credentials.accept(['Basic realm="x"', challenge])
    header = credentials.header("GET", "/dir/index.html")
    assert header is not None and header.startswith("Digest ")
    assert 'response="6629fae49393a05397450978507c4ef1"' in header
    assert "nc=00000001" in header and 'cnonce="0a4f113b"' in header
    assert "Circle Of Life" not in header and "Circle Of Life" not in repr(credentials)


def test_basic_credentials() -> None:
    credentials = auth.Credentials("Aladdin", "open sesame")
    assert credentials.accept(['Basic realm="cam"'])
    assert credentials.header("DESCRIBE", "rtsp://cam/") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="


def test_response_head_keeps_repeated_headers() -> None:
    response = parse_head(
        "RTSP/1.0 401 Unauthorized\r\nCSeq: 3\r\n"
        'WWW-Authenticate: Basic realm="a"\r\nWWW-Authenticate: Digest realm="a", nonce="n"'
    )
    assert (response.status, response.reason, response.header("cseq")) == (401, "Unauthorized", "3")
    assert len(response.headers["www-authenticate"]) == 2
