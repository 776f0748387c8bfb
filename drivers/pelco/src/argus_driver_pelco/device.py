"""The Pelco device: domes on one serial bus, each a PTZ-only channel.

An analogue dome has no video of its own, so every channel is described with no
streams (``ChannelDescription.streams == ()``): the node makes it a camera with
PTZ and nothing to record. Its picture comes from an encoder input, which is a
camera of the encoder's own driver.

Pelco presets are numbers: ``GotoPreset("12")`` goes to preset 12. Auxiliary
outputs are the device's relay outputs. Focus and iris are ``LensMove``;
clearing a preset is ``ClearPreset``.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import BaseModel

from argus_driver_pelco import bus as buses
from argus_driver_pelco import const
from argus_driver_pelco.presets import PresetBook
from argus_driver_pelco.protocol import (
    STOP,
    Extended,
    Frame,
    Motion,
    Protocol,
    direction,
    encode,
    pan_from_units,
    pan_units,
    speed,
    tilt_from_units,
    tilt_units,
    zoom_from_units,
    zoom_units,
)
from argus_driver_pelco.settings import DomeSettings, PelcoSettings
from argus_sdk import (
    AbsoluteMove,
    ChannelDescription,
    ClearPreset,
    ConfigurationError,
    ContinuousMove,
    DeviceDescription,
    DeviceUnavailable,
    Event,
    EventPhase,
    EventSource,
    GotoHome,
    GotoPreset,
    InvalidRequest,
    IoDirection,
    IoPort,
    LensMove,
    PacketSource,
    PluginContext,
    PtzCapabilities,
    PtzCommand,
    PtzPosition,
    PtzStatus,
    PtzStop,
    RelativeMove,
    SetPreset,
    Unsupported,
)


@dataclass(slots=True)
class _Dome:
    settings: DomeSettings
    moving: bool = False
    position: PtzPosition | None = None
    generation: int = 0
    """Bumped by every command, so a continuous move's timeout stops only its own move."""
    timer: threading.Timer | None = None


@dataclass(slots=True)
class _Output:
    port: IoPort
    channel: int
    aux: int
    active: bool = False
    event_id: str | None = None


class PelcoDevice:
    """Pelco-D/P domes on one serial port (a ``CameraDriver``). Thread-safe."""

    def __init__(self, settings: PelcoSettings, context: PluginContext, bus: buses.Bus) -> None:
        self.settings = settings
        self.protocol = Protocol(settings.protocol)
        self._context = context
        self._log = context.log
        self._bus = bus
        self._lock = threading.Lock()
        self._closed = False
        self._domes = [_Dome(d) for d in settings.domes]
        self._presets = PresetBook(context.data_dir, context.log)
        single = len(settings.domes) == 1
        self._outputs: dict[str, _Output] = {}
        for index, dome in enumerate(settings.domes):
            for aux in range(1, dome.aux_outputs + 1):
                port_id = f"aux{aux}" if single else f"dome{dome.address}-aux{aux}"
                name = f"Aux {aux}" if single else f"{_dome_name(dome)} aux {aux}"
                port = IoPort(port_id, IoDirection.OUTPUT, name)
                self._outputs[port_id] = _Output(port, index, aux)

    # The CameraDriver contract.

    def describe(self) -> DeviceDescription:
        model = const.MODEL_D if self.protocol is Protocol.D else const.MODEL_P
        return DeviceDescription(
            vendor=const.VENDOR,
            model=model,
            channels=tuple(
                ChannelDescription(
                    index=i, name=_dome_name(d.settings), streams=(), ptz=self._capabilities(d)
                )
                for i, d in enumerate(self._domes)
            ),
            io_ports=tuple(o.port for o in self._outputs.values()),
        )

    def open_stream(self, channel: int, stream: str) -> PacketSource:
        self._dome(channel)
        raise Unsupported(
            "a Pelco dome has no video of its own: its picture is a camera of the encoder "
            "its video cable is connected to"
        )

    def ptz(self, channel: int, command: PtzCommand) -> PtzStatus:
        dome = self._dome(channel)
        with self._lock:
            self._check_open()
            match command:
                case PtzStop():
                    self._send(dome, STOP)
                    dome.moving = False
                case ContinuousMove():
                    self._continuous(channel, dome, command)
                case AbsoluteMove():
                    self._absolute(dome, command.position, "absolute moves")
                case RelativeMove():
                    self._relative(dome, command)
                case GotoPreset():
                    number = self._preset_number(dome, command.preset)
                    self._send(dome, Extended(const.OP_GOTO_PRESET, 0, number))
                    dome.moving, dome.position = False, None
                case SetPreset():
                    number = self._preset_number(dome, command.preset)
                    self._send(dome, Extended(const.OP_SET_PRESET, 0, number), moves=False)
                    self._presets.add(dome.settings.address, number)
                case ClearPreset():
                    number = self._preset_number(dome, command.preset)
                    self._send(dome, Extended(const.OP_CLEAR_PRESET, 0, number), moves=False)
                    self._presets.discard(dome.settings.address, number)
                case GotoHome():
                    self._home(dome)
                case LensMove():
                    self._lens_move(channel, dome, command)
                case _:
                    raise Unsupported(f"the Pelco driver does not know {command!r}")
            return self._status(dome)

    def set_output(self, port: str, active: bool) -> None:
        output = self._outputs.get(port)
        if output is None:
            known = ", ".join(self._outputs) or "none"
            raise InvalidRequest(f"no auxiliary output {port!r} (outputs: {known})")
        with self._lock:
            self._check_open()
            dome = self._domes[output.channel]
            opcode = const.OP_SET_AUX if active else const.OP_CLEAR_AUX
            self._send(dome, Extended(opcode, 0, output.aux), moves=False)
            if output.active == active:
                return
            output.active = active
            event = Event(
                topic=const.TOPIC_OUTPUT,
                source=EventSource("output", f"{self._context.owner}:{port}"),
                phase=EventPhase.START if active else EventPhase.END,
                data={"port": port, "active": active},
                received_time=self._context.clock.now(),
            )
            if active:
                output.event_id = event.id
            elif output.event_id is not None:
                event = dataclasses.replace(event, id=output.event_id)
                output.event_id = None
        self._context.publish(event)

    def input_states(self) -> Mapping[str, bool]:
        return {}

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for dome in self._domes:
                self._cancel_timer(dome)
        buses.release(self._bus)

    # Beyond the contract: what Pelco domes do that the SDK has no command for.

    def query_position(self, channel: int) -> PtzPosition:
        """Ask dome ``channel`` where it is (Pelco-D extended queries).

        :raises Unsupported: the device is not set to query positions.
        :raises DeviceUnavailable: the dome did not answer in time.
        """
        dome = self._dome(channel)
        with self._lock:
            self._check_open()
            return self._query(dome)

    def output_states(self) -> dict[str, bool]:
        with self._lock:
            return {port: o.active for port, o in self._outputs.items()}

    # Helpers; the ones below take the device lock as held.

    def _dome(self, channel: int) -> _Dome:
        if not 0 <= channel < len(self._domes):
            raise InvalidRequest(f"no channel {channel}: this device has {len(self._domes)}")
        return self._domes[channel]

    def _check_open(self) -> None:
        if self._closed:
            raise DeviceUnavailable("the Pelco device is closed")

    def _capabilities(self, dome: _Dome) -> PtzCapabilities:
        s = dome.settings
        return PtzCapabilities(
            continuous=True,
            absolute=s.positioning,
            relative=s.positioning and self.settings.query_position,
            presets=s.max_presets > 0,
            home=s.home_preset is not None or s.positioning,
            max_presets=s.max_presets,
            focus=True,
            iris=True,
        )

    def _send(self, dome: _Dome, *commands: Motion | Extended, moves: bool = True) -> None:
        """Send ``commands`` to ``dome``. A command that ``moves`` replaces the dome's
        motion, so it also cancels a pending continuous-move timeout; presets being
        stored or cleared and aux outputs leave the motion alone."""
        if moves:
            self._cancel_timer(dome)
        address = dome.settings.address
        self._bus.send([encode(self.protocol, address, c) for c in commands])

    def _lens_move(self, channel: int, dome: _Dome, move: LensMove) -> None:
        """Focus and iris at the dome's one speed: only the direction counts."""
        motion = Motion(focus=direction(move.focus), iris=direction(move.iris))
        self._send(dome, motion)
        dome.moving = False
        if motion != STOP and move.timeout is not None:
            self._stop_after(channel, dome, move.timeout)

    def _continuous(self, channel: int, dome: _Dome, move: ContinuousMove) -> None:
        motion = Motion(
            pan=direction(move.pan),
            tilt=direction(move.tilt),
            zoom=direction(move.zoom),
            pan_speed=speed(move.pan),
            tilt_speed=speed(move.tilt),
        )
        self._send(dome, motion)
        dome.moving = motion != STOP
        dome.position = None
        if dome.moving and move.timeout is not None:
            self._stop_after(channel, dome, move.timeout)

    def _stop_after(self, channel: int, dome: _Dome, timeout: float) -> None:
        """Send stop after ``timeout`` s unless another command comes first."""
        timer = threading.Timer(timeout, self._timeout, (channel, dome.generation))
        timer.daemon = True
        timer.name = f"argus-pelco-stop-{dome.settings.address}"
        dome.timer = timer
        timer.start()

    def _timeout(self, channel: int, generation: int) -> None:
        """A continuous move's timeout: stop it unless another command came since."""
        dome = self._domes[channel]
        with self._lock:
            if self._closed or dome.generation != generation:
                return
            dome.timer = None
            try:
                self._send(dome, STOP)
            except DeviceUnavailable as exc:
                self._log.warning(
                    "dome %s: stop after timeout not sent: %s", dome.settings.address, exc
                )
                return
            dome.moving = False

    def _cancel_timer(self, dome: _Dome) -> None:
        dome.generation += 1
        if dome.timer is not None:
            dome.timer.cancel()
            dome.timer = None

    def _absolute(self, dome: _Dome, position: PtzPosition, what: str) -> None:
        if not dome.settings.positioning:
            raise Unsupported(
                f"dome {dome.settings.address}: {what} need the extended positioning "
                "commands; switch 'positioning' on if the dome has them (Spectra, Esprit)"
            )
        target = position.clamped()
        pan, tilt, zoom = pan_units(target.pan), tilt_units(target.tilt), zoom_units(target.zoom)
        self._send(
            dome,
            Extended(const.OP_SET_PAN, pan >> 8, pan & 0xFF),
            Extended(const.OP_SET_TILT, tilt >> 8, tilt & 0xFF),
            Extended(const.OP_SET_ZOOM, zoom >> 8, zoom & 0xFF),
        )
        dome.moving = False
        dome.position = target

    def _relative(self, dome: _Dome, move: RelativeMove) -> None:
        if not (dome.settings.positioning and self.settings.query_position):
            raise Unsupported(
                f"dome {dome.settings.address}: relative moves need the extended positioning "
                "commands and position queries (settings 'positioning' and 'query_position', "
                "Pelco-D only)"
            )
        now = self._query(dome)
        target = PtzPosition(now.pan + move.pan, now.tilt + move.tilt, now.zoom + move.zoom)
        self._absolute(dome, target, "relative moves")

    def _home(self, dome: _Dome) -> None:
        home = dome.settings.home_preset
        if home is not None:
            self._send(dome, Extended(const.OP_GOTO_PRESET, 0, home))
            dome.moving, dome.position = False, None
        elif dome.settings.positioning:
            self._absolute(dome, PtzPosition(), "home")
        else:
            raise Unsupported(
                f"dome {dome.settings.address} has no home: set a home preset, or switch "
                "'positioning' on if the dome has the extended positioning commands"
            )

    def _preset_number(self, dome: _Dome, preset: str) -> int:
        limit = dome.settings.max_presets
        if limit == 0:
            raise Unsupported(f"dome {dome.settings.address} has no presets")
        if not preset.strip().isdecimal() or not 1 <= int(preset) <= limit:
            raise InvalidRequest(
                f"Pelco presets are numbers 1..{limit}, not {preset!r}"
                f" (dome {dome.settings.address})"
            )
        return int(preset)

    def _query(self, dome: _Dome) -> PtzPosition:
        if not self.settings.query_position:
            raise Unsupported(
                f"dome {dome.settings.address}: position queries are off (setting "
                "'query_position', Pelco-D only)"
            )
        values = []
        address = dome.settings.address
        for opcode in (const.OP_QUERY_PAN, const.OP_QUERY_TILT, const.OP_QUERY_ZOOM):
            wanted = const.RESPONSE_OF[opcode]

            def accept(frame: Frame, wanted: int = wanted) -> bool:
                c = frame.command
                return frame.address == address and isinstance(c, Extended) and c.opcode == wanted

            try:
                reply = self._bus.query(
                    encode(Protocol.D, address, Extended(opcode)),
                    Protocol.D,
                    accept,
                    self.settings.reply_timeout,
                )
            except DeviceUnavailable as exc:
                raise DeviceUnavailable(f"dome {address} did not answer: {exc}") from exc
            assert isinstance(reply.command, Extended)
            values.append(reply.command.value)
        return PtzPosition(
            pan_from_units(values[0]), tilt_from_units(values[1]), zoom_from_units(values[2])
        )

    def _status(self, dome: _Dome) -> PtzStatus:
        position = self._query(dome) if self.settings.query_position else dome.position
        presets = tuple(str(n) for n in self._presets.of(dome.settings.address))
        return PtzStatus(position=position, moving=dome.moving, presets=presets)


def _dome_name(dome: DomeSettings) -> str:
    return dome.name or f"Dome {dome.address}"


def open_device(settings: BaseModel, context: PluginContext) -> PelcoDevice:
    """The driver type's ``open``: validate, take the port's bus and try to open it.

    A port that cannot be opened yet is not an error here: the device is
    described without it and every command retries until the port appears.

    :raises ConfigurationError: settings of another type, or the port is already in
        use with other line settings.
    """
    if not isinstance(settings, PelcoSettings):
        raise ConfigurationError(f"expected PelcoSettings, got {type(settings).__name__}")
    params = buses.PortParams(
        baud_rate=settings.baud_rate,
        data_bits=settings.data_bits,
        parity=settings.parity,
        stop_bits=settings.stop_bits,
        write_timeout=settings.write_timeout,
    )
    bus = buses.acquire(settings.port, params, context.log)
    try:
        bus.open()
    except DeviceUnavailable as exc:
        context.log.warning("%s: %s; commands will retry", context.owner, exc)
    return PelcoDevice(settings, context, bus)
