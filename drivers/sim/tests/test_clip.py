from __future__ import annotations

import logging
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from argus_driver_sim import cachefile, clip
from argus_driver_sim.clip import AudioKey, ClipStore, VideoKey, cache_path, forget_shared_clips
from argus_driver_sim.encode import EncodedTrack
from argus_driver_sim.pattern import View

KEY = VideoKey(name="T1", width=320, height=180, fps=10, loop_seconds=2, bit_rate=200_000)
LOG = logging.getLogger("test")


@pytest.fixture
def generated(monkeypatch: pytest.MonkeyPatch) -> list[clip.ClipKey]:
    """Records every clip actually encoded."""
    calls: list[clip.ClipKey] = []
    real = clip.generate

    def counting(key: clip.ClipKey) -> EncodedTrack:
        calls.append(key)
        return real(key)

    monkeypatch.setattr(clip, "generate", counting)
    return calls


def test_every_parameter_is_part_of_the_key(cache_dir: Path) -> None:
    variants: list[clip.ClipKey] = [
        KEY,
        VideoKey("T2", 320, 180, 10, 2, 200_000),
        VideoKey("T1", 640, 360, 10, 2, 200_000),
        VideoKey("T1", 320, 180, 25, 2, 200_000),
        VideoKey("T1", 320, 180, 10, 4, 200_000),
        VideoKey("T1", 320, 180, 10, 2, 300_000),
        VideoKey("T1", 320, 180, 10, 2, 200_000, View(0.125, 0.0, 0.0)),
        AudioKey(),
    ]
    assert len({cache_path(cache_dir, k) for k in variants}) == len(variants)
    assert cache_path(cache_dir, KEY) == cache_path(cache_dir, replace(KEY))
    assert cache_path(cache_dir, KEY).parent == cache_dir / "sim"


def test_clip_is_generated_once_then_read_from_disk(
    cache_dir: Path, generated: list[clip.ClipKey]
) -> None:
    first = ClipStore(cache_dir, LOG).get(KEY)
    assert cache_path(cache_dir, KEY).is_file()
    forget_shared_clips()
    again = ClipStore(cache_dir, LOG).get(KEY)
    assert generated == [KEY]
    assert again is not first
    assert again.track == first.track


def test_streams_share_one_clip_in_memory(cache_dir: Path, generated: list[clip.ClipKey]) -> None:
    results: list[clip.Clip] = []
    lock = threading.Lock()

    def get() -> None:
        c = ClipStore(cache_dir, LOG).get(KEY)
        with lock:
            results.append(c)

    threads = [threading.Thread(target=get) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert generated == [KEY]
    assert all(r is results[0] for r in results)
    assert ClipStore(cache_dir, LOG).peek(KEY) is results[0]


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_corrupt_cache_file_is_regenerated(
    cache_dir: Path,
    generated: list[clip.ClipKey],
    caplog: pytest.LogCaptureFixture,
    damage: str,
) -> None:
    good = ClipStore(cache_dir, LOG).get(KEY).track
    path = cache_path(cache_dir, KEY)
    data = path.read_bytes()
    path.write_bytes({"garbage": b"\x00" * 1000, "truncated": data[:-100], "empty": b""}[damage])
    forget_shared_clips()
    with caplog.at_level(logging.WARNING):
        regenerated = ClipStore(cache_dir, LOG).get(KEY)
    assert generated == [KEY, KEY]
    assert regenerated.track.packets == good.packets
    assert "regenerating damaged clip cache" in caplog.text
    assert cachefile.read(path, clip.key_token(KEY)) == good


def test_unwritable_cache_keeps_the_clip_in_memory(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with caplog.at_level(logging.WARNING):
        c = ClipStore(blocker, LOG).get(KEY)
    assert len(c) == 20
    assert "kept in memory only" in caplog.text


def test_audio_clip(cache_dir: Path) -> None:
    c = ClipStore(cache_dir, LOG).get(AudioKey())
    assert c.track.codec == "aac"
    assert len(c) == 375
    assert c.track.sample_rate == 48_000
