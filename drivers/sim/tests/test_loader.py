from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from argus_driver_sim import clip
from argus_driver_sim.clip import ClipKey, ClipStore, VideoKey
from argus_driver_sim.encode import EncodedTrack
from argus_driver_sim.loader import BackgroundLoader

LOG = logging.getLogger("test")


def key(name: str) -> VideoKey:
    return VideoKey(name, 320, 180, 10, 2, 200_000)


def test_builds_in_the_background_and_keeps_only_the_newest_request(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = threading.Event()
    built: list[ClipKey] = []
    real = clip.generate

    def slow(k: ClipKey) -> EncodedTrack:
        gate.wait(10)
        built.append(k)
        return real(k)

    monkeypatch.setattr(clip, "generate", slow)
    store = ClipStore(cache_dir, LOG)
    loader = BackgroundLoader(store, LOG)
    loader.request(1, key("A"))
    assert not loader.wait_idle(0.05)  # "A" is being built, held at the gate
    loader.request(1, key("B"))
    loader.request(1, key("C"))  # replaces "B" for requester 1
    gate.set()
    assert loader.wait_idle(30)
    assert built == [key("A"), key("C")]
    assert store.peek(key("C")) is not None
    loader.close()
    loader.close()


def test_a_failed_build_is_logged_and_not_retried(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[ClipKey] = []

    def broken(k: ClipKey) -> EncodedTrack:
        calls.append(k)
        raise RuntimeError("encoder exploded")

    monkeypatch.setattr(clip, "generate", broken)
    loader = BackgroundLoader(ClipStore(cache_dir, LOG), LOG)
    with caplog.at_level(logging.ERROR):
        loader.request(1, key("X"))
        assert loader.wait_idle(10)
        loader.request(1, key("X"))
        assert loader.wait_idle(10)
    assert calls == [key("X")]
    assert "encoder exploded" in caplog.text
    loader.close()
