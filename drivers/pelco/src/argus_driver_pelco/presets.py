"""Which presets each dome has, kept in the device's data folder.

A Pelco dome cannot list its presets, so the driver remembers the numbers it set
(and forgets those it cleared) in ``<context.data_dir>/presets.json``, keyed by
dome address: ``{"1": [1, 4], "2": []}``. A missing or damaged file means "none
known"; a file that cannot be written costs only the memory across restarts.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

FILE_NAME = "presets.json"


class PresetBook:
    """The preset numbers of the domes of one device. Not thread-safe: the device's lock
    guards it."""

    def __init__(self, folder: Path, log: logging.Logger) -> None:
        self._path = folder / FILE_NAME
        self._log = log
        self._known: dict[int, set[int]] = self._load()

    def of(self, address: int) -> tuple[int, ...]:
        return tuple(sorted(self._known.get(address, ())))

    def add(self, address: int, number: int) -> None:
        numbers = self._known.setdefault(address, set())
        if number not in numbers:
            numbers.add(number)
            self._save()

    def discard(self, address: int, number: int) -> None:
        numbers = self._known.get(address, set())
        if number in numbers:
            numbers.discard(number)
            self._save()

    def _load(self) -> dict[int, set[int]]:
        try:
            raw = json.loads(self._path.read_text(encoding="utf-8"))
            return {int(a): {int(n) for n in numbers} for a, numbers in raw.items()}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            self._log.warning("ignoring the preset list %s: %s", self._path, exc)
            return {}

    def _save(self) -> None:
        data = {str(a): sorted(n) for a, n in sorted(self._known.items())}
        tmp = self._path.with_suffix(".tmp")
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(data), encoding="utf-8")
            tmp.replace(self._path)
        except OSError as exc:
            self._log.warning("cannot keep the preset list in %s: %s", self._path, exc)
