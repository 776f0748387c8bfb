"""Pelco-D and Pelco-P frames: building, checksums and incremental parsing.

Both protocols carry the same information in different bit layouts:

* **Pelco-D**, 7 bytes: ``FF addr cmd1 cmd2 data1 data2 sum`` where ``sum`` is
  bytes 2–6 added modulo 256 and ``addr`` is the dome's address (1–255).
* **Pelco-P**, 8 bytes: ``A0 addr data1 data2 data3 data4 AF xor`` where ``xor``
  is bytes 1–7 XORed and ``addr`` is the dome's address minus one.

A frame whose second command word (D ``cmd2``, P ``data2``) is odd is an
*extended* command (presets, aux, positioning, queries); otherwise it is a motion
command whose bits say which way to pan, tilt, zoom, focus and move the iris,
with the pan and tilt speeds in the two data bytes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from argus_driver_pelco import const


class Protocol(enum.StrEnum):
    D = "d"
    P = "p"


@dataclass(frozen=True, slots=True)
class Motion:
    """A motion command. Directions are -1, 0 or 1; speeds 0..0x3F.

    ``pan`` 1 is right, ``tilt`` 1 is up, ``zoom`` 1 is tele, ``focus`` 1 is far,
    ``iris`` 1 is open. All zero is *stop*.
    """

    pan: int = 0
    tilt: int = 0
    zoom: int = 0
    focus: int = 0
    iris: int = 0
    pan_speed: int = 0
    tilt_speed: int = 0


STOP = Motion()


@dataclass(frozen=True, slots=True)
class Extended:
    """An extended command (or, from a Pelco-D dome, an extended response)."""

    opcode: int
    data1: int = 0
    data2: int = 0

    @property
    def value(self) -> int:
        """``data1`` and ``data2`` as one 16-bit number (positions, responses)."""
        return self.data1 << 8 | self.data2


Command = Motion | Extended


@dataclass(frozen=True, slots=True)
class Frame:
    """A parsed frame: the dome address (1-based for both protocols) and its command."""

    address: int
    command: Command


# Bit layouts: (D word, D bit) and (P word, P bit) for each direction.
_D_BITS = {
    ("focus", -1): (1, 0x01),
    ("iris", 1): (1, 0x02),
    ("iris", -1): (1, 0x04),
    ("focus", 1): (2, 0x80),
    ("zoom", -1): (2, 0x40),
    ("zoom", 1): (2, 0x20),
    ("tilt", -1): (2, 0x10),
    ("tilt", 1): (2, 0x08),
    ("pan", -1): (2, 0x04),
    ("pan", 1): (2, 0x02),
}
_P_BITS = {
    ("focus", 1): (1, 0x01),
    ("focus", -1): (1, 0x02),
    ("iris", 1): (1, 0x04),
    ("iris", -1): (1, 0x08),
    ("zoom", -1): (2, 0x40),
    ("zoom", 1): (2, 0x20),
    ("tilt", -1): (2, 0x10),
    ("tilt", 1): (2, 0x08),
    ("pan", -1): (2, 0x04),
    ("pan", 1): (2, 0x02),
}
_AXES = ("pan", "tilt", "zoom", "focus", "iris")


def _bits(protocol: Protocol) -> dict[tuple[str, int], tuple[int, int]]:
    return _D_BITS if protocol is Protocol.D else _P_BITS


def d_checksum(body: bytes) -> int:
    """Pelco-D: bytes 2–6 (address to data2) added modulo 256."""
    return sum(body) & 0xFF


def p_checksum(frame: bytes) -> int:
    """Pelco-P: bytes 1–7 (STX to ETX) XORed."""
    result = 0
    for b in frame:
        result ^= b
    return result


def _check_address(protocol: Protocol, address: int) -> None:
    if not 1 <= address <= 255:
        raise ValueError(f"Pelco-{protocol.value.upper()} addresses are 1..255, not {address}")


def _frame(protocol: Protocol, address: int, w1: int, w2: int, d1: int, d2: int) -> bytes:
    _check_address(protocol, address)
    for b in (w1, w2, d1, d2):
        if not 0 <= b <= 0xFF:
            raise ValueError(f"frame byte out of range: {b}")
    if protocol is Protocol.D:
        body = bytes((address, w1, w2, d1, d2))
        return bytes((const.D_SYNC, *body, d_checksum(body)))
    head = bytes((const.P_STX, address - 1, w1, w2, d1, d2, const.P_ETX))
    return head + bytes((p_checksum(head),))


def encode(protocol: Protocol, address: int, command: Command) -> bytes:
    """The frame that sends ``command`` to the dome at ``address`` (1..255).

    :raises ValueError: an address, direction, speed or data byte out of range.
    """
    if isinstance(command, Extended):
        if command.opcode % 2 == 0:
            raise ValueError(f"extended opcodes are odd, not {command.opcode:#04x}")
        return _frame(protocol, address, 0, command.opcode, command.data1, command.data2)
    words = [0, 0, 0]
    bits = _bits(protocol)
    for axis in _AXES:
        direction = getattr(command, axis)
        if direction not in (-1, 0, 1):
            raise ValueError(f"{axis} direction is -1, 0 or 1, not {direction}")
        if direction:
            word, bit = bits[(axis, direction)]
            words[word] |= bit
    for speed in (command.pan_speed, command.tilt_speed):
        if not 0 <= speed <= const.MAX_SPEED:
            raise ValueError(f"speeds are 0..{const.MAX_SPEED:#04x}, not {speed}")
    return _frame(protocol, address, words[1], words[2], command.pan_speed, command.tilt_speed)


def _decode_words(protocol: Protocol, w1: int, w2: int, d1: int, d2: int) -> Command:
    if w2 & 0x01:
        return Extended(w2, d1, d2)
    found = dict.fromkeys(_AXES, 0)
    for (axis, direction), (word, bit) in _bits(protocol).items():
        if (w1 if word == 1 else w2) & bit:
            # Both bits of one axis set: treat as no move on that axis.
            found[axis] = 0 if found[axis] else direction
    return Motion(pan_speed=d1, tilt_speed=d2, **found)


class ParseError(enum.StrEnum):
    """What the parser found wrong with bytes it had to drop."""

    CHECKSUM = "checksum"
    FRAMING = "framing"
    """Bytes that do not start a frame (noise, a partial frame, a missing ETX)."""


@dataclass(frozen=True, slots=True)
class Dropped:
    reason: ParseError
    data: bytes


class FrameParser:
    """Splits a byte stream into frames of one protocol, resynchronising on errors.

    Feed it whatever the port delivers; :meth:`feed` returns, in order, the
    complete frames and the dropped bytes found so far. A frame with a wrong
    checksum is reported once and scanning resumes at its second byte, so a
    sync byte hidden inside it is not lost.
    """

    def __init__(self, protocol: Protocol) -> None:
        self.protocol = protocol
        self._buf = bytearray()
        self._length = const.D_FRAME_LEN if protocol is Protocol.D else const.P_FRAME_LEN
        self._sync = const.D_SYNC if protocol is Protocol.D else const.P_STX

    def feed(self, data: bytes) -> list[Frame | Dropped]:
        self._buf += data
        out: list[Frame | Dropped] = []
        while self._buf:
            start = self._buf.find(self._sync)
            if start < 0:
                out.append(Dropped(ParseError.FRAMING, bytes(self._buf)))
                self._buf.clear()
                break
            if start > 0:
                out.append(Dropped(ParseError.FRAMING, bytes(self._buf[:start])))
                del self._buf[:start]
            if len(self._buf) < self._length:
                break
            raw = bytes(self._buf[: self._length])
            result = self._parse(raw)
            if isinstance(result, Frame):
                del self._buf[: self._length]
            else:
                del self._buf[:1]
            out.append(result)
        return out

    def _parse(self, raw: bytes) -> Frame | Dropped:
        if self.protocol is Protocol.D:
            if d_checksum(raw[1:6]) != raw[6]:
                return Dropped(ParseError.CHECKSUM, raw)
            if raw[1] == 0:
                return Dropped(ParseError.FRAMING, raw)
            return Frame(raw[1], _decode_words(self.protocol, *raw[2:6]))
        if raw[6] != const.P_ETX:
            return Dropped(ParseError.FRAMING, raw)
        if p_checksum(raw[:7]) != raw[7]:
            return Dropped(ParseError.CHECKSUM, raw)
        return Frame(raw[1] + 1, _decode_words(self.protocol, *raw[2:6]))


def speed(velocity: float) -> int:
    """The speed byte for a normalised velocity: 0 for 0, else 1..0x3F by magnitude."""
    magnitude = min(1.0, abs(velocity))
    if magnitude == 0:
        return 0
    return max(1, round(magnitude * const.MAX_SPEED))


def direction(velocity: float) -> int:
    return 0 if velocity == 0 else (1 if velocity > 0 else -1)


def pan_units(pan: float) -> int:
    """Normalised pan -1..1 (−180°..+180°) as hundredths of a degree 0..35999."""
    return round(max(-1.0, min(1.0, pan)) * 18_000) % const.ANGLE_UNITS


def tilt_units(tilt: float) -> int:
    """Normalised tilt -1..1 (90° down .. 90° up) as hundredths of a degree 0..35999;
    angles below the horizon are sent as 36000 minus their size (45° down: 31500)."""
    return round(max(-1.0, min(1.0, tilt)) * 9_000) % const.ANGLE_UNITS


def zoom_units(zoom: float) -> int:
    """Normalised zoom 0..1 as 0..65535."""
    return round(max(0.0, min(1.0, zoom)) * const.ZOOM_UNITS)


def pan_from_units(units: int) -> float:
    degrees = (units % const.ANGLE_UNITS) / 100
    return (degrees - 360 if degrees > 180 else degrees) / 180


def tilt_from_units(units: int) -> float:
    degrees = (units % const.ANGLE_UNITS) / 100
    signed = degrees - 360 if degrees > 180 else degrees
    return max(-1.0, min(1.0, signed / 90))


def zoom_from_units(units: int) -> float:
    return max(0.0, min(1.0, units / const.ZOOM_UNITS))
