from __future__ import annotations

import io
from fractions import Fraction

import av
import pytest

from argus_driver_rtsp import bitstream

SIZE = (160, 96)
SPS_PPS = b"\x00\x00\x00\x01\x67\x42\xc0\x1e\xda\x02\x80\x00\x00\x00\x01\x68\xce\x3c\x80"


def mp4_video(encoder: str, frames: int = 12) -> tuple[bytes, list[bytes]]:
    """Extradata and packets of a clip muxed into MP4 and read back: ``avcC``/``hvcC``
    and length-prefixed NAL units, the form the SDK does not want."""
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream(encoder, rate=25)
        stream.width, stream.height, stream.pix_fmt = *SIZE, "yuv420p"
        stream.options = {"x265-params": "log-level=none"} if encoder == "libx265" else {}
        for i in range(frames):
            frame = av.VideoFrame(*SIZE, "yuv420p")
            frame.pts, frame.time_base = i, Fraction(1, 25)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    buf.seek(0)
    with av.open(buf) as inp:
        video = inp.streams.video[0]
        extradata = bytes(video.codec_context.extradata or b"")
        packets = [bytes(p) for p in inp.demux(video) if p.size]
    return extradata, packets


@pytest.mark.parametrize(("encoder", "codec"), [("libx264", "h264"), ("libx265", "hevc")])
def test_mp4_form_becomes_annexb_that_decodes(encoder: str, codec: str) -> None:
    extradata, packets = mp4_video(encoder)
    assert not bitstream.is_annexb(extradata) and extradata[0] == 1
    annexb, length_size = bitstream.extradata_to_annexb(codec, extradata)
    assert bitstream.is_annexb(annexb) and length_size == 4
    wanted = {"h264": {7, 8}, "hevc": {32, 33, 34}}[codec]
    assert wanted <= {bitstream.nal_type(codec, u) for u in bitstream.nal_units(annexb)}
    decoder = av.CodecContext.create(codec, "r")
    decoder.extradata = annexb
    frames = []
    for data in packets:
        converted = bitstream.length_prefixed_to_annexb(data, length_size)
        assert bitstream.is_annexb(converted)
        frames += decoder.decode(av.Packet(converted))  # type: ignore[attr-defined]
    frames += decoder.decode(None)  # type: ignore[attr-defined]
    assert len(frames) == len(packets)
    assert (frames[0].width, frames[0].height) == SIZE


def test_annexb_extradata_is_kept() -> None:
    assert bitstream.extradata_to_annexb("h264", SPS_PPS) == (SPS_PPS, 0)
    assert bitstream.extradata_to_annexb("h264", b"") == (b"", 0)


@pytest.mark.parametrize("bad", [b"\x02\x42", b"\x01\x42\xc0\x1e\xff\xe1\x00\x20\x67"])
def test_unusable_configuration_records_are_refused(bad: bytes) -> None:
    with pytest.raises(ValueError, match="h264"):
        bitstream.extradata_to_annexb("h264", bad)


def test_a_length_past_the_packet_is_refused() -> None:
    with pytest.raises(ValueError, match="past the end"):
        bitstream.length_prefixed_to_annexb(b"\x00\x00\x00\x09\x65\x88", 4)


def test_nal_units_split_on_three_and_four_byte_start_codes() -> None:
    data = b"\x00\x00\x00\x01\x09\x10\x00\x00\x01\x67\x42\x00\x00\x00\x01\x65\x88\x84"
    assert bitstream.nal_units(data) == [b"\x09\x10", b"\x67\x42", b"\x65\x88\x84"]
    assert bitstream.nal_units(b"") == []


def test_parameter_sets_are_found_once_each_in_an_access_unit() -> None:
    idr = b"\x00\x00\x00\x01\x65\x88\x84"
    aud = b"\x00\x00\x00\x01\x09\x10"
    assert bitstream.parameter_sets("h264", aud + SPS_PPS + idr + SPS_PPS) == SPS_PPS
    hevc = (
        b"\x00\x00\x00\x01\x40\x01\x0c"
        + b"\x00\x00\x00\x01\x42\x01\x01"
        + b"\x00\x00\x00\x01\x26\x01"
    )
    assert bitstream.parameter_sets("hevc", hevc) == hevc[:14]


@pytest.mark.parametrize(
    ("rate", "channels", "config"),
    [(16000, 1, b"\x14\x08"), (48000, 2, b"\x11\x90"), (8000, 1, b"\x15\x88")],
)
def test_aac_config_is_an_audio_specific_config(rate: int, channels: int, config: bytes) -> None:
    assert bitstream.aac_config(rate, channels) == config
    encoder = av.CodecContext.create("aac", "w")
    encoder.sample_rate, encoder.format = rate, "fltp"  # type: ignore[attr-defined]
    encoder.layout = "mono" if channels == 1 else "stereo"  # type: ignore[attr-defined]
    encoder.open()
    assert (encoder.extradata or b"")[:2] == config  # FFmpeg's own AAC-LC config


def test_aac_config_refuses_what_it_cannot_signal() -> None:
    with pytest.raises(ValueError):
        bitstream.aac_config(22000, 1)
