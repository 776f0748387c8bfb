"""The checks of camera and encoder drivers. Each fails with a message saying what is wrong."""

from __future__ import annotations

import functools
import itertools
import time
from collections.abc import Callable, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from argus_sdk._device import (
    AbsoluteMove,
    ChannelDescription,
    ClearPreset,
    ContinuousMove,
    DeviceDescription,
    DiscoveredDevice,
    GotoHome,
    GotoPreset,
    IoPort,
    LensMove,
    PtzCapabilities,
    PtzCommand,
    PtzPosition,
    PtzStatus,
    PtzStop,
    RelativeMove,
    SetPreset,
)
from argus_sdk._drivers import CameraDriver
from argus_sdk._errors import DeviceUnavailable, InvalidRequest, Unsupported
from argus_sdk._media import ChannelKind, StreamDescription, StreamPacket
from argus_sdk.conformance._device import DeviceUnderTest, DriverType
from argus_sdk.conformance._failures import expect_error, fail, require, sdk_call
from argus_sdk.conformance._resources import Snapshot, leaks_after
from argus_sdk.conformance._streams import (
    ANNEX_B,
    decode,
    first_keyframe,
    opened,
    read_run,
    streams_of,
)

DISCOVERY_TIMEOUT = 5.0
#: A packet's wall_time further than this from the clock at open is not a UTC time.
WALL_TIME_SLACK = 86_400.0
_PRESET = "argus-conformance"
T = TypeVar("T")


def check_driver_type(dtype: DriverType) -> None:
    """The driver type is named and titled, and its settings model documents every field."""
    require(bool(dtype.name.strip()), "the driver type's name is empty")
    require(bool(dtype.title.strip()), f"driver type {dtype.name!r} has an empty title")
    require(
        isinstance(dtype.settings, type) and issubclass(dtype.settings, BaseModel),
        f"driver type {dtype.name!r}: settings must be a pydantic model class",
    )
    for name, info in dtype.settings.model_fields.items():
        missing = [k for k in ("title", "description") if not getattr(info, k)]
        require(
            not missing,
            f"{dtype.settings.__name__}.{name} has no {' and no '.join(missing)}: give every "
            "settings field Field(title=…, description=…), the System Manager form shows them",
        )


def check_discovery(module: Any | None) -> str:
    """When the plugin ``module`` implements ``argus_camera_discover``, it returns
    well-formed results in time. Returns what was found, for the report."""
    discover = getattr(module, "argus_camera_discover", None)
    if discover is None:
        return "the plugin offers no discovery (argus_camera_discover): nothing to check"
    started = time.monotonic()
    found = sdk_call(
        f"argus_camera_discover(timeout={DISCOVERY_TIMEOUT})", lambda: discover(DISCOVERY_TIMEOUT)
    )
    took = time.monotonic() - started
    require(
        took <= DISCOVERY_TIMEOUT + 1.0,
        f"argus_camera_discover(timeout={DISCOVERY_TIMEOUT}) took {took:.1f} s; "
        "it must return within its timeout",
    )
    require(
        isinstance(found, list | tuple),
        f"argus_camera_discover returned a {type(found).__name__}, not a list of DiscoveredDevice",
    )
    for i, item in enumerate(found):
        where = f"argus_camera_discover()[{i}]"
        require(
            isinstance(item, DiscoveredDevice),
            f"{where} is a {type(item).__name__}, not a DiscoveredDevice",
        )
        require(bool(item.address.strip()), f"{where} has an empty address")
        require(bool(item.driver.strip()), f"{where} names no driver")
    return f"discovery found {len(found)} device(s) in {took:.1f} s"


def check_describe(driver: CameraDriver) -> DeviceDescription:
    """``describe()`` is well-formed and stable; returns it."""
    desc = sdk_call("describe()", driver.describe)
    require(
        isinstance(desc, DeviceDescription),
        f"describe() returned a {type(desc).__name__}, not a DeviceDescription",
    )
    require(bool(desc.vendor.strip()), "describe().vendor is empty")
    require(bool(desc.model.strip()), "describe().model is empty")
    require(bool(desc.channels), "describe() declares no channel: a camera has at least one")
    indices = [c.index for c in desc.channels]
    require(
        indices == list(range(len(indices))),
        f"describe() channel indices are {indices}; they must be 0, 1, … in order",
    )
    for ch in desc.channels:
        _check_channel(ch)
    ids = [p.id for p in desc.io_ports]
    require(len(set(ids)) == len(ids), f"describe() repeats I/O port ids: {ids}")
    require(all(ids), "describe() has an I/O port with an empty id")
    again = sdk_call("describe() (a second time)", driver.describe)
    require(
        again == desc,
        "describe() changed between two calls on an unchanged device:\n"
        f"  first:  {desc}\n  second: {again}",
    )
    return desc


def _check_channel(ch: ChannelDescription) -> None:
    where = f"describe() channel {ch.index} ({ch.name!r})"
    require(isinstance(ch, ChannelDescription), f"{where} is not a ChannelDescription")
    require(
        bool(ch.streams) or ch.ptz is not None,
        f"{where} declares no stream and no PTZ (a channel without video must at least "
        "be steerable, like an analogue dome behind an encoder)",
    )
    names = [s.name for s in ch.streams]
    require(len(set(names)) == len(names), f"{where} repeats stream names: {names}")
    for s in ch.streams:
        what = f"{where} stream {s.name!r}"
        require(bool(s.name.strip()), f"{where} has a stream with an empty name")
        require(bool(s.codec), f"{what} has no codec (an FFmpeg name such as 'h264')")
        require(s.width > 0 and s.height > 0, f"{what} has size {s.width}x{s.height}")
        require(
            isinstance(s.frame_rate, Fraction | int) and s.frame_rate > 0,
            f"{what} has frame rate {s.frame_rate!r}; give a positive Fraction",
        )
    require(
        ch.ptz is None or isinstance(ch.ptz, PtzCapabilities),
        f"{where}.ptz is a {type(ch.ptz).__name__}: None or PtzCapabilities",
    )


def check_stream_opens(
    device: DeviceUnderTest, driver: CameraDriver, channel: int, name: str
) -> str:
    """The stream opens, describes its tracks and delivers a keyframe first, in time."""
    where = f"stream {name!r} of channel {channel}"
    started = time.monotonic()
    with opened(driver, channel, name) as source:
        description = sdk_call(f"{where}: description", lambda: source.description)
        _check_stream_description(description, name, where)
        packets = first_keyframe(source, device.keyframe_timeout, where)
        for p in packets:
            _check_packet(p, description, where)
    return f"{where}: keyframe after {time.monotonic() - started:.2f} s"


def _check_stream_description(d: StreamDescription, name: str, where: str) -> None:
    require(
        isinstance(d, StreamDescription),
        f"{where}: description is a {type(d).__name__}, not a StreamDescription",
    )
    require(d.name == name, f"{where}: description.name is {d.name!r}, not {name!r}")
    require(bool(d.tracks), f"{where}: the description has no tracks")
    require(
        d.tracks[0].kind is ChannelKind.VIDEO,
        f"{where}: the first track is {d.tracks[0].kind}; video comes first",
    )
    indices = [t.index for t in d.tracks]
    require(len(set(indices)) == len(indices), f"{where}: track indices repeat: {indices}")
    for t in d.tracks:
        require(
            isinstance(t.time_base, Fraction) and t.time_base > 0,
            f"{where}: track {t.index} has time base {t.time_base!r}; give a positive Fraction",
        )


def _check_packet(p: StreamPacket, d: StreamDescription, where: str) -> None:
    tracks = {t.index: t for t in d.tracks}
    require(p.track in tracks, f"{where}: a packet names track {p.track}, not in {list(tracks)}")
    track = tracks[p.track]
    what = f"{where}: a packet of track {p.track} (pts {p.pts})"
    require(isinstance(p.data, bytes) and bool(p.data), f"{what} has no data (bytes)")
    require(
        p.time_base == track.time_base,
        f"{what} has time base {p.time_base}, its track {track.time_base}",
    )
    require(p.duration >= 0, f"{what} has a negative duration {p.duration}")
    if track.kind is ChannelKind.TEXT:
        try:
            p.data.decode("utf-8")
        except UnicodeDecodeError:
            fail(f"{what}: a text track's packets are UTF-8 text")


def check_timestamps(device: DeviceUnderTest, driver: CameraDriver, channel: int, name: str) -> str:
    """Per track: dts strictly increasing, pts ≥ dts, wall_time monotonic in pts order and UTC."""
    where = f"stream {name!r} of channel {channel}"
    opened_at = device.clock.now()
    with opened(driver, channel, name) as source:
        description = source.description
        packets = read_run(source, device.packets, device.keyframe_timeout, where)
    by_track: dict[int, list[StreamPacket]] = {}
    for p in packets:
        _check_packet(p, description, where)
        by_track.setdefault(p.track, []).append(p)
    for track, run in by_track.items():
        what = f"{where}, track {track}"
        for prev, cur in itertools.pairwise(run):
            require(
                cur.dts > prev.dts,
                f"{what}: dts went from {prev.dts} to {cur.dts}; it must increase with every "
                "packet for the life of a connection",
            )
        for p in run:
            require(p.pts >= p.dts, f"{what}: pts {p.pts} < dts {p.dts}")
            require(
                abs(p.wall_time - opened_at) < WALL_TIME_SLACK,
                f"{what}: wall_time {p.wall_time} is not UTC seconds near the clock's "
                f"{opened_at} (derive it from context.clock, advanced with the media time)",
            )
        ordered = sorted(run, key=lambda p: p.pts)
        for prev, cur in itertools.pairwise(ordered):
            require(
                cur.wall_time >= prev.wall_time,
                f"{what}: wall_time went back from {prev.wall_time} (pts {prev.pts}) to "
                f"{cur.wall_time} (pts {cur.pts}); it follows the media time",
            )
    return f"{where}: {len(packets)} packets on {len(by_track)} track(s) in order"


def check_codec_parameters(
    device: DeviceUnderTest, driver: CameraDriver, desc: DeviceDescription, channel: int, name: str
) -> str:
    """Codec parameters are present, match ``describe()``, and decode the first keyframe."""
    where = f"stream {name!r} of channel {channel}"
    profile = next(s for s in desc.channels[channel].streams if s.name == name)
    with opened(driver, channel, name) as source:
        d = source.description
        packets = read_run(source, 8 * len(d.tracks), device.keyframe_timeout, where)
    video = d.video
    assert video is not None
    require(
        video.codec == profile.codec,
        f"{where}: describe() says codec {profile.codec!r}, the open stream {video.codec!r}",
    )
    require(
        (video.width, video.height) == (profile.width, profile.height),
        f"{where}: describe() says {profile.width}x{profile.height}, the open stream's "
        f"video track {video.width}x{video.height}",
    )
    if video.codec in ("h264", "hevc"):
        require(
            video.extradata.startswith(ANNEX_B),
            f"{where}: {video.codec} extradata must be the parameter sets in Annex B form "
            f"(start codes); it is {video.extradata[:8]!r}…",
        )
    keyframe = next(p for p in packets if p.track == video.index and p.keyframe)
    frames = _decoded(video, [keyframe], where)
    require(bool(frames), f"{where}: the first keyframe decodes to no picture with extradata")
    size = (frames[0].width, frames[0].height)
    require(
        size == (video.width, video.height),
        f"{where}: the keyframe decodes to {size[0]}x{size[1]}, the track says "
        f"{video.width}x{video.height}",
    )
    summary = f"{where}: {video.codec} {size[0]}x{size[1]} decodes"
    audio = d.audio
    if audio is not None:
        require(
            audio.sample_rate > 0 and audio.audio_channels > 0,
            f"{where}: audio track {audio.index} ({audio.codec}) needs sample_rate and "
            f"audio_channels; it has {audio.sample_rate} Hz, {audio.audio_channels} channels",
        )
        if audio.codec == "aac":
            require(bool(audio.extradata), f"{where}: AAC needs its AudioSpecificConfig")
        samples = [p for p in packets if p.track == audio.index]
        if samples:
            require(
                bool(_decoded(audio, samples, where)),
                f"{where}: the audio packets decode to nothing",
            )
            summary += f", {audio.codec} decodes"
    return summary


def _decoded(track: Any, packets: list[StreamPacket], where: str) -> list[Any]:
    try:
        return decode(track, packets)
    except Exception as exc:  # noqa: BLE001 - reported to the developer, with its type
        fail(
            f"{where}: FFmpeg cannot decode track {track.index} ({track.codec}) from its "
            f"description and packets: {type(exc).__name__}: {exc}"
        )


def check_disconnect(device: DeviceUnderTest, driver: CameraDriver, channel: int, name: str) -> str:
    """A drop is reported as ``DeviceUnavailable``; reopening then delivers a keyframe again."""
    assert device.drop is not None
    where = f"stream {name!r} of channel {channel}"
    timeout = device.keyframe_timeout
    with opened(driver, channel, name) as source:
        first_keyframe(source, timeout, where)
        device.drop(driver)
        deadline = time.monotonic() + timeout
        while True:
            require(
                time.monotonic() < deadline,
                f"{where}: the device dropped, but read() did not raise DeviceUnavailable "
                f"within {timeout:g} s (it must, so the host reconnects)",
            )
            try:
                source.read(0.5)
            except DeviceUnavailable:
                break
            except Exception as exc:  # noqa: BLE001 - reported to the developer
                fail(
                    f"{where}: after the device dropped, read() raised {type(exc).__name__}"
                    f"({exc}); it must raise DeviceUnavailable"
                )
    if device.restore is not None:
        device.restore(driver)
    source, attempts = _once_back(
        functools.partial(driver.open_stream, channel, name),
        2 * timeout,
        f"{where}: open_stream still raises DeviceUnavailable {2 * timeout:g} s "
        "after the device came back; reconnection must work on the same driver",
        f"{where}: reopening after a drop raised",
    )
    try:
        first_keyframe(source, timeout, f"{where} (reopened)")
    finally:
        source.close()
    return f"{where}: DeviceUnavailable on drop, keyframe again after {attempts} open(s)"


def check_disconnect_ptz(device: DeviceUnderTest, driver: CameraDriver, channel: int) -> str:
    """For a device without streams (a PTZ-only dome): a drop makes PTZ commands raise
    ``DeviceUnavailable``, and they work again once the device is back."""
    assert device.drop is not None
    where = f"ptz({channel}, PtzStop()) on channel {channel}"
    timeout = device.keyframe_timeout
    sdk_call(where, functools.partial(driver.ptz, channel, PtzStop()))
    device.drop(driver)
    expect_error(
        DeviceUnavailable,
        f"{where} after the device dropped",
        functools.partial(driver.ptz, channel, PtzStop()),
        "so the host knows the device is gone",
    )
    if device.restore is not None:
        device.restore(driver)
    _once_back(
        functools.partial(driver.ptz, channel, PtzStop()),
        2 * timeout,
        f"{where} still raises DeviceUnavailable {2 * timeout:g} s after the device "
        "came back; reconnection must work on the same driver",
        f"{where}: after the device came back it raised",
    )
    return f"{where}: DeviceUnavailable on drop, works again after it came back"


def _once_back(
    call: Callable[[], T], within: float, still_unavailable: str, raised: str
) -> tuple[T, int]:
    """Retry ``call`` while it raises ``DeviceUnavailable``, for at most ``within`` seconds
    (then fail with ``still_unavailable``); its result and the number of attempts."""
    deadline = time.monotonic() + within
    attempts = 0
    while True:
        attempts += 1
        try:
            return call(), attempts
        except DeviceUnavailable:
            require(time.monotonic() < deadline, still_unavailable)
            time.sleep(0.2)
        except Exception as exc:  # noqa: BLE001 - reported to the developer
            fail(f"{raised} {type(exc).__name__}({exc})")


def _preset_name(caps: PtzCapabilities) -> str:
    """A preset the checks may overwrite: the device's last number when it numbers its
    presets (``max_presets``), else a name of the kit's own."""
    return str(caps.max_presets) if caps.max_presets > 0 else _PRESET


def _ptz_commands(caps: PtzCapabilities) -> list[tuple[bool, str, list[PtzCommand]]]:
    """(declared, capability, commands that exercise it)."""
    preset = _preset_name(caps)
    return [
        (caps.continuous, "continuous", [ContinuousMove(pan=0.1, timeout=0.5), PtzStop()]),
        (caps.absolute, "absolute", [AbsoluteMove(PtzPosition(0.25, -0.25, 0.5))]),
        (caps.relative, "relative", [RelativeMove(pan=-0.05, tilt=0.05)]),
        (
            caps.presets,
            "presets",
            [SetPreset(preset, "Conformance"), GotoPreset(preset), ClearPreset(preset)],
        ),
        (caps.home, "home", [GotoHome()]),
        # PtzStop ends a lens move; without the capability only the move must be refused.
        (caps.focus, "focus", [LensMove(focus=0.2, timeout=0.5), *[PtzStop()] * caps.focus]),
        (caps.iris, "iris", [LensMove(iris=0.2, timeout=0.5), *[PtzStop()] * caps.iris]),
    ]


def check_ptz(driver: CameraDriver, desc: DeviceDescription) -> str:
    """Every declared PTZ capability works; every undeclared one raises ``Unsupported``."""
    done: list[str] = []
    for ch in desc.channels:
        caps = ch.ptz or PtzCapabilities()
        declared = "declared" if ch.ptz is not None else "no PTZ declared"
        for has, capability, commands in _ptz_commands(caps):
            for command in commands:
                what = f"channel {ch.index} ({declared}): ptz({ch.index}, {command!r})"
                if has:
                    status = sdk_call(what, functools.partial(driver.ptz, ch.index, command))
                    require(
                        isinstance(status, PtzStatus),
                        f"{what} returned a {type(status).__name__}, not a PtzStatus",
                    )
                else:
                    expect_error(
                        Unsupported,
                        what,
                        functools.partial(driver.ptz, ch.index, command),
                        f"because capability {capability!r} is not declared",
                    )
        if caps.presets:
            expect_error(
                InvalidRequest,
                f"channel {ch.index}: ptz({ch.index}, GotoPreset('no-such-preset'))",
                functools.partial(
                    driver.ptz,
                    ch.index,
                    GotoPreset(
                        str(caps.max_presets + 1)
                        if caps.max_presets > 0
                        else "argus-conformance-no-such-preset"
                    ),
                ),
                "for a preset that does not exist",
            )
        done.append(f"channel {ch.index}: {_caps_text(ch.ptz)}")
    missing = len(desc.channels)
    if any(ch.ptz is not None for ch in desc.channels):
        # A device without any PTZ may answer Unsupported for every channel.
        expect_error(
            InvalidRequest,
            f"ptz({missing}, GotoHome())",
            lambda: driver.ptz(missing, GotoHome()),
            f"because the device has no channel {missing}",
        )
    return "; ".join(done)


def _caps_text(caps: PtzCapabilities | None) -> str:
    if caps is None:
        return "no PTZ, every command Unsupported"
    names = [
        n for n in ("continuous", "absolute", "relative", "presets", "home") if getattr(caps, n)
    ]
    return "PTZ " + ", ".join(names)


def check_io(device: DeviceUnderTest, driver: CameraDriver, desc: DeviceDescription) -> str:
    """Declared outputs switch and publish ``argus.io.output``; inputs report their state;
    undeclared I/O raises ``Unsupported`` (none at all) or ``InvalidRequest`` (unknown port)."""
    states = sdk_call("input_states()", driver.input_states)
    require(isinstance(states, Mapping), f"input_states() returned a {type(states).__name__}")
    inputs = {p.id for p in desc.inputs}
    require(
        set(states) == inputs,
        f"input_states() has ports {sorted(states)}; describe() declares inputs {sorted(inputs)}",
    )
    for key, state in states.items():
        require(isinstance(state, bool), f"input_states()[{key!r}] is {state!r}, not a bool")
    for port in desc.outputs:
        _check_output(device, driver, port)
    unknown = "argus-conformance-no-such-port"
    error, why = (
        (InvalidRequest, "for a port describe() does not declare")
        if desc.outputs
        else (Unsupported, "because describe() declares no output")
    )
    expect_error(
        error, f"set_output({unknown!r}, True)", lambda: driver.set_output(unknown, True), why
    )
    serial = _check_serial(driver, desc)
    return f"{len(inputs)} input(s), {len(desc.outputs)} output(s){serial}"


def _check_output(device: DeviceUnderTest, driver: CameraDriver, port: IoPort) -> None:
    sdk_call(f"set_output({port.id!r}, False)", lambda: driver.set_output(port.id, False))
    before = len(device.events)
    sdk_call(f"set_output({port.id!r}, True)", lambda: driver.set_output(port.id, True))
    deadline = time.monotonic() + 2.0
    while not any(e.topic == "argus.io.output" for e in device.events[before:]):
        require(
            time.monotonic() < deadline,
            f"set_output({port.id!r}, True) switched the output but published no "
            "'argus.io.output' event through context.publish",
        )
        time.sleep(0.02)
    sdk_call(f"set_output({port.id!r}, False)", lambda: driver.set_output(port.id, False))


def _check_serial(driver: Any, desc: DeviceDescription) -> str:
    open_serial: Callable[[str], Any] | None = getattr(driver, "open_serial", None)
    if open_serial is None:
        return ""
    for name in desc.serial_ports:
        port = sdk_call(f"open_serial({name!r})", functools.partial(open_serial, name))
        port.close()
    unknown = "argus-conformance-no-such-port"
    error = InvalidRequest if desc.serial_ports else Unsupported
    expect_error(
        error,
        f"open_serial({unknown!r})",
        lambda: open_serial(unknown),
        "for a serial port describe() does not declare",
    )
    return f", {len(desc.serial_ports)} serial port(s)"


def check_close(device: DeviceUnderTest, folder: Path) -> str:
    """``close()`` ends every thread and socket the driver and its streams made; idempotent."""

    def cycle(leave_one_open: bool) -> int:
        driver = device.open(folder)
        try:
            desc = check_describe(driver)
            sources = []
            for channel, name in streams_of(desc):
                source = sdk_call(
                    f"open_stream({channel}, {name!r})",
                    functools.partial(driver.open_stream, channel, name),
                )
                sources.append(source)
                first_keyframe(
                    source, device.keyframe_timeout, f"stream {name!r} of channel {channel}"
                )
            for source in sources[:-1] if leave_one_open else sources:
                source.close()
                source.close()
        finally:
            sdk_call("close()", driver.close)
        sdk_call("close() a second time", driver.close)
        return len(sources)

    cycle(leave_one_open=False)  # warms up what a process loads once (codecs, caches)
    before = Snapshot.take()
    count = cycle(leave_one_open=True)
    leaks = leaks_after(before, device.close_grace)
    require(
        not leaks,
        f"{len(leaks)} thing(s) still open {device.close_grace:g} s after close() (one of "
        f"{count} streams was left open for close() to release):\n  " + "\n  ".join(leaks),
    )
    return f"{count} stream(s) opened, everything released by close()"
