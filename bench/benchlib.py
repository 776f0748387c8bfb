"""What the benchmarks share: CPU time from /proc, quantiles, a work directory."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int, *, children: bool = False) -> float:
    """utime + stime of a process so far, from /proc/<pid>/stat; with ``children``, also
    those of its children that have exited and were waited for (cutime + cstime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11 : 15 if children else 13]) / CLK_TCK


def quantile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (nearest rank below) of ``values``; NaN when there are none."""
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))] if ordered else float("nan")


@contextmanager
def workdir(prefix: str, keep: bool) -> Iterator[Path]:
    """A new temporary directory, deleted at the end unless ``keep``."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        if keep:
            print(f"work directory kept: {path}")
        else:
            shutil.rmtree(path, ignore_errors=True)
