"""A tiny built-in 5x7 bitmap font, so the driver needs no font files.

Each glyph is seven rows of five cells, ``#`` set and ``.`` clear. Lower-case
letters are drawn as capitals; a character without a glyph is drawn as ``?``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt

GLYPH_WIDTH = 5
GLYPH_HEIGHT = 7
#: Blank columns between two glyphs, in font cells.
SPACING = 1

_GLYPHS: dict[str, str] = {
    " ": "..... ..... ..... ..... ..... ..... .....",
    "0": ".###. #...# #..## #.#.# ##..# #...# .###.",
    "1": "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.",
    "2": ".###. #...# ....# ...#. ..#.. .#... #####",
    "3": "##### ...#. ..#.. ...#. ....# #...# .###.",
    "4": "...#. ..##. .#.#. #..#. ##### ...#. ...#.",
    "5": "##### #.... ####. ....# ....# #...# .###.",
    "6": "..##. .#... #.... ####. #...# #...# .###.",
    "7": "##### ....# ...#. ..#.. .#... .#... .#...",
    "8": ".###. #...# #...# .###. #...# #...# .###.",
    "9": ".###. #...# #...# .#### ....# ...#. .##..",
    "A": ".###. #...# #...# ##### #...# #...# #...#",
    "B": "####. #...# #...# ####. #...# #...# ####.",
    "C": ".###. #...# #.... #.... #.... #...# .###.",
    "D": "###.. #..#. #...# #...# #...# #..#. ###..",
    "E": "##### #.... #.... ####. #.... #.... #####",
    "F": "##### #.... #.... ####. #.... #.... #....",
    "G": ".###. #...# #.... #.### #...# #...# .####",
    "H": "#...# #...# #...# ##### #...# #...# #...#",
    "I": ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
    "J": "..### ...#. ...#. ...#. ...#. #..#. .##..",
    "K": "#...# #..#. #.#.. ##... #.#.. #..#. #...#",
    "L": "#.... #.... #.... #.... #.... #.... #####",
    "M": "#...# ##.## #.#.# #.#.# #...# #...# #...#",
    "N": "#...# #...# ##..# #.#.# #..## #...# #...#",
    "O": ".###. #...# #...# #...# #...# #...# .###.",
    "P": "####. #...# #...# ####. #.... #.... #....",
    "Q": ".###. #...# #...# #...# #.#.# #..#. .##.#",
    "R": "####. #...# #...# ####. #.#.. #..#. #...#",
    "S": ".#### #.... #.... .###. ....# ....# ####.",
    "T": "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
    "U": "#...# #...# #...# #...# #...# #...# .###.",
    "V": "#...# #...# #...# #...# #...# .#.#. ..#..",
    "W": "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.",
    "X": "#...# #...# .#.#. ..#.. .#.#. #...# #...#",
    "Y": "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..",
    "Z": "##### ....# ...#. ..#.. .#... #.... #####",
    ".": "..... ..... ..... ..... ..... .##.. .##..",
    ",": "..... ..... ..... ..... .##.. ..#.. .#...",
    ":": "..... .##.. .##.. ..... .##.. .##.. .....",
    "-": "..... ..... ..... ##### ..... ..... .....",
    "+": "..... ..#.. ..#.. ##### ..#.. ..#.. .....",
    "_": "..... ..... ..... ..... ..... ..... #####",
    "=": "..... ..... ##### ..... ##### ..... .....",
    "/": "....# ....# ...#. ..#.. .#... #.... #....",
    "#": ".#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.",
    "(": "...#. ..#.. .#... .#... .#... ..#.. ...#.",
    ")": ".#... ..#.. ...#. ...#. ...#. ..#.. .#...",
    "[": ".###. .#... .#... .#... .#... .#... .###.",
    "]": ".###. ...#. ...#. ...#. ...#. ...#. .###.",
    "'": "..#.. ..#.. .#... ..... ..... ..... .....",
    "!": "..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#..",
    "?": ".###. #...# ....# ...#. ..#.. ..... ..#..",
    "&": ".##.. #..#. #.#.. .#... #.#.# #..#. .##.#",
    "*": "..... ..#.. #.#.# .###. #.#.# ..#.. .....",
    "@": ".###. #...# #.### #.#.# #.### #.... .####",
}

Mask = npt.NDArray[np.bool_]


def characters() -> frozenset[str]:
    """Every character the font draws as itself (lower case maps to upper case)."""
    return frozenset(_GLYPHS)


@lru_cache(maxsize=256)
def glyph(char: str) -> Mask:
    """The 7x5 cell mask of ``char`` (read-only)."""
    rows = _GLYPHS.get(char.upper(), _GLYPHS["?"]).split()
    mask = np.array([[cell == "#" for cell in row] for row in rows], dtype=np.bool_)
    mask.setflags(write=False)
    return mask


@lru_cache(maxsize=512)
def _scaled_glyph(char: str, scale: int) -> Mask:
    mask = np.repeat(np.repeat(glyph(char), scale, axis=0), scale, axis=1)
    mask.setflags(write=False)
    return mask


def text_size(text: str, scale: int) -> tuple[int, int]:
    """``(width, height)`` in pixels of ``text`` drawn at ``scale`` pixels per cell."""
    if not text:
        return 0, GLYPH_HEIGHT * scale
    cells = len(text) * (GLYPH_WIDTH + SPACING) - SPACING
    return cells * scale, GLYPH_HEIGHT * scale


def render(text: str, scale: int) -> Mask:
    """A boolean mask of ``text`` on one line, ``scale`` pixels per font cell."""
    width, height = text_size(text, scale)
    mask = np.zeros((height, width), dtype=np.bool_)
    step = (GLYPH_WIDTH + SPACING) * scale
    for i, char in enumerate(text):
        x = i * step
        mask[:, x : x + GLYPH_WIDTH * scale] = _scaled_glyph(char, scale)
    return mask
