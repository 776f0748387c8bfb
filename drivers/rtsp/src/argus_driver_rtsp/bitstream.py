"""The bitstream forms the SDK promises: Annex B video, AudioSpecificConfig for AAC.

FFmpeg's RTSP demuxer already gives H.264/H.265 packets and extradata in Annex B
form (start codes, parameter sets from the SDP's ``sprop-*``). These helpers
cover what a camera or a later FFmpeg may do differently: ``avcC``/``hvcC``
extradata with length-prefixed packets, parameter sets sent only in-band, and
AAC without a config in the SDP.
"""

from __future__ import annotations

START_CODE = b"\x00\x00\x00\x01"

#: NAL unit types of the parameter sets: H.264 SPS, PPS; H.265 VPS, SPS, PPS.
_PARAMETER_SETS = {"h264": frozenset({7, 8}), "hevc": frozenset({32, 33, 34})}

#: ISO/IEC 14496-3 sampling frequency index.
_AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000)
_AAC_LC = 2


def is_annexb(data: bytes) -> bool:
    return data.startswith((b"\x00\x00\x01", START_CODE))


def nal_units(data: bytes) -> list[bytes]:
    """The NAL units of an Annex B buffer, without their start codes."""
    units: list[bytes] = []
    start = _next_start(data, 0)
    while start is not None:
        begin = start[1]
        following = _next_start(data, begin)
        end = following[0] if following is not None else len(data)
        unit = data[begin:end].rstrip(b"\x00") if following is not None else data[begin:end]
        if unit:
            units.append(unit)
        start = following
    return units


def _next_start(data: bytes, pos: int) -> tuple[int, int] | None:
    """``(where the start code begins, where the NAL unit begins)`` from ``pos`` on."""
    found = data.find(b"\x00\x00\x01", pos)
    if found < 0:
        return None
    return found, found + 3


def annexb(units: list[bytes]) -> bytes:
    return b"".join(START_CODE + unit for unit in units)


def nal_type(codec: str, unit: bytes) -> int:
    return (unit[0] >> 1) & 0x3F if codec == "hevc" else unit[0] & 0x1F


def parameter_sets(codec: str, data: bytes) -> bytes:
    """The SPS/PPS (H.264) or VPS/SPS/PPS (H.265) in Annex B ``data``, each once, in order."""
    wanted = _PARAMETER_SETS[codec]
    units = [u for u in nal_units(data) if nal_type(codec, u) in wanted]
    return annexb(list(dict.fromkeys(units)))


def extradata_to_annexb(codec: str, extradata: bytes) -> tuple[bytes, int]:
    """``(Annex B extradata, NAL length size of the packets)``.

    The length size is 0 when the extradata already was Annex B (or empty):
    the packets are then Annex B too.

    :raises ValueError: truncated or unknown ``avcC``/``hvcC`` extradata.
    """
    if not extradata or is_annexb(extradata):
        return extradata, 0
    if extradata[0] != 1:
        raise ValueError(f"{codec} extradata is neither Annex B nor a version 1 configuration")
    try:
        if codec == "hevc":
            return _hvcc(extradata)
        return _avcc(extradata)
    except IndexError:
        raise ValueError(f"truncated {codec} configuration record") from None


def _take(data: bytes, pos: int) -> tuple[bytes, int]:
    size = int.from_bytes(data[pos : pos + 2], "big")
    if pos + 2 + size > len(data):
        raise IndexError(pos)
    return data[pos + 2 : pos + 2 + size], pos + 2 + size


def _avcc(data: bytes) -> tuple[bytes, int]:
    length_size = (data[4] & 0x03) + 1
    units: list[bytes] = []
    pos = 5
    for count_mask in (0x1F, 0xFF):
        count = data[pos] & count_mask
        pos += 1
        for _ in range(count):
            unit, pos = _take(data, pos)
            units.append(unit)
    return annexb(units), length_size


def _hvcc(data: bytes) -> tuple[bytes, int]:
    length_size = (data[21] & 0x03) + 1
    units: list[bytes] = []
    pos = 23
    for _ in range(data[22]):
        count = int.from_bytes(data[pos + 1 : pos + 3], "big")
        pos += 3
        for _ in range(count):
            unit, pos = _take(data, pos)
            units.append(unit)
    return annexb(units), length_size


def length_prefixed_to_annexb(data: bytes, length_size: int) -> bytes:
    """Replace each NAL unit's big-endian length prefix by a start code.

    :raises ValueError: a length runs past the end of the packet.
    """
    units: list[bytes] = []
    pos = 0
    while pos + length_size <= len(data):
        size = int.from_bytes(data[pos : pos + length_size], "big")
        pos += length_size
        if pos + size > len(data):
            raise ValueError("a NAL unit length runs past the end of the packet")
        units.append(data[pos : pos + size])
        pos += size
    return annexb(units)


def aac_config(sample_rate: int, channels: int) -> bytes:
    """An AAC-LC AudioSpecificConfig, for cameras whose SDP carries none.

    :raises ValueError: a sample rate or channel count AAC cannot signal this way.
    """
    if sample_rate not in _AAC_RATES or not 1 <= channels <= 7:
        raise ValueError(f"no AAC config for {sample_rate} Hz, {channels} channels")
    value = (_AAC_LC << 11) | (_AAC_RATES.index(sample_rate) << 7) | (channels << 3)
    return value.to_bytes(2, "big")
