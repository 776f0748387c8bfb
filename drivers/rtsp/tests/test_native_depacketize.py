"""The native engine's depacketizers, fed hand-built RTP payloads."""

from __future__ import annotations

import pytest

from argus_driver_rtsp.native.depacketize import G711, H264, H265, START, Aac, Unit

SPS, PPS = b"\x67\x42\xc0\x1e\xda", b"\x68\xce\x3c\x80"
IDR_HEADER, SLICE_HEADER = 0x65, 0x41


class Feed:
    """Pushes payloads with consecutive sequence numbers (unless told otherwise)."""

    def __init__(self, depacketizer: H264 | H265 | Aac | G711, seq: int = 65530) -> None:
        self.d = depacketizer
        self.seq = seq

    def __call__(self, payload: bytes, ts: int, marker: bool = False, *, skip: int = 0) -> None:
        self.seq = (self.seq + skip) & 0xFFFF
        buf = bytearray(b"junk" + payload + b"tail")  # a slice of a bigger buffer
        self.d.push(buf, 4, 4 + len(payload), self.seq, ts, marker)
        self.seq = (self.seq + 1) & 0xFFFF


def fu_a(nal: bytes, sizes: list[int]) -> list[bytes]:
    """``nal`` cut into FU-A payloads of the given body sizes (the rest goes in the last)."""
    indicator = (nal[0] & 0xE0) | 28
    body, payloads, pos = nal[1:], [], 0
    for i, size in enumerate([*sizes, len(nal) - 1 - sum(sizes)]):
        flags = (0x80 if i == 0 else 0) | (0x40 if i == len(sizes) else 0)
        payloads.append(bytes([indicator, flags | (nal[0] & 0x1F)]) + body[pos : pos + size])
        pos += size
    return payloads


def stap_a(*nals: bytes) -> bytes:
    return b"\x18" + b"".join(len(n).to_bytes(2, "big") + n for n in nals)


def annexb(*nals: bytes) -> bytes:
    return b"".join(START + n for n in nals)


def idr(n: int) -> bytes:
    return bytes([IDR_HEADER]) + bytes(range(n, n + 200))


def slice_(n: int) -> bytes:
    return bytes([SLICE_HEADER]) + bytes([n]) * 50


def test_h264_stap_a_and_fu_a_make_one_keyframe_access_unit() -> None:
    out: list[Unit] = []
    feed = Feed(H264(0, out, 3600))
    frame = idr(7)
    feed(stap_a(SPS, PPS), 1000)
    first, middle, last = fu_a(frame, [60, 70])
    assert first[1] & 0x80 and not middle[1] & 0xC0 and last[1] & 0x40
    feed(first, 1000)
    feed(middle, 1000)
    assert out == []  # nothing before the marker
    feed(last, 1000, marker=True)
    assert out == [(0, 0, annexb(SPS, PPS, frame), True, 3600)]


def test_h264_frames_before_the_first_keyframe_are_dropped_then_single_nals_pass() -> None:
    out: list[Unit] = []
    feed = Feed(H264(0, out))
    feed(slice_(1), 0, marker=True)  # joined mid-GOP
    feed(idr(0), 3600, marker=True)
    feed(slice_(2), 7200, marker=True)
    assert [(u[1], u[3]) for u in out] == [(3600, True), (7200, False)]
    assert out[1][2] == annexb(slice_(2))


def test_h264_loss_inside_a_fragmented_frame_drops_it_and_waits_for_a_keyframe() -> None:
    out: list[Unit] = []
    depacketizer = H264(0, out)
    feed = Feed(depacketizer)
    feed(idr(0), 0, marker=True)
    first, _, last = fu_a(slice_(1) * 3, [40, 40])
    feed(first, 3600)
    feed(last, 3600, marker=True, skip=1)  # the middle fragment was lost
    for p in fu_a(slice_(2) * 3, [40, 40]):  # intact, but not a keyframe
        feed(p, 7200, marker=p[1] & 0x40 != 0)
    for p in fu_a(idr(3), [90]):
        feed(p, 10800, marker=p[1] & 0x40 != 0)
    assert [(u[1], u[3]) for u in out] == [(0, True), (10800, True)]
    assert out[1][2] == annexb(idr(3))
    assert depacketizer.losses == 1


def test_h264_fragments_without_their_start_are_dropped() -> None:
    out: list[Unit] = []
    depacketizer = H264(0, out)
    feed = Feed(depacketizer)
    feed(idr(0), 0, marker=True)
    _, middle, last = fu_a(slice_(1) * 3, [40, 40])
    feed(middle, 3600)
    feed(last, 3600, marker=True)
    feed(slice_(2), 7200, marker=True)
    assert [u[1] for u in out] == [0]
    assert depacketizer.losses == 1


def test_h264_a_lost_marker_ends_the_frame_at_the_next_timestamp() -> None:
    out: list[Unit] = []
    feed = Feed(H264(0, out))
    feed(idr(0), 0)  # the marker bit never comes
    feed(slice_(1), 3600, marker=True)
    assert [(u[1], u[2]) for u in out] == [(0, annexb(idr(0))), (3600, annexb(slice_(1)))]


def test_rtp_timestamps_unwrap_past_32_bits() -> None:
    out: list[Unit] = []
    feed = Feed(H264(0, out))
    start = (1 << 32) - 3600
    for n in range(4):
        feed(idr(n) if n == 0 else slice_(n), (start + n * 3600) & 0xFFFFFFFF, marker=True)
    assert [u[1] for u in out] == [0, 3600, 7200, 10800]


def test_h265_aggregation_and_fragmentation() -> None:
    vps, sps, pps = b"\x40\x01\x0c\x01", b"\x42\x01\x01\x01", b"\x44\x01\xc0\x71"
    irap = b"\x26\x01" + bytes(range(100))  # IDR_W_RADL (19)
    trail = b"\x02\x01" + bytes(range(50))  # TRAIL_R (1)
    out: list[Unit] = []
    feed = Feed(H265(0, out, 3600))
    ap = b"\x60\x01" + b"".join(len(n).to_bytes(2, "big") + n for n in (vps, sps, pps))
    feed(ap, 90)
    fu_header = bytes([(irap[0] & 0x81) | (49 << 1), irap[1]])
    feed(fu_header + bytes([0x80 | 19]) + irap[2:40], 90)
    feed(fu_header + bytes([0x40 | 19]) + irap[40:], 90, marker=True)
    feed(trail, 3690, marker=True)
    assert out == [
        (0, 0, annexb(vps, sps, pps, irap), True, 3600),
        (0, 3600, annexb(trail), False, 3600),
    ]


def test_aac_hbr_several_access_units_in_one_packet() -> None:
    aus = [bytes([n]) * (10 + n) for n in range(3)]
    headers = b"".join((len(au) << 3).to_bytes(2, "big") for au in aus)
    out: list[Unit] = []
    feed = Feed(Aac(1, out))
    feed((16 * len(aus)).to_bytes(2, "big") + headers + b"".join(aus), 5000, marker=True)
    feed((16).to_bytes(2, "big") + (4 << 3).to_bytes(2, "big") + b"abcd", 5000 + 3072)
    assert out == [
        (1, 0, aus[0], True, 1024),
        (1, 1024, aus[1], True, 1024),
        (1, 2048, aus[2], True, 1024),
        (1, 3072, b"abcd", True, 1024),
    ]


def test_aac_an_access_unit_larger_than_a_packet_is_reassembled() -> None:
    au = bytes(range(256)) * 3
    header = (16).to_bytes(2, "big") + (len(au) << 3).to_bytes(2, "big")
    out: list[Unit] = []
    feed = Feed(Aac(1, out))
    feed(header + au[:500], 0)
    feed(header + au[500:], 0, marker=True)
    assert out == [(1, 0, au, True, 1024)]


def test_aac_a_lost_fragment_drops_the_access_unit() -> None:
    au = bytes(range(256)) * 3
    header = (16).to_bytes(2, "big") + (len(au) << 3).to_bytes(2, "big")
    out: list[Unit] = []
    feed = Feed(Aac(1, out))
    feed(header + au[:300], 0)
    feed(header + au[600:], 0, marker=True, skip=1)
    feed((16).to_bytes(2, "big") + (2 << 3).to_bytes(2, "big") + b"ok", 1024, marker=True)
    assert out == [(1, 1024, b"ok", True, 1024)]


@pytest.mark.parametrize("channels", [1, 2])
def test_g711_every_payload_is_a_packet_of_its_samples(channels: int) -> None:
    out: list[Unit] = []
    feed = Feed(G711(1, out, channels))
    feed(b"\xd5" * 160, 800, marker=True)
    feed(b"\x55" * 160, 960)
    assert out == [
        (1, 0, b"\xd5" * 160, True, 160 // channels),
        (1, 160, b"\x55" * 160, True, 160 // channels),
    ]
