"""Exports: a time range of cameras copied to MP4 files with a manifest of SHA-256 hashes.

No transcoding: each file is the stored fragments from the keyframe at or before
the start, with times counted from the file's start so any player shows 0:00.
The manifest records the absolute times, the node, and every file's hash for
evidence.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from argus_sdk import FragmentReader, StreamKey, TimeRange


@dataclass(frozen=True, slots=True)
class ExportFile:
    name: str
    camera: str
    stream: str
    bytes: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Manifest:
    id: str
    node: str
    created: str
    start: float
    end: float
    files: list[ExportFile] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # cameras with nothing recorded

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


#: ``progress(files_done, bytes_written)``, called as the export goes.
Progress = Callable[[int, int], None]


def new_export_id() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ-") + secrets.token_hex(4)


def export(
    reader: FragmentReader,
    keys: list[StreamKey],
    span: TimeRange,
    root: Path,
    node: str,
    *,
    export_id: str | None = None,
    progress: Progress | None = None,
) -> Manifest:
    """Write one MP4 per stream under ``root/<export id>/`` and its ``manifest.json``."""
    export_id = export_id or new_export_id()
    folder = root / export_id
    written = 0
    folder.mkdir(parents=True)
    files: list[ExportFile] = []
    missing: list[str] = []
    for key in keys:
        name = f"{_safe(key.camera)}-{_safe(key.stream)}.mp4"
        digest, size = hashlib.sha256(), 0
        with (folder / name).open("wb") as out:
            for chunk in reader.fmp4(key, span, relative=True):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                written += len(chunk)
                if progress is not None:
                    progress(len(files) + len(missing), written)
        if progress is not None:
            progress(len(files) + len(missing) + 1, written)
        if size == 0:
            (folder / name).unlink()
            missing.append(key.camera)
            continue
        files.append(ExportFile(name, key.camera, key.stream, size, digest.hexdigest()))
    manifest = Manifest(
        export_id, node, dt.datetime.now(dt.UTC).isoformat(), span.start, span.end, files, missing
    )
    (folder / "manifest.json").write_text(manifest.to_json())
    return manifest


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
