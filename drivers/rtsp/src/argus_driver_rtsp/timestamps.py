"""The SDK's timestamps from FFmpeg's: never missing, never going back, mapped to UTC.

What FFmpeg's RTSP demuxer gives, and what is done about it:

- The first packet (the IDR frame) has no ``pts`` and no ``dts``, and with the
  short probe the next few have a ``pts`` but no ``dts``: the missing values
  continue the track by one packet duration.
- When the first RTCP sender report arrives, FFmpeg re-maps the RTP timestamps
  onto the NTP timeline, and cameras reset their RTP clock when their encoder
  restarts: ``dts`` may step back, or forward far more than the time that
  passed. Such a step re-bases the track to continue one packet after its last
  one; small steps forward (lost packets) are kept.

Wall-clock time is read from the host clock once per connection, at its first
packet, and then advanced by media time only (:class:`WallClock`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from fractions import Fraction

from argus_driver_rtsp.const import MAX_TIMESTAMP_LEAD
from argus_sdk import Clock


@dataclass(frozen=True, slots=True)
class Placed:
    """Where a packet goes on its track's timeline; ``rebased`` if a jump was removed."""

    pts: int
    dts: int
    duration: int
    rebased: bool


class TrackTimeline:
    """Timestamps of one track of one connection, in the track's time base.

    :param default_duration: ticks of one packet when FFmpeg gives no duration
        (one frame at the announced rate; one AAC frame; 20 ms of G.711).
    """

    def __init__(self, time_base: Fraction, default_duration: int) -> None:
        self._time_base = time_base
        self._rate = float(1 / time_base)  # ticks per second, for the per-packet check
        self.ticks_per_second = round(1 / time_base)
        self._step = max(1, default_duration)
        self._offset = 0
        self._last_dts: int | None = None
        self._last_arrival = 0.0

    def place(self, pts: int | None, dts: int | None, duration: int, arrival: float) -> Placed:
        """Timestamps for a packet that FFmpeg stamped ``pts``/``dts`` and that
        arrived at ``arrival`` (monotonic seconds)."""
        step = duration if duration > 0 else self._step
        last = self._last_dts
        rebased = False
        if dts is None and (pts is None or last is not None):
            new_dts = 0 if last is None else last + step
            new_pts = new_dts if pts is None else pts + self._offset
        else:
            raw = dts if dts is not None else pts
            assert raw is not None
            new_dts = raw + self._offset
            if last is not None and not self._plausible(new_dts - last, arrival):
                self._offset += last + step - new_dts
                new_dts, rebased = last + step, True
            new_pts = new_dts if pts is None else pts + self._offset
        if last is not None and 0 < new_dts - last <= 10 * self._step:
            self._step = new_dts - last
        self._last_dts, self._last_arrival = new_dts, arrival
        return Placed(max(new_pts, new_dts), new_dts, max(duration, 0), rebased)

    def _plausible(self, advance: int, arrival: float) -> bool:
        """A ``dts`` advance is real if positive and not ahead of the time that passed."""
        if advance <= 0:
            return False
        return advance <= (arrival - self._last_arrival + MAX_TIMESTAMP_LEAD) * self._rate


def log_rebase(log: logging.Logger, where: str, codec: str, count: int) -> None:
    """Report a track's timestamp jump: the first at INFO, the rest at DEBUG."""
    log.log(
        logging.INFO if count == 1 else logging.DEBUG,
        "%s: %s timestamps jumped (%d times on this connection); the track continues "
        "without the jump",
        where,
        codec,
        count,
    )


class WallClock:
    """Media time → UTC for one connection: the host clock is read once, at the
    first packet, so ``wall_time`` is monotonic even if the host clock steps.

    Per packet it does float arithmetic only (a track's time base is converted
    once): well within a microsecond for any media time a connection reaches.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._origin: tuple[float, float] | None = None
        self._seconds: dict[int, tuple[Fraction, float]] = {}

    def wall_time(self, pts: int, time_base: Fraction) -> float:
        known = self._seconds.get(id(time_base))
        if known is None or known[0] is not time_base:
            known = self._seconds[id(time_base)] = (time_base, float(time_base))
        media = pts * known[1]
        if self._origin is None:
            self._origin = (self._clock.now(), media)
        wall, start = self._origin
        return wall + (media - start)
