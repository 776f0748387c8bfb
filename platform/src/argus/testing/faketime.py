"""A process whose wall clock is off by a given amount: libfaketime (Debian ``libfaketime``).

The library is preloaded into the process (``LD_PRELOAD``) rather than started through
the ``faketime`` program, so that the PID a test holds is the process itself. Only the
wall clock is shifted; the monotonic clock stays true, as on a host whose NTP is broken.
"""

from __future__ import annotations

from pathlib import Path

#: Where Debian and Ubuntu install the library, for any architecture.
LIBRARY_PATTERNS = ("*/faketime/libfaketime.so.1", "faketime/libfaketime.so.1")


def library() -> str | None:
    """The path of libfaketime, or None when it is not installed."""
    for pattern in LIBRARY_PATTERNS:
        if found := sorted(Path("/usr/lib").glob(pattern)):
            return str(found[0])
    return None


def skewed_clock_env(seconds: float) -> dict[str, str]:
    """Environment variables that put a process's wall clock ``seconds`` ahead (or behind,
    when negative) of the host's.

    :raises FileNotFoundError: libfaketime is not installed.
    """
    path = library()
    if path is None:
        raise FileNotFoundError("libfaketime is not installed (Debian package libfaketime)")
    return {
        "LD_PRELOAD": path,
        "FAKETIME": f"{seconds:+g}s",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
    }
