from __future__ import annotations

from pathlib import Path

import pytest

from argus_driver_sim import cachefile
from argus_driver_sim.encode import EncodedTrack

TRACK = EncodedTrack(
    codec="h264",
    extradata=b"\x00\x00\x00\x01\x67\x42",
    packets=(b"\x00\x00\x00\x01\x65key", b"\x00\x00\x00\x01\x41p1", b"\x00\x00\x00\x01\x41p2"),
    keyframes=(True, False, False),
    width=640,
    height=360,
)


def test_round_trip() -> None:
    assert cachefile.loads("k", cachefile.dumps("k", TRACK)) == TRACK


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[: len(b) // 2],
        lambda b: b[:-1],
        lambda b: b[:40] + bytes([b[40] ^ 0xFF]) + b[41:],
        lambda b: b"junk" + b[4:],
        lambda b: b"",
    ],
    ids=["half", "last-byte-missing", "flipped-byte", "bad-magic", "empty"],
)
def test_damage_is_detected(damage: object) -> None:
    data = cachefile.dumps("k", TRACK)
    with pytest.raises(cachefile.CorruptCacheFile):
        cachefile.loads("k", damage(data))  # type: ignore[operator]


def test_a_file_of_another_key_is_refused() -> None:
    with pytest.raises(cachefile.CorruptCacheFile, match="another clip"):
        cachefile.loads("other", cachefile.dumps("k", TRACK))


def test_write_is_atomic_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "clip.clip"
    cachefile.write(path, "k", TRACK)
    assert cachefile.read(path, "k") == TRACK
    assert [p.name for p in path.parent.iterdir()] == ["clip.clip"]


def test_read_of_a_missing_file_is_none(tmp_path: Path) -> None:
    assert cachefile.read(tmp_path / "nothing.clip", "k") is None
