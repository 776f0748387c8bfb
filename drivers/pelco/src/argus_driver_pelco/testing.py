"""Test kit: a pty pair standing in for an RS-485 bus, for the driver's tests and for
anyone testing something that speaks Pelco (a keyboard, a matrix) against the emulator.

The driver or the device under test opens :attr:`Pty.path`, the slave side; the
emulator holds :attr:`Pty.master` (``Emulator.serve(FdLink(pty.master))``). Bytes
cross in well under a millisecond, unchanged: the slave is put in raw mode by
whoever opens it with pyserial.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass


@dataclass
class Pty:
    """One pty pair. Holding :attr:`slave` open keeps the bus alive between two opens
    of :attr:`path` by the device under test."""

    master: int
    slave: int
    path: str

    def close(self) -> None:
        """Close both ends; the path disappears. Idempotent."""
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.master = self.slave = -1


def open_pty() -> Pty:
    master, slave = os.openpty()
    return Pty(master, slave, os.ttyname(slave))
