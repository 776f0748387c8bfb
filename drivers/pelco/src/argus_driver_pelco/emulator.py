"""A Pelco-D/P dome emulator: one or more domes listening on one serial port.

For developers without a dome on their desk, and for the driver's tests. It
reads frames, checks sync bytes, checksums and addresses, keeps each dome's pan,
tilt and zoom (moving while a motion command is in force), presets and
auxiliary outputs, counts what it had to drop, and, in Pelco-D, answers the
extended pan/tilt/zoom position queries as a Spectra dome does. Pelco-P domes
do not answer.

Run it on one end of a pty pair (``socat -d -d pty,raw,echo=0,link=/tmp/dome
pty,raw,echo=0,link=/tmp/argus``) or on a real RS-485 adapter::

    python -m argus_driver_pelco.emulator --port /tmp/dome --protocol d --address 1

and point the driver (or a keyboard) at the other end. Every frame is logged on
standard output; SIGINT or SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import errno
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from typing import Protocol as TypingProtocol

import serial  # type: ignore[import-untyped]

from argus_driver_pelco import const
from argus_driver_pelco.protocol import (
    STOP,
    Dropped,
    Extended,
    Frame,
    FrameParser,
    Motion,
    ParseError,
    Protocol,
    encode,
)

#: Degrees per second for each step of the speed byte (0x3F: about 95°/s).
DEGREES_PER_SPEED_STEP = 1.5
#: Zoom units per second while zooming (the whole range in 2 s).
ZOOM_UNITS_PER_SECOND = const.ZOOM_UNITS / 2
_TILT_LIMIT = 9_000  # hundredths of a degree, up and down


@dataclass(slots=True)
class DomeState:
    """One emulated dome. Pan is 0..35999 and tilt -9000..9000 hundredths of a degree
    (tilt up positive), zoom 0..65535."""

    address: int
    pan: float = 0.0
    tilt: float = 0.0
    zoom: float = 0.0
    motion: Motion = STOP
    focus: int = 0
    iris: int = 0
    presets: dict[int, tuple[float, float, float]] = field(default_factory=dict)
    aux: set[int] = field(default_factory=set)
    frames: int = 0
    commands: list[Motion | Extended] = field(default_factory=list)
    since: float = 0.0

    @property
    def moving(self) -> bool:
        m = self.motion
        return bool(m.pan or m.tilt or m.zoom)

    def advance(self, now: float) -> None:
        """Integrate the motion in force from ``since`` to ``now``."""
        elapsed, self.since = max(0.0, now - self.since), now
        m = self.motion
        if m.pan:
            self.pan = (self.pan + m.pan * m.pan_speed * DEGREES_PER_SPEED_STEP * 100 * elapsed) % (
                const.ANGLE_UNITS
            )
        if m.tilt:
            step = m.tilt * m.tilt_speed * DEGREES_PER_SPEED_STEP * 100 * elapsed
            self.tilt = max(-_TILT_LIMIT, min(_TILT_LIMIT, self.tilt + step))
        if m.zoom:
            step = m.zoom * ZOOM_UNITS_PER_SECOND * elapsed
            self.zoom = max(0.0, min(float(const.ZOOM_UNITS), self.zoom + step))

    def wire_tilt(self) -> int:
        """Tilt as sent on the wire: 0..35999, below the horizon as 36000 minus its size."""
        return round(self.tilt) % const.ANGLE_UNITS


@dataclass(slots=True)
class Counters:
    """What the emulator saw on the bus."""

    frames: int = 0
    """Whole frames with a good checksum, for any address."""
    bad_checksum: int = 0
    framing_errors: int = 0
    """Runs of bytes that did not start a frame (noise, partial frames, a missing ETX)."""
    other_address: int = 0
    """Good frames for an address this emulator does not play."""
    replies: int = 0


class Emulator:
    """Domes at ``addresses`` speaking ``protocol``; feed it bytes, send what it returns.

    :meth:`handle` is the whole behaviour and does no I/O; :meth:`serve` runs it on
    a link in a thread. Thread-safe.

    :param replies: answer position queries (Pelco-D only); false plays a dome
        whose receive line works but whose transmit line is cut.
    """

    def __init__(
        self,
        protocol: Protocol,
        addresses: Iterable[int],
        *,
        replies: bool = True,
        clock: Callable[[], float] = time.monotonic,
        on_frame: Callable[[Frame | Dropped], None] | None = None,
    ) -> None:
        self.protocol = protocol
        self.replies = replies and protocol is Protocol.D
        self._clock = clock
        self._on_frame = on_frame
        self._parser = FrameParser(protocol)
        now = clock()
        self._domes = {a: DomeState(a, since=now) for a in addresses}
        if not self._domes:
            raise ValueError("an emulator plays at least one dome")
        self.counters = Counters()
        self.received = bytearray()
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: OSError | None = None

    # Behaviour.

    def handle(self, data: bytes) -> bytes:
        """Take bytes from the bus; the bytes to send back (possibly none)."""
        out = bytearray()
        with self._changed:
            self.received += data
            for item in self._parser.feed(data):
                if self._on_frame is not None:
                    self._on_frame(item)
                if isinstance(item, Dropped):
                    if item.reason is ParseError.CHECKSUM:
                        self.counters.bad_checksum += 1
                    else:
                        self.counters.framing_errors += 1
                    continue
                self.counters.frames += 1
                dome = self._domes.get(item.address)
                if dome is None:
                    self.counters.other_address += 1
                    continue
                out += self._execute(dome, item.command)
            self._changed.notify_all()
        return bytes(out)

    def _execute(self, dome: DomeState, command: Motion | Extended) -> bytes:
        dome.advance(self._clock())
        dome.frames += 1
        dome.commands.append(command)
        if isinstance(command, Motion):
            dome.motion = Motion(
                pan=command.pan,
                tilt=command.tilt,
                zoom=command.zoom,
                pan_speed=command.pan_speed,
                tilt_speed=command.tilt_speed,
            )
            dome.focus, dome.iris = command.focus, command.iris
            return b""
        op, value = command.opcode, command.value
        if op == const.OP_SET_PRESET:
            dome.presets[command.data2] = (dome.pan, dome.tilt, dome.zoom)
        elif op == const.OP_CLEAR_PRESET:
            dome.presets.pop(command.data2, None)
        elif op == const.OP_GOTO_PRESET:
            stored = dome.presets.get(command.data2)
            if stored is not None:
                dome.motion = STOP
                dome.pan, dome.tilt, dome.zoom = stored
        elif op == const.OP_SET_AUX:
            dome.aux.add(command.data2)
        elif op == const.OP_CLEAR_AUX:
            dome.aux.discard(command.data2)
        elif op == const.OP_SET_PAN:
            dome.motion, dome.pan = STOP, float(value % const.ANGLE_UNITS)
        elif op == const.OP_SET_TILT:
            signed = value - const.ANGLE_UNITS if value > const.ANGLE_UNITS // 2 else value
            dome.motion, dome.tilt = STOP, float(max(-_TILT_LIMIT, min(_TILT_LIMIT, signed)))
        elif op == const.OP_SET_ZOOM:
            dome.motion, dome.zoom = STOP, float(value)
        elif op in const.RESPONSE_OF and self.replies:
            answer = {
                const.OP_QUERY_PAN: round(dome.pan) % const.ANGLE_UNITS,
                const.OP_QUERY_TILT: dome.wire_tilt(),
                const.OP_QUERY_ZOOM: round(dome.zoom),
            }[op]
            self.counters.replies += 1
            reply = Extended(const.RESPONSE_OF[op], answer >> 8, answer & 0xFF)
            return encode(self.protocol, dome.address, reply)
        return b""

    # Observation.

    def dome(self, address: int) -> DomeState:
        """A copy of dome ``address``'s state now (motion integrated up to now)."""
        with self._changed:
            dome = self._domes[address]
            dome.advance(self._clock())
            return copy.deepcopy(dome)

    def snapshot(self) -> Counters:
        with self._changed:
            return copy.copy(self.counters)

    def wait_for(self, predicate: Callable[[Emulator], bool], timeout: float = 2.0) -> bool:
        """Wait until ``predicate(self)`` holds (checked after every batch of bytes)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
            return True

    def wait_frames(self, count: int, timeout: float = 2.0) -> bool:
        """Wait until ``count`` good frames in all were received."""
        return self.wait_for(lambda e: e.counters.frames >= count, timeout)

    # Running on a link.

    def serve(self, link: Link) -> None:
        """Serve ``link`` in a background thread until :meth:`stop`."""
        self._thread = threading.Thread(
            target=self._run, args=(link,), name="argus-pelco-emulator", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    @property
    def failed(self) -> OSError | None:
        """The error that ended :meth:`serve` (the port went away), if one did."""
        return self._error

    def _run(self, link: Link) -> None:
        try:
            while not self._stop.is_set():
                data = link.read(0.05)
                if data:
                    reply = self.handle(data)
                    if reply:
                        link.write(reply)
        except OSError as exc:
            self._error = exc


class Link(TypingProtocol):
    """Where the emulator reads and writes bytes."""

    def read(self, timeout: float) -> bytes: ...

    def write(self, data: bytes) -> None: ...


class FdLink:
    """A file descriptor, e.g. the master side of ``os.openpty()``.

    While nobody has the other side open, a pty master reads ``EIO``: that is
    a bus with nobody on it, not an error.
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def read(self, timeout: float) -> bytes:
        try:
            ready, _, _ = select.select([self.fd], [], [], timeout)
            return os.read(self.fd, 4096) if ready else b""
        except OSError as exc:
            if exc.errno not in (errno.EIO, errno.EBADF):
                raise
            time.sleep(min(timeout, 0.01))
            return b""

    def write(self, data: bytes) -> None:
        with contextlib.suppress(OSError):
            os.write(self.fd, data)


class SerialLink:
    """A serial port opened with pyserial (a tty, a pty slave, an RS-485 adapter)."""

    def __init__(self, port: Any) -> None:
        self.port = port

    def read(self, timeout: float) -> bytes:
        if self.port.timeout != timeout:
            self.port.timeout = timeout  # reconfigures the port: only when it changes
        first = bytes(self.port.read(1))
        if not first:
            return b""
        return first + bytes(self.port.read(int(self.port.in_waiting)))

    def write(self, data: bytes) -> None:
        self.port.write(data)


def _describe(item: Frame | Dropped) -> str:
    if isinstance(item, Dropped):
        return f"dropped ({item.reason}): {item.data.hex(' ')}"
    return f"dome {item.address}: {item.command}"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m argus_driver_pelco.emulator",
        description="Emulate Pelco-D/P domes on a serial port.",
    )
    p.add_argument("--port", required=True, help="serial device, e.g. /dev/pts/3")
    p.add_argument("--protocol", choices=["d", "p"], default="d")
    p.add_argument(
        "--address",
        type=int,
        action="append",
        help="a dome address (1-255) as set on its switches; repeat for several domes (default 1)",
    )
    p.add_argument("--baud", type=int, default=2400)
    p.add_argument("--parity", choices=["none", "even", "odd"], default="none")
    p.add_argument("--no-replies", action="store_true", help="never answer queries")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    addresses = args.address or [1]
    if not all(1 <= a <= 255 for a in addresses):
        print("addresses are 1..255", file=sys.stderr)
        return 2
    parity = {"none": serial.PARITY_NONE, "even": serial.PARITY_EVEN, "odd": serial.PARITY_ODD}
    try:
        port = serial.Serial(args.port, args.baud, parity=parity[args.parity], timeout=0.05)
    except (OSError, ValueError) as exc:
        print(f"cannot open {args.port}: {exc}", file=sys.stderr)
        return 1

    def show(item: Frame | Dropped) -> None:
        print(_describe(item), flush=True)

    emulator = Emulator(
        Protocol(args.protocol), addresses, replies=not args.no_replies, on_frame=show
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    names = ", ".join(str(a) for a in addresses)
    print(f"emulating Pelco-{args.protocol.upper()} domes {names} on {args.port}", flush=True)
    emulator.serve(SerialLink(port))
    try:
        while not stop.wait(0.1) and emulator.failed is None:
            pass
    finally:
        emulator.stop()
        port.close()
        c = emulator.snapshot()
        print(
            f"frames {c.frames}, bad checksums {c.bad_checksum}, framing errors "
            f"{c.framing_errors}, other addresses {c.other_address}, replies {c.replies}",
            flush=True,
        )
    if emulator.failed is not None:
        print(f"{args.port} failed: {emulator.failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
