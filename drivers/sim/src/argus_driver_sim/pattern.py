"""The simulated picture, drawn with NumPy straight into YUV 4:2:0 planes.

A fixed background (colour bars over a grey band and a luma ramp, or for a PTZ
channel a viewport of a larger synthetic scene), a box that crosses the band
once per loop, the channel name and a clock. Because the clip is replayed, the
clock shows the *position in the loop* (``LOOP mm:ss.cc``), not the time of day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from argus_driver_sim import font

Plane = npt.NDArray[np.uint8]

#: 75 % colour bars in BT.601 limited range (Y, U, V): white, yellow, cyan,
#: green, magenta, red, blue.
_BARS: tuple[tuple[int, int, int], ...] = (
    (180, 128, 128),
    (162, 44, 142),
    (131, 156, 44),
    (112, 72, 58),
    (84, 184, 198),
    (65, 100, 212),
    (35, 212, 114),
)
_WHITE = 235
_BLACK = 16
_BAND = 40
_NEUTRAL = 128
#: Scene units per unit of normalised pan/tilt, and the viewport width at zoom 0.
_SCENE_PAN_SPAN = 2.0
_SCENE_TILT_SPAN = 1.5
_VIEW_WIDTH = 2.0
_MAX_MAGNIFICATION = 4.0
#: Sensor-like grain (± levels) cycled over a few precomputed fields: without it the
#: static pattern compresses to a fraction of the profile's bit rate.
_GRAIN = 2
_GRAIN_FIELDS = 7
_GRAIN_SEED = 20240601


@dataclass(frozen=True, slots=True)
class View:
    """A (quantised) PTZ position the picture is rendered at."""

    pan: float = 0.0
    tilt: float = 0.0
    zoom: float = 0.0

    def label(self) -> str:
        return f"P{self.pan:+.2f} T{self.tilt:+.2f} Z{self.zoom:.2f}"


def planes(frame: Plane, width: int, height: int) -> tuple[Plane, Plane, Plane]:
    """Views of the Y, U and V planes of a ``(height * 3 // 2, width)`` yuv420p array."""
    quarter = height // 4
    luma = frame[:height]
    cb = frame[height : height + quarter].reshape(height // 2, width // 2)
    cr = frame[height + quarter : height + 2 * quarter].reshape(height // 2, width // 2)
    return luma, cb, cr


def clock_label(index: int, fps: int) -> str:
    """The loop position of frame ``index`` as drawn into the picture."""
    centis = index * 100 // fps
    seconds, cs = divmod(centis, 100)
    minutes, seconds = divmod(seconds, 60)
    return f"LOOP {minutes:02d}:{seconds:02d}.{cs:02d}"


class Pattern:
    """Draws frame ``index`` of a clip; the returned array is reused by the next call."""

    def __init__(
        self,
        width: int,
        height: int,
        *,
        fps: int,
        loop_frames: int,
        name: str,
        view: View | None = None,
    ) -> None:
        if width % 4 or height % 4:
            raise ValueError(f"picture size must be a multiple of 4, got {width}x{height}")
        self.width, self.height, self.fps, self.loop_frames = width, height, fps, loop_frames
        self.scale = max(2, height // 150)
        self._band = _band_rows(height)
        self._base = _background(width, height, view)
        self._draw_label(self._base, font.render(name, self.scale), self._margin, self._margin)
        if view is not None:
            label_y = self._margin + 10 * self.scale
            self._draw_label(
                self._base, font.render(view.label(), self.scale), self._margin, label_y
            )
        self._frame = self._base.copy()
        self._grain = _grain_fields(self._base.shape)

    @property
    def _margin(self) -> int:
        return _even(4 * self.scale)

    def frame(self, index: int) -> Plane:
        """Frame ``index`` (taken modulo the loop length) as a yuv420p array."""
        index %= self.loop_frames
        frame = self._frame
        np.copyto(frame, self._base)
        self._draw_box(frame, index)
        text = font.render(clock_label(index, self.fps), self.scale)
        bottom = self.height - self._margin - text.shape[0]
        self._draw_label(frame, text, self._margin, _even(bottom))
        # Every drawn level lies in 16..240, so adding the grain modulo 256 never wraps.
        np.add(frame, self._grain[index % len(self._grain)], out=frame)
        return frame

    def _draw_box(self, frame: Plane, index: int) -> None:
        top, bottom = self._band
        size = _even(bottom - top)
        travel = self.width + size
        left = _even(index * travel // self.loop_frames - size)
        x0, x1 = max(0, left), min(self.width, left + size)
        if x1 <= x0:
            return
        luma, cb, cr = planes(frame, self.width, self.height)
        luma[top:bottom, x0:x1] = _WHITE
        cb[top // 2 : bottom // 2, x0 // 2 : x1 // 2] = _NEUTRAL
        cr[top // 2 : bottom // 2, x0 // 2 : x1 // 2] = _NEUTRAL

    def _draw_label(self, frame: Plane, mask: font.Mask, x: int, y: int) -> None:
        """Write ``mask`` white on a black box whose top-left corner is (``x``, ``y``)."""
        pad = _even(self.scale)
        x0, y0 = max(0, x - pad), max(0, y - pad)
        x1 = min(self.width, x + mask.shape[1] + pad)
        y1 = min(self.height, y + mask.shape[0] + pad)
        luma, cb, cr = planes(frame, self.width, self.height)
        luma[y0:y1, x0:x1] = _BLACK
        cb[y0 // 2 : (y1 + 1) // 2, x0 // 2 : (x1 + 1) // 2] = _NEUTRAL
        cr[y0 // 2 : (y1 + 1) // 2, x0 // 2 : (x1 + 1) // 2] = _NEUTRAL
        height = min(mask.shape[0], self.height - y)
        width = min(mask.shape[1], self.width - x)
        if height > 0 and width > 0:
            region = luma[y : y + height, x : x + width]
            region[mask[:height, :width]] = _WHITE


def _even(value: int) -> int:
    return value - value % 2


def _grain_fields(shape: tuple[int, ...]) -> list[Plane]:
    """Deterministic noise fields in -_GRAIN.._GRAIN, stored modulo 256."""
    rng = np.random.default_rng(_GRAIN_SEED)
    return [
        rng.integers(-_GRAIN, _GRAIN + 1, size=shape, dtype=np.int16).astype(np.uint8)
        for _ in range(_GRAIN_FIELDS)
    ]


def _band_rows(height: int) -> tuple[int, int]:
    """Rows of the grey band the moving box crosses."""
    top = _even(height * 7 // 12)
    return top, top + _even(height // 6)


def _background(width: int, height: int, view: View | None) -> Plane:
    frame = np.empty((height * 3 // 2, width), dtype=np.uint8)
    if view is None:
        _draw_bars(frame, width, height)
    else:
        _draw_scene(frame, width, height, view)
    return frame


def _draw_bars(frame: Plane, width: int, height: int) -> None:
    luma, cb, cr = planes(frame, width, height)
    band_top, band_bottom = _band_rows(height)
    for i, (y, u, v) in enumerate(_BARS):
        x0, x1 = _even(i * width // len(_BARS)), _even((i + 1) * width // len(_BARS))
        if i == len(_BARS) - 1:
            x1 = width
        luma[:band_top, x0:x1] = y
        cb[: band_top // 2, x0 // 2 : x1 // 2] = u
        cr[: band_top // 2, x0 // 2 : x1 // 2] = v
    luma[band_top:band_bottom] = _BAND
    ramp = np.linspace(_BLACK, _WHITE, width).astype(np.uint8)
    luma[band_bottom:] = ramp
    cb[band_top // 2 :] = _NEUTRAL
    cr[band_top // 2 :] = _NEUTRAL


def _scene_coordinates(
    width: int, height: int, view: View
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Scene coordinates (x right, y up) of every pixel centre of the viewport."""
    view_width = _VIEW_WIDTH / (1.0 + (_MAX_MAGNIFICATION - 1.0) * view.zoom)
    view_height = view_width * height / width
    xs = view.pan * _SCENE_PAN_SPAN + ((np.arange(width) + 0.5) / width - 0.5) * view_width
    ys = view.tilt * _SCENE_TILT_SPAN - ((np.arange(height) + 0.5) / height - 0.5) * view_height
    return np.meshgrid(xs, ys)


def _draw_scene(frame: Plane, width: int, height: int, view: View) -> None:
    """A procedural scene: a diagonal luma slope, a grid, rings round the origin, hues."""
    luma, cb, cr = planes(frame, width, height)
    sx, sy = _scene_coordinates(width, height, view)
    level = 110.0 + 22.0 * sx + 14.0 * sy
    grid = (np.mod(sx * 4.0, 1.0) < 0.04) | (np.mod(sy * 4.0, 1.0) < 0.04)
    rings = np.mod(np.hypot(sx, sy) * 2.0, 1.0) < 0.05
    level = np.where(grid, 230.0, np.where(rings, 20.0, level))
    luma[:] = np.clip(level, _BLACK, _WHITE).astype(np.uint8)
    cx, cy = sx[::2, ::2], sy[::2, ::2]
    cb[:] = np.clip(128.0 + 70.0 * np.sin(1.9 * cx + 0.7 * cy), 16, 240).astype(np.uint8)
    cr[:] = np.clip(128.0 + 70.0 * np.cos(1.3 * cy - 0.9 * cx), 16, 240).astype(np.uint8)
