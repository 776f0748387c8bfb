"""Simulated serial ports: loopbacks, as if TX were wired to RX.

What is written to a port can be read back from the same port, byte for byte.
That is enough to exercise a PTZ protocol or a text channel end to end without
hardware; nothing answers like a real dome would. Read timeouts are real time
(a serial line is not paced by the device clock).
"""

from __future__ import annotations

import threading

from argus_sdk import DeviceUnavailable, InvalidRequest

#: Bytes a port buffers before a write fails, like an overrun UART.
MAX_BUFFERED = 1 << 20


class LoopbackSerial:
    """One open loopback port; opening the same port twice fails until it is closed."""

    def __init__(self, name: str, on_close: threading.Event) -> None:
        self.name = name
        self._cond = threading.Condition()
        self._buffer = bytearray()
        self._closed = False
        self._on_close = on_close

    def write(self, data: bytes) -> None:
        with self._cond:
            self._check()
            if len(self._buffer) + len(data) > MAX_BUFFERED:
                raise DeviceUnavailable(f"serial port {self.name}: receive buffer overrun")
            self._buffer += data
            self._cond.notify_all()

    def read(self, size: int, timeout: float) -> bytes:
        with self._cond:
            self._check()
            self._cond.wait_for(lambda: bool(self._buffer) or self._closed, timeout)
            self._check()
            data = bytes(self._buffer[:size])
            del self._buffer[:size]
            return data

    def close(self) -> None:
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._buffer.clear()
            self._cond.notify_all()
        self._on_close.set()

    def _check(self) -> None:
        if self._closed:
            raise DeviceUnavailable(f"serial port {self.name} is closed")


class SerialPorts:
    """The named loopback ports of one device."""

    def __init__(self, names: list[str]) -> None:
        self.names = tuple(names)
        self._lock = threading.Lock()
        self._open: dict[str, LoopbackSerial] = {}
        self._released: dict[str, threading.Event] = {}

    def open(self, name: str) -> LoopbackSerial:
        if name not in self.names:
            raise InvalidRequest(f"no serial port {name!r}; the device has {self.names}")
        with self._lock:
            if name in self._open and not self._released[name].is_set():
                raise DeviceUnavailable(f"serial port {name} is already open")
            released = threading.Event()
            port = LoopbackSerial(name, released)
            self._open[name], self._released[name] = port, released
            return port

    def close(self) -> None:
        with self._lock:
            ports = list(self._open.values())
        for port in ports:
            port.close()
