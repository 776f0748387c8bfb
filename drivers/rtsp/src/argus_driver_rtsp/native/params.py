"""Picture size and frame rate from H.264 and H.265 sequence parameter sets.

Read once per connection, from the SDP's ``sprop-*`` parameter sets (or the
first keyframe's). H.264: ITU-T H.264 7.3.2.1.1 and E.1.1 (the VUI up to its
timing info). H.265: ITU-T H.265 7.3.2.2 up to the conformance window; its
frame rate comes from the SDP's ``a=framerate`` only.
"""

from __future__ import annotations

from fractions import Fraction

_HIGH_PROFILES = frozenset({100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135})
_MAX_FPS = 240


class _Bits:
    """An MSB-first bit reader over an RBSP (emulation prevention bytes removed).

    :raises ValueError: on reading past the end.
    """

    def __init__(self, rbsp: bytes) -> None:
        self._value = int.from_bytes(rbsp, "big")
        self._left = len(rbsp) * 8

    def u(self, count: int) -> int:
        if count > self._left:
            raise ValueError("parameter set truncated")
        self._left -= count
        return (self._value >> self._left) & ((1 << count) - 1)

    def ue(self) -> int:
        zeros = 0
        while self.u(1) == 0:
            zeros += 1
            if zeros > 31:
                raise ValueError("malformed Exp-Golomb code")
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        code = self.ue()
        return (code + 1) // 2 if code & 1 else -(code // 2)


def rbsp(nal: bytes) -> bytes:
    """``nal`` without its emulation prevention bytes (``00 00 03`` → ``00 00``)."""
    if b"\x00\x00\x03" not in nal:
        return nal
    out = bytearray()
    zeros = 0
    for byte in nal:
        if zeros >= 2 and byte == 3:
            zeros = 0
            continue
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def h264_sps(nal: bytes) -> tuple[int, int, Fraction | None]:
    """``(width, height, frame rate or None)`` of an H.264 SPS NAL unit (header included).

    :raises ValueError: truncated or malformed.
    """
    bits = _Bits(rbsp(nal[1:]))
    profile = bits.u(8)
    bits.u(16)  # constraint flags, level
    bits.ue()  # seq_parameter_set_id
    chroma = 1
    if profile in _HIGH_PROFILES:
        chroma = bits.ue()
        if chroma == 3:
            bits.u(1)
        bits.ue()  # bit depths
        bits.ue()
        bits.u(1)
        if bits.u(1):
            _skip_scaling_lists(bits, 8 if chroma != 3 else 12)
    bits.ue()  # log2_max_frame_num_minus4
    poc_type = bits.ue()
    if poc_type == 0:
        bits.ue()
    elif poc_type == 1:
        bits.u(1)
        bits.se()
        bits.se()
        for _ in range(bits.ue()):
            bits.se()
    bits.ue()  # max_num_ref_frames
    bits.u(1)
    width_mbs, height_units = bits.ue() + 1, bits.ue() + 1
    frame_mbs_only = bits.u(1)
    if not frame_mbs_only:
        bits.u(1)
    bits.u(1)  # direct_8x8_inference_flag
    crop = (bits.ue(), bits.ue(), bits.ue(), bits.ue()) if bits.u(1) else (0, 0, 0, 0)
    sub_w, sub_h = (2, 2) if chroma == 1 else (2, 1) if chroma == 2 else (1, 1)
    width = width_mbs * 16 - sub_w * (crop[0] + crop[1])
    height = (2 - frame_mbs_only) * height_units * 16
    height -= sub_h * (2 - frame_mbs_only) * (crop[2] + crop[3])
    rate = _vui_frame_rate(bits) if bits.u(1) else None
    return width, height, rate


def _skip_scaling_lists(bits: _Bits, count: int) -> None:
    for i in range(count):
        if not bits.u(1):
            continue
        last = following = 8
        for _ in range(16 if i < 6 else 64):
            if following:
                following = (last + bits.se() + 256) % 256
            last = following or last


def _vui_frame_rate(bits: _Bits) -> Fraction | None:
    if bits.u(1) and bits.u(8) == 255:  # aspect_ratio_info_present, Extended_SAR
        bits.u(32)
    if bits.u(1):  # overscan_info_present_flag
        bits.u(1)
    if bits.u(1):  # video_signal_type_present_flag
        bits.u(4)
        if bits.u(1):
            bits.u(24)
    if bits.u(1):  # chroma_loc_info_present_flag
        bits.ue()
        bits.ue()
    if not bits.u(1):  # timing_info_present_flag
        return None
    units, scale = bits.u(32), bits.u(32)
    if not units or not scale:
        return None
    rate = Fraction(scale, 2 * units)
    return rate if 0 < rate <= _MAX_FPS else None


def h265_sps(nal: bytes) -> tuple[int, int]:
    """``(width, height)`` of an H.265 SPS NAL unit (two-byte header included).

    :raises ValueError: truncated or malformed.
    """
    bits = _Bits(rbsp(nal[2:]))
    bits.u(4)  # sps_video_parameter_set_id
    sub_layers = bits.u(3)
    bits.u(1)
    _skip_profile_tier_level(bits, sub_layers)
    bits.ue()  # sps_seq_parameter_set_id
    chroma = bits.ue()
    if chroma == 3:
        bits.u(1)
    width, height = bits.ue(), bits.ue()
    if bits.u(1):  # conformance_window_flag
        sub_w, sub_h = (2, 2) if chroma == 1 else (2, 1) if chroma == 2 else (1, 1)
        left, right, top, bottom = bits.ue(), bits.ue(), bits.ue(), bits.ue()
        width -= sub_w * (left + right)
        height -= sub_h * (top + bottom)
    return width, height


def _skip_profile_tier_level(bits: _Bits, sub_layers: int) -> None:
    bits.u(88)  # general profile space … general constraint flags
    bits.u(8)  # general_level_idc
    present = [(bits.u(1), bits.u(1)) for _ in range(sub_layers)]
    if sub_layers:
        bits.u(2 * (8 - sub_layers))
    for profile, level in present:
        if profile:
            bits.u(88)
        if level:
            bits.u(8)
