from __future__ import annotations

import av
import numpy as np

from argus_driver_sim import const
from argus_driver_sim.encode import beep_signal, encode_audio, encode_video, nal_units
from argus_driver_sim.pattern import Pattern

FPS = 10
LOOP = 2 * const.GOP_SECONDS * FPS  # two GOPs


def nal_types(data: bytes) -> list[int]:
    return [n[0] & 0x1F for n in nal_units(data)]


def test_nal_units_splits_three_and_four_byte_start_codes() -> None:
    data = b"\x00\x00\x00\x01\x67AA\x00\x00\x01\x68B\x00\x00\x00\x01\x65CCC"
    assert nal_units(data) == [b"\x67AA", b"\x68B", b"\x65CCC"]


def test_video_is_annex_b_with_parameter_sets_before_every_idr() -> None:
    track = encode_video(Pattern(320, 180, fps=FPS, loop_frames=LOOP, name="E"), 300_000)
    assert len(track.packets) == LOOP
    gop = const.GOP_SECONDS * FPS
    assert [i for i, k in enumerate(track.keyframes) if k] == [0, gop]
    for packet, key in zip(track.packets, track.keyframes, strict=True):
        assert packet.startswith(b"\x00\x00\x00\x01") or packet.startswith(b"\x00\x00\x01")
        types = nal_types(packet)
        if key:
            assert types.index(7) < types.index(8) < types.index(5)
        else:
            assert 5 not in types and 7 not in types
    assert nal_types(track.extradata) == [7, 8]
    assert track.extradata.startswith(b"\x00\x00\x00\x01")
    assert (track.width, track.height) == (320, 180)


def test_video_has_no_b_frames_and_decodes_frame_for_packet() -> None:
    track = encode_video(Pattern(320, 180, fps=FPS, loop_frames=LOOP, name="E"), 300_000)
    decoder = av.CodecContext.create("h264", "r")
    decoder.extradata = track.extradata
    frames = []
    for i, data in enumerate(track.packets):
        packet = av.Packet(data)
        packet.pts = packet.dts = i
        frames += decoder.decode(packet)
    frames += decoder.decode(None)
    assert [f.pts for f in frames] == list(range(LOOP))
    assert {(f.width, f.height) for f in frames} == {(320, 180)}


def test_beep_signal_beeps_at_the_start_of_every_second() -> None:
    rate = 8000
    signal = beep_signal(3 * rate, rate)
    for second in range(3):
        start = second * rate
        beep = signal[start + 100 : start + int(0.09 * rate)]
        rest = signal[start + int(0.11 * rate) : start + rate]
        assert np.sqrt(np.mean(beep**2)) > 0.1
        assert np.abs(rest).max() == 0.0


def test_audio_is_one_exact_loop_of_aac_that_decodes_with_its_extradata() -> None:
    track = encode_audio(const.AUDIO_LOOP_FRAMES, 48_000, 64_000)
    assert track.codec == "aac"
    assert len(track.packets) == const.AUDIO_LOOP_FRAMES
    assert all(track.keyframes)
    decoder = av.CodecContext.create("aac", "r")
    decoder.extradata = track.extradata
    samples = []
    for data in track.packets * 2:  # played twice in a row, as the replay loops it
        for frame in decoder.decode(av.Packet(data)):
            samples.append(frame.to_ndarray()[0])
    pcm = np.concatenate(samples)
    assert decoder.sample_rate == 48_000
    per_second = pcm[: 48_000 * 15].reshape(15, 48_000)
    loud = np.sqrt(np.mean(per_second[:, 480:4320] ** 2, axis=1))
    quiet = np.sqrt(np.mean(per_second[:, 7200:] ** 2, axis=1))
    assert (loud > 0.1).all()
    assert (quiet < 0.01).all()
