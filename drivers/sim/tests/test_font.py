from __future__ import annotations

import numpy as np

from argus_driver_sim import font


def test_every_glyph_is_seven_rows_of_five_cells() -> None:
    for char in font.characters():
        assert font.glyph(char).shape == (font.GLYPH_HEIGHT, font.GLYPH_WIDTH), char


def test_digits_and_letters_are_distinct() -> None:
    drawn = {c: font.glyph(c).tobytes() for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
    assert len(set(drawn.values())) == len(drawn)


def test_lower_case_is_drawn_as_upper_case_and_unknown_as_question_mark() -> None:
    assert np.array_equal(font.glyph("a"), font.glyph("A"))
    assert np.array_equal(font.glyph("\u00e9"), font.glyph("?"))
    assert not font.glyph(" ").any()


def test_render_places_scaled_glyphs_with_spacing() -> None:
    mask = font.render("1A", 3)
    assert mask.shape == font.text_size("1A", 3)[::-1] == (21, 33)
    one = np.repeat(np.repeat(font.glyph("1"), 3, axis=0), 3, axis=1)
    a = np.repeat(np.repeat(font.glyph("A"), 3, axis=0), 3, axis=1)
    assert np.array_equal(mask[:, :15], one)
    assert not mask[:, 15:18].any()
    assert np.array_equal(mask[:, 18:], a)
