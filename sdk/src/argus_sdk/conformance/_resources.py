"""Threads and open file descriptors of this process, to see what ``close()`` left behind."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

_FD_DIR = Path("/proc/self/fd")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The threads alive and the file descriptors open at one moment."""

    threads: frozenset[threading.Thread]
    fds: dict[int, str]

    @classmethod
    def take(cls) -> Snapshot:
        return cls(frozenset(t for t in threading.enumerate() if t.is_alive()), _open_fds())

    def leaks_since(self, before: Snapshot) -> list[str]:
        """What is open now and was not in ``before``, described for a person."""
        leaks = [
            f"thread {t.name!r} (daemon={t.daemon}, target={_target(t)})"
            for t in sorted(self.threads - before.threads, key=lambda t: t.name)
        ]
        for fd, what in sorted(self.fds.items()):
            if before.fds.get(fd) != what:
                leaks.append(f"file descriptor {fd} → {what}")
        return leaks


def _open_fds() -> dict[int, str]:
    """fd → what it points at (``socket:[…]``, a path, ``pipe:[…]``); empty off Linux."""
    if not _FD_DIR.is_dir():
        return {}
    fds: dict[int, str] = {}
    for entry in _FD_DIR.iterdir():
        try:
            fds[int(entry.name)] = str(entry.readlink())
        except OSError:
            continue  # the listing's own descriptor, already closed
    return fds


def _target(thread: threading.Thread) -> str:
    target = getattr(thread, "_target", None)
    return getattr(target, "__qualname__", repr(target))


def leaks_after(before: Snapshot, grace: float) -> list[str]:
    """Wait up to ``grace`` seconds for the process to return to ``before``; what is left."""
    deadline = time.monotonic() + grace
    while True:
        leaks = Snapshot.take().leaks_since(before)
        if not leaks or time.monotonic() >= deadline:
            return leaks
        time.sleep(0.05)
