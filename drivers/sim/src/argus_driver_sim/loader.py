"""Building clips in the background, so a replay never waits for the encoder.

Used for PTZ: when the position changes, each open stream asks for the clip of
its new view and keeps replaying the old one until the clip is in memory. Only
the newest request of each requester is kept, so a long continuous move does not
queue up every position it passed through.
"""

from __future__ import annotations

import logging
import threading

import av

from argus_driver_sim.clip import ClipKey, ClipStore


class BackgroundLoader:
    """One worker thread per driver; started on the first request, stopped by :meth:`close`."""

    def __init__(self, store: ClipStore, log: logging.Logger) -> None:
        self._store = store
        self._log = log
        self._cond = threading.Condition()
        self._pending: dict[int, ClipKey] = {}
        self._failed: set[ClipKey] = set()
        self._busy = False
        self._closed = False
        self._thread: threading.Thread | None = None

    def request(self, requester: int, key: ClipKey) -> None:
        """Ask for ``key`` on behalf of ``requester``, replacing its earlier request."""
        with self._cond:
            if self._closed or key in self._failed:
                return
            self._pending[requester] = key
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="argus-sim-clip-loader", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait (real time) until no request is pending or being built; ``True`` if idle."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._pending and not self._busy, timeout)

    def close(self) -> None:
        """Stop the worker after the clip it is building, if any. Idempotent."""
        with self._cond:
            self._closed = True
            self._pending.clear()
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _next(self) -> ClipKey | None:
        with self._cond:
            self._busy = False
            self._cond.notify_all()
            self._cond.wait_for(lambda: self._closed or bool(self._pending))
            if self._closed:
                return None
            _, key = self._pending.popitem()
            self._busy = True
            return key

    def _run(self) -> None:
        while (key := self._next()) is not None:
            try:
                self._store.get(key)
            except (av.FFmpegError, OSError, RuntimeError, ValueError):
                self._log.exception("cannot build simulated clip %s; keeping the old view", key)
                with self._cond:
                    self._failed.add(key)
