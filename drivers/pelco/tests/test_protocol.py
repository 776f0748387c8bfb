"""Frames byte for byte, checked against vectors worked out by hand from the Pelco
D and P protocol manuals (byte layouts, bit assignments, checksum rules)."""

from __future__ import annotations

import pytest

from argus_driver_pelco import const
from argus_driver_pelco.protocol import (
    STOP,
    Dropped,
    Extended,
    Frame,
    FrameParser,
    Motion,
    ParseError,
    Protocol,
    d_checksum,
    encode,
    p_checksum,
    pan_from_units,
    pan_units,
    speed,
    tilt_from_units,
    tilt_units,
    zoom_from_units,
    zoom_units,
)

D, P = Protocol.D, Protocol.P

#: (command, Pelco-D frame to dome 1, Pelco-P frame to dome 1 = wire address 0)
VECTORS = [
    (STOP, "ff 01 00 00 00 00 01", "a0 00 00 00 00 00 af 0f"),
    (Motion(pan=1, pan_speed=0x20), "ff 01 00 02 20 00 23", "a0 00 00 02 20 00 af 2d"),
    (Motion(pan=-1, pan_speed=0x3F), "ff 01 00 04 3f 00 44", "a0 00 00 04 3f 00 af 34"),
    (Motion(tilt=1, tilt_speed=0x3F), "ff 01 00 08 00 3f 48", "a0 00 00 08 00 3f af 38"),
    (Motion(tilt=-1, tilt_speed=0x20), "ff 01 00 10 00 20 31", "a0 00 00 10 00 20 af 3f"),
    (
        Motion(pan=1, tilt=1, pan_speed=0x10, tilt_speed=0x08),
        "ff 01 00 0a 10 08 23",
        "a0 00 00 0a 10 08 af 1d",
    ),
    (Motion(zoom=1), "ff 01 00 20 00 00 21", "a0 00 00 20 00 00 af 2f"),
    (Motion(zoom=-1), "ff 01 00 40 00 00 41", "a0 00 00 40 00 00 af 4f"),
    (Motion(focus=1), "ff 01 00 80 00 00 81", "a0 00 01 00 00 00 af 0e"),
    (Motion(focus=-1), "ff 01 01 00 00 00 02", "a0 00 02 00 00 00 af 0d"),
    (Motion(iris=1), "ff 01 02 00 00 00 03", "a0 00 04 00 00 00 af 0b"),
    (Motion(iris=-1), "ff 01 04 00 00 00 05", "a0 00 08 00 00 00 af 07"),
    (Extended(const.OP_SET_PRESET, 0, 1), "ff 01 00 03 00 01 05", "a0 00 00 03 00 01 af 0d"),
    (Extended(const.OP_CLEAR_PRESET, 0, 1), "ff 01 00 05 00 01 07", "a0 00 00 05 00 01 af 0b"),
    (Extended(const.OP_GOTO_PRESET, 0, 1), "ff 01 00 07 00 01 09", "a0 00 00 07 00 01 af 09"),
    (Extended(const.OP_SET_AUX, 0, 1), "ff 01 00 09 00 01 0b", "a0 00 00 09 00 01 af 07"),
    (Extended(const.OP_CLEAR_AUX, 0, 1), "ff 01 00 0b 00 01 0d", "a0 00 00 0b 00 01 af 05"),
    # Pan to 90.00° = 9000 = 0x2328.
    (Extended(const.OP_SET_PAN, 0x23, 0x28), "ff 01 00 4b 23 28 97", "a0 00 00 4b 23 28 af 4f"),
    (Extended(const.OP_QUERY_PAN), "ff 01 00 51 00 00 52", "a0 00 00 51 00 00 af 5e"),
]


@pytest.mark.parametrize(("command", "d_frame", "p_frame"), VECTORS)
def test_known_answer_frames(command: Motion | Extended, d_frame: str, p_frame: str) -> None:
    assert encode(D, 1, command).hex(" ") == d_frame
    assert encode(P, 1, command).hex(" ") == p_frame


@pytest.mark.parametrize(("command", "d_frame", "p_frame"), VECTORS)
def test_frames_parse_back_to_their_command(
    command: Motion | Extended, d_frame: str, p_frame: str
) -> None:
    for protocol, frame in ((D, d_frame), (P, p_frame)):
        assert FrameParser(protocol).feed(bytes.fromhex(frame)) == [Frame(1, command)]


def test_checksums_wrap_and_addresses() -> None:
    # D: 0xff + 0x07 + 0xff = 0x205 -> 0x05.
    assert encode(D, 255, Extended(const.OP_GOTO_PRESET, 0, 255)).hex(" ") == (
        "ff ff 00 07 00 ff 05"
    )
    assert d_checksum(bytes.fromhex("ff 00 07 00 ff")) == 0x05
    # P: switch address 2 is wire byte 0x01.
    assert encode(P, 2, STOP).hex(" ") == "a0 01 00 00 00 00 af 0e"
    assert p_checksum(bytes.fromhex("a0 01 00 00 00 00 af")) == 0x0E
    # The D response to a pan query: pan 90.00°.
    assert encode(D, 1, Extended(const.OP_PAN_RESPONSE, 0x23, 0x28)).hex(" ") == (
        "ff 01 00 59 23 28 a5"
    )


@pytest.mark.parametrize("address", [0, 256, -1])
def test_addresses_out_of_range_are_refused(address: int) -> None:
    for protocol in Protocol:
        with pytest.raises(ValueError, match="addresses"):
            encode(protocol, address, STOP)


def test_bad_commands_are_refused() -> None:
    with pytest.raises(ValueError, match="odd"):
        encode(D, 1, Extended(0x04))
    with pytest.raises(ValueError, match="speeds"):
        encode(D, 1, Motion(pan=1, pan_speed=0x40))
    with pytest.raises(ValueError, match="direction"):
        encode(P, 1, Motion(pan=2))


def test_parser_reports_bad_checksums_and_resynchronises() -> None:
    parser = FrameParser(D)
    good = encode(D, 3, Motion(pan=1, pan_speed=9))
    bad = bytearray(good)
    bad[-1] ^= 0x01
    items = parser.feed(b"\x12\x34" + bytes(bad) + good)
    assert items[0] == Dropped(ParseError.FRAMING, b"\x12\x34")
    assert items[1] == Dropped(ParseError.CHECKSUM, bytes(bad))
    assert items[-1] == Frame(3, Motion(pan=1, pan_speed=9))
    assert not any(isinstance(i, Frame) for i in items[1:-1])


def test_parser_assembles_frames_split_across_reads() -> None:
    parser = FrameParser(P)
    frame = encode(P, 7, Extended(const.OP_GOTO_PRESET, 0, 12))
    assert parser.feed(frame[:3]) == []
    assert parser.feed(frame[3:] + frame[:1]) == [Frame(7, Extended(const.OP_GOTO_PRESET, 0, 12))]
    assert parser.feed(frame[1:]) == [Frame(7, Extended(const.OP_GOTO_PRESET, 0, 12))]


def test_pelco_p_needs_its_etx() -> None:
    frame = bytearray(encode(P, 1, STOP))
    frame[6] = 0x00
    frame[7] = p_checksum(bytes(frame[:7]))
    (item, *_) = FrameParser(P).feed(bytes(frame))
    assert item == Dropped(ParseError.FRAMING, bytes(frame))


def test_speed_and_direction_from_normalised_velocity() -> None:
    assert [speed(v) for v in (0, 0.001, 0.5, -0.5, 1, 2)] == [0, 1, 32, 32, 0x3F, 0x3F]


def test_position_units() -> None:
    assert pan_units(0.5) == 9000 and pan_units(-0.5) == 27000 and pan_units(0) == 0
    assert tilt_units(-0.5) == 31500 and tilt_units(1) == 9000
    assert zoom_units(1) == 65535 and zoom_units(-3) == 0
    for value in (-0.75, -0.25, 0.0, 0.5):
        assert pan_from_units(pan_units(value)) == pytest.approx(value)
        assert tilt_from_units(tilt_units(value)) == pytest.approx(value)
    assert zoom_from_units(zoom_units(0.25)) == pytest.approx(0.25, abs=1e-4)
