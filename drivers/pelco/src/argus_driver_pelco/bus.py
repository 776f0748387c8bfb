"""One owner per serial port in the process: the bus that every dome on it shares.

RS-485 is a shared half-duplex line: several Argus devices (and several domes of
one device) may name the same port. :func:`acquire` hands them one :class:`Bus`
per path, counted, so there is one open file and one lock: each frame, and each
query with its reply, goes out whole, never interleaved with another dome's bytes.

A port that fails (unplugged adapter, vanished pty) is closed and every call
raises ``DeviceUnavailable`` until the path opens again; the next call retries,
so the bus recovers by itself when the port comes back.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import serial  # type: ignore[import-untyped]

from argus_driver_pelco.protocol import Dropped, Frame, FrameParser, Protocol
from argus_sdk import ConfigurationError, DeviceUnavailable

#: Longest single blocking read while waiting for a reply (a query may overrun its
#: timeout by this much).
_READ_SLICE = 0.02

if sys.platform == "win32":
    _PORT_ERRORS: tuple[type[Exception], ...] = (OSError,)
else:
    import termios

    #: pyserial raises termios.error, not SerialException, from flush() and
    #: reset_input_buffer() on a port whose device went away.
    _PORT_ERRORS = (OSError, termios.error)

_PARITY = {"none": serial.PARITY_NONE, "even": serial.PARITY_EVEN, "odd": serial.PARITY_ODD}


@dataclass(frozen=True, slots=True)
class PortParams:
    """Line settings of a port; every user of one port must agree on them."""

    baud_rate: int = 2400
    data_bits: int = 8
    parity: str = "none"
    stop_bits: int = 1
    write_timeout: float = 1.0


class Bus:
    """A serial port shared by every dome on it. Thread-safe; opened on first use.

    Hold no other lock of this module while calling it from a driver's lock:
    callers take their own lock first, then the bus's.
    """

    def __init__(self, path: str, params: PortParams, log: logging.Logger) -> None:
        self.path = path
        self.params = params
        self._log = log
        self._lock = threading.Lock()
        self._port: Any = None
        self._users = 0
        self._failed = False

    @property
    def is_open(self) -> bool:
        return self._port is not None

    def open(self) -> None:
        """Open the port now if it is closed.

        :raises DeviceUnavailable: the port cannot be opened (yet).
        """
        with self._lock:
            self._ensure_open()

    def send(self, frames: Sequence[bytes]) -> None:
        """Write ``frames`` back to back, none interleaved with another caller's.

        :raises DeviceUnavailable: the port is gone or a write timed out.
        """
        with self._lock:
            port = self._ensure_open()
            self._write(port, b"".join(frames))

    def query(
        self,
        frame: bytes,
        protocol: Protocol,
        accept: Callable[[Frame], bool],
        timeout: float,
    ) -> Frame:
        """Write ``frame`` and wait up to ``timeout`` s for a reply that ``accept`` takes.

        Bytes that were waiting before the query are discarded; replies meant for
        someone else and damaged bytes are skipped.

        :raises DeviceUnavailable: the port is gone, or no accepted reply came in time.
        """
        with self._lock:
            port = self._ensure_open()
            try:
                port.reset_input_buffer()
            except _PORT_ERRORS as exc:
                raise self._fail(exc) from exc
            self._write(port, frame)
            parser = FrameParser(protocol)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    data = bytes(port.read(max(1, int(port.in_waiting))))
                except _PORT_ERRORS as exc:
                    raise self._fail(exc) from exc
                for item in parser.feed(data):
                    if isinstance(item, Dropped):
                        self._log.debug(
                            "bus %s: dropped %s bytes %s",
                            self.path,
                            item.reason,
                            item.data.hex(" "),
                        )
                    elif accept(item):
                        return item
            raise DeviceUnavailable(
                f"no reply on {self.path} within {timeout:g} s: check the dome's address, "
                "protocol, baud rate and wiring (RS-485 A/B)"
            )

    def close(self) -> None:
        with self._lock:
            self._close_port()

    # Called with the lock held.

    def _ensure_open(self) -> Any:
        if self._port is not None:
            return self._port
        port = serial.Serial()
        port.port = self.path
        port.baudrate = self.params.baud_rate
        port.bytesize = self.params.data_bits
        port.parity = _PARITY[self.params.parity]
        port.stopbits = self.params.stop_bits
        port.timeout = _READ_SLICE
        port.write_timeout = self.params.write_timeout
        port.exclusive = True
        try:
            port.open()
        except (*_PORT_ERRORS, ValueError) as exc:
            if not self._failed:
                self._log.warning("serial port %s cannot be opened: %s", self.path, exc)
            self._failed = True
            raise DeviceUnavailable(f"serial port {self.path} cannot be opened: {exc}") from exc
        if self._failed:
            self._log.info("serial port %s is back", self.path)
        self._failed = False
        self._port = port
        return port

    def _write(self, port: Any, data: bytes) -> None:
        try:
            written = port.write(data)
            port.flush()
        except _PORT_ERRORS as exc:
            raise self._fail(exc) from exc
        if written != len(data):
            raise self._fail(OSError(f"wrote {written} of {len(data)} bytes"))

    def _fail(self, exc: Exception) -> DeviceUnavailable:
        self._log.warning("serial port %s failed, closing it: %s", self.path, exc)
        self._failed = True
        self._close_port()
        return DeviceUnavailable(f"serial port {self.path} failed: {exc}")

    def _close_port(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            try:
                port.close()
            except _PORT_ERRORS as exc:
                self._log.debug("closing serial port %s: %s", self.path, exc)


_buses: dict[str, Bus] = {}
_buses_lock = threading.Lock()


def _key(path: str) -> str:
    # Not realpath: a stable link (/dev/serial/by-id/…) must keep naming the port
    # that appears behind it after a replug.
    return str(Path(path).absolute()) if os.sep in path else path


def acquire(path: str, params: PortParams, log: logging.Logger) -> Bus:
    """The bus of ``path`` in this process, created on first use; pair with :func:`release`.

    :raises ConfigurationError: the port is already used with other line settings.
    """
    key = _key(path)
    with _buses_lock:
        bus = _buses.get(key)
        if bus is None:
            bus = _buses[key] = Bus(key, params, log)
        elif bus.params != params:
            raise ConfigurationError(
                f"serial port {path} is already used with {bus.params}; every device on "
                f"one port needs the same line settings, not {params}"
            )
        bus._users += 1
        return bus


def release(bus: Bus) -> None:
    """Give ``bus`` back; the last user closes the port."""
    with _buses_lock:
        bus._users -= 1
        if bus._users > 0:
            return
        if _buses.get(bus.path) is bus:
            del _buses[bus.path]
    bus.close()
