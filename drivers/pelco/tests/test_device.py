"""The driver over real ptys, against the emulator: every SDK command's bytes on the
wire, state in the dome, refusals, replies, two domes on one bus."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from argus_driver_pelco import const
from argus_driver_pelco.device import PelcoDevice
from argus_driver_pelco.emulator import Emulator
from argus_driver_pelco.protocol import STOP, Extended, Motion, Protocol, encode
from argus_driver_pelco.testing import Pty
from argus_sdk import (
    AbsoluteMove,
    CameraDriver,
    ClearPreset,
    ContinuousMove,
    DeviceUnavailable,
    Event,
    EventPhase,
    GotoHome,
    GotoPreset,
    InvalidRequest,
    IoDirection,
    LensMove,
    PluginContext,
    PtzCommand,
    PtzPosition,
    PtzStop,
    RelativeMove,
    SetPreset,
    Unsupported,
)

MakeDevice = Callable[..., PelcoDevice]
MakeEmulator = Callable[..., Emulator]


def received(emulator: Emulator, size: int) -> bytes:
    """What the emulator received, once it has ``size`` bytes (or after 2 s)."""
    emulator.wait_for(lambda e: len(e.received) >= size)
    time.sleep(0.01)  # anything extra that was on its way
    return bytes(emulator.received)


def dome3(**extra: object) -> dict[str, object]:
    return {
        "domes": [{"address": 3, "positioning": True, "aux_outputs": 2, **extra}],
    }


@pytest.mark.parametrize("protocol", list(Protocol))
def test_every_command_goes_out_as_its_exact_frame(
    protocol: Protocol, pty: Pty, make_emulator: MakeEmulator, make_device: MakeDevice
) -> None:
    emulator = make_emulator(pty, protocol, (3,))
    device = make_device(pty.path, protocol=protocol, **dome3())
    commands: list[tuple[Callable[[], object], list[Motion | Extended]]] = [
        (lambda: device.ptz(0, ContinuousMove(pan=1.0)), [Motion(pan=1, pan_speed=0x3F)]),
        (
            lambda: device.ptz(0, ContinuousMove(pan=-0.5, tilt=0.25)),
            [Motion(pan=-1, tilt=1, pan_speed=32, tilt_speed=16)],
        ),
        (lambda: device.ptz(0, ContinuousMove(tilt=-1.0)), [Motion(tilt=-1, tilt_speed=0x3F)]),
        (lambda: device.ptz(0, ContinuousMove(zoom=0.3)), [Motion(zoom=1)]),
        (lambda: device.ptz(0, ContinuousMove(zoom=-1)), [Motion(zoom=-1)]),
        (lambda: device.ptz(0, ContinuousMove()), [STOP]),
        (lambda: device.ptz(0, PtzStop()), [STOP]),
        (lambda: device.ptz(0, SetPreset("12", "door")), [Extended(const.OP_SET_PRESET, 0, 12)]),
        (lambda: device.ptz(0, GotoPreset("12")), [Extended(const.OP_GOTO_PRESET, 0, 12)]),
        (lambda: device.ptz(0, ClearPreset("12")), [Extended(const.OP_CLEAR_PRESET, 0, 12)]),
        (
            lambda: device.ptz(0, AbsoluteMove(PtzPosition(0.5, -0.5, 1.0))),
            [
                Extended(const.OP_SET_PAN, 0x23, 0x28),  # 90.00°
                Extended(const.OP_SET_TILT, 0x7B, 0x0C),  # 45.00° down: 31500
                Extended(const.OP_SET_ZOOM, 0xFF, 0xFF),
            ],
        ),
        (
            lambda: device.ptz(0, GotoHome()),
            [Extended(op) for op in (const.OP_SET_PAN, const.OP_SET_TILT, const.OP_SET_ZOOM)],
        ),
        (lambda: device.ptz(0, LensMove(focus=0.3)), [Motion(focus=1)]),
        (lambda: device.ptz(0, LensMove(focus=-1)), [Motion(focus=-1)]),
        (lambda: device.ptz(0, LensMove(iris=0.5)), [Motion(iris=1)]),
        (lambda: device.ptz(0, LensMove(iris=-0.1)), [Motion(iris=-1)]),
        (lambda: device.ptz(0, LensMove()), [STOP]),
        (lambda: device.set_output("aux2", True), [Extended(const.OP_SET_AUX, 0, 2)]),
        (lambda: device.set_output("aux2", False), [Extended(const.OP_CLEAR_AUX, 0, 2)]),
    ]
    expected = b""
    for call, frames in commands:
        call()
        expected += b"".join(encode(protocol, 3, f) for f in frames)
        assert received(emulator, len(expected)) == expected, frames
    # Spot checks against hand-made frames.
    first = {Protocol.D: "ff 03 00 02 3f 00 44", Protocol.P: "a0 02 00 02 3f 00 af 30"}
    assert expected[: len(first[protocol]) // 3 + 1].hex(" ") == first[protocol]
    assert emulator.snapshot().bad_checksum == 0


def test_home_goes_to_the_home_preset(
    pty: Pty, make_emulator: MakeEmulator, make_device: MakeDevice
) -> None:
    emulator = make_emulator(pty, Protocol.D, (1,))
    device = make_device(pty.path, domes=[{"address": 1, "home_preset": 33}])
    assert device.describe().channels[0].ptz.home  # type: ignore[union-attr]
    device.ptz(0, GotoHome())
    assert received(emulator, 7).hex(" ") == "ff 01 00 07 00 21 29"


def test_describes_ptz_only_channels_and_aux_outputs(pty: Pty, make_device: MakeDevice) -> None:
    device = make_device(
        pty.path,
        protocol="p",
        domes=[
            {"address": 1, "name": "Gate", "aux_outputs": 1, "max_presets": 32},
            {"address": 7, "aux_outputs": 2, "positioning": True, "home_preset": 1},
        ],
    )
    assert isinstance(device, CameraDriver)
    d = device.describe()
    assert (d.vendor, d.model) == ("Pelco", "Pelco-P dome")
    assert [c.name for c in d.channels] == ["Gate", "Dome 7"]
    assert all(c.streams == () for c in d.channels)
    gate, seven = (c.ptz for c in d.channels)
    assert gate is not None and seven is not None
    assert gate.continuous and gate.presets and gate.max_presets == 32 and gate.focus
    assert not gate.absolute and not gate.relative and not gate.home
    assert seven.absolute and seven.home and not seven.relative
    assert [p.id for p in d.outputs] == ["dome1-aux1", "dome7-aux1", "dome7-aux2"]
    assert all(p.direction is IoDirection.OUTPUT for p in d.io_ports)
    assert device.input_states() == {}
    with pytest.raises(Unsupported, match="no video of its own"):
        device.open_stream(0, "main")


@pytest.mark.parametrize(
    ("command", "error", "message"),
    [
        (AbsoluteMove(PtzPosition()), Unsupported, "positioning"),
        (RelativeMove(pan=0.1), Unsupported, "relative moves"),
        (GotoHome(), Unsupported, "no home"),
        (GotoPreset("door"), InvalidRequest, r"numbers 1\.\.16"),
        (GotoPreset("0"), InvalidRequest, "numbers"),
        (SetPreset("17"), InvalidRequest, "numbers"),
    ],
)
def test_refusals_send_nothing(
    command: PtzCommand,
    error: type[Exception],
    message: str,
    pty: Pty,
    make_emulator: MakeEmulator,
    make_device: MakeDevice,
) -> None:
    emulator = make_emulator(pty, Protocol.D, (1,))
    device = make_device(pty.path, domes=[{"address": 1, "max_presets": 16}])
    with pytest.raises(error, match=message):
        device.ptz(0, command)
    with pytest.raises(InvalidRequest, match="no channel 1"):
        device.ptz(1, PtzStop())
    with pytest.raises(InvalidRequest, match="no auxiliary output"):
        device.set_output("aux1", True)
    device.ptz(0, PtzStop())
    assert received(emulator, 7) == encode(Protocol.D, 1, STOP)


def test_no_presets_means_unsupported(pty: Pty, make_device: MakeDevice) -> None:
    device = make_device(pty.path, domes=[{"address": 1, "max_presets": 0}])
    with pytest.raises(Unsupported, match="no presets"):
        device.ptz(0, GotoPreset("1"))


def test_two_domes_on_one_bus_keep_their_own_state(
    pty: Pty, make_emulator: MakeEmulator, make_device: MakeDevice, events: list[Event]
) -> None:
    emulator = make_emulator(pty, Protocol.D, (1, 2))
    device = make_device(
        pty.path,
        domes=[
            {"address": 1, "positioning": True},
            {"address": 2, "positioning": True, "aux_outputs": 2},
        ],
    )
    # A second device on the same port shares the bus.
    other = make_device(pty.path, domes=[{"address": 9}])
    device.ptz(0, AbsoluteMove(PtzPosition(0.25, 0.1, 0.5)))
    device.ptz(0, SetPreset("3"))
    status = device.ptz(0, AbsoluteMove(PtzPosition(-0.5, 0, 0)))
    assert status.position == PtzPosition(-0.5, 0, 0) and status.presets == ("3",)
    device.ptz(1, AbsoluteMove(PtzPosition(1.0, -1.0, 0)))
    device.set_output("dome2-aux2", True)
    device.set_output("dome2-aux2", True)  # sent again, but no second event
    other.ptz(0, ContinuousMove(pan=0.1))
    device.ptz(0, GotoPreset("3"))
    assert emulator.wait_frames(3 + 1 + 3 + 3 + 2 + 1 + 1)
    one, two = emulator.dome(1), emulator.dome(2)
    assert (one.pan, one.tilt, one.zoom) == (4500, 900, round(0.5 * const.ZOOM_UNITS))
    assert set(one.presets) == {3} and one.aux == set()
    assert (two.pan, two.tilt, two.zoom) == (18000, -9000, 0)
    assert two.aux == {2} and two.presets == {}
    assert emulator.snapshot().other_address == 1  # dome 9 is not played
    device.set_output("dome2-aux2", False)
    assert emulator.wait_for(lambda e: e.dome(2).aux == set())
    assert [(e.topic, e.phase, e.data["port"]) for e in events] == [
        ("argus.io.output", EventPhase.START, "dome2-aux2"),
        ("argus.io.output", EventPhase.END, "dome2-aux2"),
    ]
    assert events[0].id == events[1].id
    assert device.output_states() == {"dome2-aux1": False, "dome2-aux2": False}


def test_positions_are_queried_in_pelco_d(
    pty: Pty, make_emulator: MakeEmulator, make_device: MakeDevice
) -> None:
    emulator = make_emulator(pty, Protocol.D, (5,))
    device = make_device(pty.path, query_position=True, domes=[{"address": 5, "positioning": True}])
    assert device.describe().channels[0].ptz.relative  # type: ignore[union-attr]
    status = device.ptz(0, AbsoluteMove(PtzPosition(0.5, -0.25, 0.5)))
    assert status.position is not None
    got = status.position
    assert (got.pan, got.tilt, got.zoom) == pytest.approx((0.5, -0.25, 0.5), abs=1e-4)
    status = device.ptz(0, RelativeMove(pan=-0.75, tilt=0.5, zoom=0.25))
    assert status.position is not None
    assert status.position.pan == pytest.approx(-0.25, abs=1e-3)
    assert status.position.tilt == pytest.approx(0.25, abs=1e-3)
    assert status.position.zoom == pytest.approx(0.75, abs=1e-3)
    assert emulator.dome(5).pan == 31500
    assert emulator.snapshot().replies == 9  # status, relative: where, then status


def test_a_dome_that_does_not_answer_is_unavailable_without_holding_the_bus(
    pty: Pty, make_emulator: MakeEmulator, make_device: MakeDevice
) -> None:
    emulator = make_emulator(pty, Protocol.D, (1, 2), replies=False)
    mute = make_device(pty.path, query_position=True, reply_timeout=0.1, domes=[{"address": 1}])
    other = make_device(pty.path, domes=[{"address": 2}])
    started = time.monotonic()
    with pytest.raises(DeviceUnavailable, match="dome 1 did not answer"):
        mute.ptz(0, ContinuousMove(pan=0.5))
    assert time.monotonic() - started < 1.0
    # The move itself went out, and the other dome on the bus is served at once.
    other.ptz(0, ContinuousMove(tilt=0.5))
    assert emulator.wait_for(lambda e: e.dome(2).moving and e.dome(1).moving)


def test_a_continuous_move_stops_after_its_timeout(
    pty: Pty, make_emulator: MakeEmulator, make_device: MakeDevice
) -> None:
    emulator = make_emulator(pty, Protocol.D, (1,))
    device = make_device(pty.path)
    status = device.ptz(0, ContinuousMove(pan=1, timeout=0.05))
    assert status.moving
    assert emulator.wait_for(lambda e: not e.dome(1).moving and e.counters.frames == 2)
    assert emulator.dome(1).commands[-1] == STOP
    # A newer command cancels the pending stop.
    device.ptz(0, ContinuousMove(tilt=1, timeout=0.05))
    device.ptz(0, ContinuousMove(tilt=-1))
    time.sleep(0.15)
    assert emulator.dome(1).moving and emulator.snapshot().frames == 4


def test_closed_device(pty: Pty, make_device: MakeDevice) -> None:
    device = make_device(pty.path)
    device.close()
    device.close()
    with pytest.raises(DeviceUnavailable, match="closed"):
        device.ptz(0, PtzStop())


def test_presets_are_remembered_across_restarts(
    pty: Pty, make_emulator: MakeEmulator, make_device: MakeDevice, context: PluginContext
) -> None:
    make_emulator(pty, Protocol.D, (1, 2))
    domes = [{"address": 1}, {"address": 2}]
    device = make_device(pty.path, domes=domes)
    device.ptz(0, SetPreset("7"))
    device.ptz(0, SetPreset("2"))
    device.ptz(1, SetPreset("9"))
    device.ptz(0, ClearPreset("7"))
    device.close()
    again = make_device(pty.path, domes=domes)
    assert again.ptz(0, PtzStop()).presets == ("2",)
    assert again.ptz(1, PtzStop()).presets == ("9",)
    again.close()
    (context.data_dir / "presets.json").write_text("{not json")
    fresh = make_device(pty.path, domes=domes)
    assert fresh.ptz(0, PtzStop()).presets == ()


def test_refused_commands_presets_and_aux_keep_a_pending_stop(
    pty: Pty, make_emulator: MakeEmulator, make_device: MakeDevice
) -> None:
    emulator = make_emulator(pty, Protocol.D, (1,))
    device = make_device(pty.path, domes=[{"address": 1, "aux_outputs": 1}])
    device.ptz(0, ContinuousMove(pan=1, timeout=0.1))
    with pytest.raises(Unsupported):
        device.ptz(0, AbsoluteMove(PtzPosition()))
    device.ptz(0, SetPreset("5"))
    device.set_output("aux1", True)
    assert emulator.wait_for(lambda e: e.counters.frames == 4 and not e.dome(1).moving)
    assert emulator.dome(1).commands[-1] == STOP
