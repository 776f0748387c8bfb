"""Where segment files live on a disk: ``camera/stream/YYYY-MM-DD/<start µs>.mp4``.

Camera ids and stream names are percent-encoded so any id is a safe directory
name; the date folder is the UTC date of the segment's start.
"""

from __future__ import annotations

import datetime as dt
from pathlib import PurePosixPath
from urllib.parse import quote, unquote

SUFFIX = ".mp4"


def segment_path(camera: str, stream: str, start_us: int) -> str:
    day = dt.datetime.fromtimestamp(start_us / 1e6, dt.UTC).strftime("%Y-%m-%d")
    return f"{quote(camera, safe='')}/{quote(stream, safe='')}/{day}/{start_us}{SUFFIX}"


def parse_path(path: str) -> tuple[str, str, int] | None:
    """(camera, stream, start µs) of a relative segment path, or ``None`` if it is not one."""
    parts = PurePosixPath(path).parts
    if len(parts) != 4 or not parts[3].endswith(SUFFIX):
        return None
    stem = parts[3][: -len(SUFFIX)]
    if not stem.isdigit():
        return None
    return unquote(parts[0]), unquote(parts[1]), int(stem)
