"""The part of an SDP (RFC 8866) that a recorder needs: each medium's codec and parameters.

Only what RTSP cameras announce is read: ``m=``, ``a=rtpmap``, ``a=fmtp``,
``a=control`` and ``a=framerate``, per medium; everything else is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

#: RFC 3551 static payload types a camera may use without an ``a=rtpmap``.
_STATIC: dict[int, tuple[str, int, int]] = {0: ("PCMU", 8000, 1), 8: ("PCMA", 8000, 1)}
_MAX_FPS = 240


@dataclass(slots=True)
class Media:
    """One ``m=`` section: its first payload type and what the attributes say about it.

    :param encoding: the rtpmap encoding name, upper case (``H264``, ``MPEG4-GENERIC`` …).
    :param fmtp: the format parameters, names lower case.
    """

    kind: str
    payload_type: int
    encoding: str = ""
    clock_rate: int = 0
    channels: int = 1
    fmtp: dict[str, str] = field(default_factory=dict)
    control: str = ""
    frame_rate: Fraction | None = None


def parse(text: str) -> list[Media]:
    """The media of an SDP, in order; sections without a payload type are skipped."""
    media: list[Media] = []
    current: Media | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("m="):
            current = _media_line(line[2:])
            if current is not None:
                media.append(current)
        elif line.startswith("a=") and current is not None:
            name, _, value = line[2:].partition(":")
            _attribute(current, name.strip().lower(), value.strip())
    for m in media:
        if not m.encoding and m.payload_type in _STATIC:
            m.encoding, m.clock_rate, m.channels = _STATIC[m.payload_type]
    return media


def _media_line(value: str) -> Media | None:
    parts = value.split()
    if len(parts) < 4 or not parts[3].isdigit():
        return None
    return Media(kind=parts[0].lower(), payload_type=int(parts[3]))


def _attribute(media: Media, name: str, value: str) -> None:
    if name == "control":
        media.control = value
    elif name == "framerate":
        media.frame_rate = _frame_rate(value)
    elif name in ("rtpmap", "fmtp"):
        pt, _, rest = value.partition(" ")
        if not pt.isdigit() or int(pt) != media.payload_type:
            return
        if name == "rtpmap":
            _rtpmap(media, rest.strip())
        else:
            media.fmtp = format_parameters(rest)


def _rtpmap(media: Media, value: str) -> None:
    """``H264/90000`` or ``MPEG4-GENERIC/16000/2``."""
    parts = value.split("/")
    media.encoding = parts[0].strip().upper()
    if len(parts) > 1 and parts[1].strip().isdigit():
        media.clock_rate = int(parts[1])
    if len(parts) > 2 and parts[2].strip().isdigit():
        media.channels = max(1, int(parts[2]))


def format_parameters(value: str) -> dict[str, str]:
    """``a=fmtp`` parameters: ``name=value`` pairs separated by ``;``, names lower case."""
    found: dict[str, str] = {}
    for item in value.split(";"):
        name, equals, text = item.strip().partition("=")
        if equals and name:
            found[name.strip().lower()] = text.strip()
    return found


def _frame_rate(value: str) -> Fraction | None:
    try:
        rate = Fraction(value.strip())
    except (ValueError, ZeroDivisionError):
        return None
    return rate if 0 < rate <= _MAX_FPS else None
