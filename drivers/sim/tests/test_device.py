from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from argus_driver_sim.device import SimCamera, open_camera, open_encoder
from argus_driver_sim.settings import (
    ChannelSettings,
    InputScript,
    InputSettings,
    SimCameraSettings,
    SimEncoderSettings,
)
from argus_sdk import (
    AbsoluteMove,
    CameraDriver,
    ConfigurationError,
    DeviceUnavailable,
    EncoderDriver,
    Event,
    GotoHome,
    InvalidRequest,
    IoDirection,
    PacketSource,
    PluginContext,
    PtzPosition,
    SerialPort,
    StreamPacket,
    TrackDescription,
    Unsupported,
)
from argus_sdk.testing import ManualClock

Decode = Callable[[TrackDescription, Sequence[StreamPacket]], list[npt.NDArray[np.uint8]]]
GOP = 50


def read(source: PacketSource, count: int) -> list[StreamPacket]:
    packets = [source.read(1.0) for _ in range(count)]
    assert all(p is not None for p in packets)
    return [p for p in packets if p is not None]


def camera(context: PluginContext, small: SimCameraSettings, **changes: object) -> SimCamera:
    return open_camera(small.model_copy(update=changes), context)


def test_camera_describes_itself(context: PluginContext) -> None:
    settings = SimCameraSettings(name="Lobby", audio=True, ptz=True, fps=15)
    cam = open_camera(settings, context)
    assert isinstance(cam, CameraDriver)
    d = cam.describe()
    assert (d.vendor, d.model, d.firmware) == ("Argus", "Simulated camera", "0.1.0")
    assert d.serial_number.startswith("SIM-")
    (channel,) = d.channels
    assert channel.name == "Lobby"
    main, sub = channel.streams
    assert (main.name, main.codec, main.width, main.height) == ("main", "h264", 1920, 1080)
    assert (sub.name, sub.width, sub.height) == ("sub", 640, 360)
    assert main.frame_rate == Fraction(15) and main.audio_codec == "aac"
    assert channel.ptz is not None and channel.ptz.absolute and channel.ptz.continuous
    assert [(p.id, p.direction) for p in d.io_ports] == [
        ("in1", IoDirection.INPUT),
        ("out1", IoDirection.OUTPUT),
    ]
    assert d.serial_ports == ()
    cam.close()


def test_stream_decodes_at_the_profile_size(
    context: PluginContext, small: SimCameraSettings, decode_video: Decode
) -> None:
    cam = camera(context, small)
    source = cam.open_stream(0, "main")
    packets = read(source, 2 * GOP + 10)
    assert packets[0].keyframe
    video = source.description.video
    assert video is not None
    lumas = decode_video(video, packets)
    assert len(lumas) == len(packets)
    assert lumas[0].shape == (360, 640)
    cam.close()


def test_unknown_channel_or_stream_is_a_configuration_error(
    context: PluginContext, small: SimCameraSettings
) -> None:
    cam = camera(context, small)
    with pytest.raises(InvalidRequest):
        cam.open_stream(0, "sub")  # the small camera has no sub stream
    with pytest.raises(InvalidRequest):
        cam.open_stream(1, "main")


def test_cameras_with_the_same_settings_share_one_clip(
    clock: ManualClock, small: SimCameraSettings, cache_dir: Path
) -> None:
    def stream(owner: str, settings: SimCameraSettings) -> PacketSource:
        ctx = PluginContext(owner=owner, clock=clock, cache_dir=cache_dir)
        return open_camera(settings, ctx).open_stream(0, "main")

    sources = [stream(f"cam-{n}", small) for n in range(3)]
    other = stream("cam-x", small.model_copy(update={"name": "T2"}))
    first = [read(s, 1)[0].data for s in sources]
    assert first[0] is first[1] is first[2]
    assert read(other, 1)[0].data is not first[0]


def mean_luma_change(a: npt.NDArray[np.uint8], b: npt.NDArray[np.uint8]) -> float:
    return float(np.abs(a.astype(int) - b.astype(int)).mean())


def test_ptz_absolute_move_changes_the_picture_at_a_keyframe(
    context: PluginContext, small: SimCameraSettings, decode_video: Decode
) -> None:
    cam = camera(context, small, ptz=True)
    source = cam.open_stream(0, "main")
    video = source.description.video
    assert video is not None
    before = read(source, 10)
    status = cam.ptz(0, AbsoluteMove(PtzPosition(pan=0.75, tilt=0.5, zoom=0.5)))
    assert status.position == PtzPosition(0.75, 0.5, 0.5)
    assert cam.wait_ptz_idle(60.0)
    after = read(source, 2 * GOP)
    packets = before + after
    assert [p.pts for p in packets] == [n * 3600 for n in range(len(packets))]
    assert packets[GOP].keyframe
    lumas = decode_video(video, packets)
    # Frames of one view differ only by the moving box, the clock and grain ...
    assert mean_luma_change(lumas[0], lumas[GOP - 1]) < 8
    # ... and the view switched at the first keyframe after the move.
    assert mean_luma_change(lumas[GOP - 1], lumas[GOP]) > 25
    assert mean_luma_change(lumas[GOP], lumas[2 * GOP - 1]) < 8
    cam.ptz(0, GotoHome())
    assert cam.wait_ptz_idle(60.0)
    rest = read(source, GOP)  # the stream is 10 packets into a GOP: the switch is 40 ahead
    assert rest[40].keyframe
    home = decode_video(video, rest[40:])
    assert mean_luma_change(home[0], lumas[0]) < 8
    cam.close()


def test_ptz_on_a_channel_without_ptz_is_unsupported(
    context: PluginContext, small: SimCameraSettings
) -> None:
    cam = camera(context, small)
    with pytest.raises(Unsupported):
        cam.ptz(0, GotoHome())


def test_input_script_publishes_start_and_end_with_one_id(
    context: PluginContext, small: SimCameraSettings, clock: ManualClock, events: list[Event]
) -> None:
    script = InputScript(active_seconds=1, period_seconds=4, offset_seconds=2)
    cam = camera(context, small, inputs=[InputSettings(id="door", script=script)])
    try:
        clock.advance(2.5)
        assert cam.input_states() == {"door": True}
        clock.advance(1.0)
        cam.poll_io()
        assert [(e.topic, e.source.id, e.phase) for e in events] == [
            ("argus.io.input", "cam-1:door", "start"),
            ("argus.io.input", "cam-1:door", "end"),
        ]
        assert events[0].id == events[1].id
    finally:
        cam.close()


def test_outputs_and_manual_inputs_publish_events(
    context: PluginContext, small: SimCameraSettings, events: list[Event]
) -> None:
    cam = camera(context, small)
    cam.set_output("out1", True)
    cam.set_input("in1", True)
    assert cam.input_states() == {"in1": True}
    assert cam.output_states() == {"out1": True}
    assert [(e.topic, e.source.kind, e.phase) for e in events] == [
        ("argus.io.output", "output", "start"),
        ("argus.io.input", "input", "start"),
    ]
    with pytest.raises(InvalidRequest):
        cam.set_output("out9", True)


def test_disconnect_drops_streams_and_reopen_works(
    context: PluginContext, small: SimCameraSettings, clock: ManualClock
) -> None:
    cam = camera(context, small)
    source = cam.open_stream(0, "main")
    read(source, 5)
    cam.disconnect(offline_seconds=3.0)
    with pytest.raises(DeviceUnavailable):
        source.read(1.0)
    with pytest.raises(DeviceUnavailable) as offline:
        cam.open_stream(0, "main")
    assert offline.value.retry_after == pytest.approx(3.0)
    clock.advance(3.0)
    again = cam.open_stream(0, "main")
    first = read(again, 3)
    assert first[0].keyframe and first[0].pts == 0
    source.close()


def test_drop_after_setting(
    context: PluginContext, small: SimCameraSettings, clock: ManualClock
) -> None:
    cam = camera(context, small, drop_after_seconds=0.5)
    source = cam.open_stream(0, "main")
    read(source, 13)
    with pytest.raises(DeviceUnavailable):
        source.read(1.0)
    assert read(cam.open_stream(0, "main"), 1)[0].keyframe


def test_close_closes_streams_and_is_idempotent(
    context: PluginContext, small: SimCameraSettings
) -> None:
    cam = camera(context, small, ptz=True)
    source = cam.open_stream(0, "main")
    cam.close()
    cam.close()
    with pytest.raises(DeviceUnavailable):
        source.read(1.0)
    with pytest.raises(DeviceUnavailable):
        cam.open_stream(0, "main")
    with pytest.raises(DeviceUnavailable):
        cam.input_states()


def test_settings_of_another_model_are_validated(context: PluginContext) -> None:
    from pydantic import BaseModel

    class Loose(BaseModel):
        name: str
        fps: int

    cam = open_camera(Loose(name="Other", fps=10), context)
    assert cam.describe().channels[0].name == "Other"
    with pytest.raises(ConfigurationError):
        open_camera(Loose(name="Other", fps=1000), context)


def encoder_settings(**changes: object) -> SimEncoderSettings:
    channel = ChannelSettings(main_profile="360p", sub_profile=None, loop_seconds=2)
    return SimEncoderSettings(name="Enc", channel_count=2, channel=channel).model_copy(
        update=changes
    )


def test_encoder_describes_channels_io_and_serial_ports(context: PluginContext) -> None:
    enc = open_encoder(encoder_settings(), context)
    assert isinstance(enc, EncoderDriver)
    d = enc.describe()
    assert (d.vendor, d.model) == ("Argus", "Simulated encoder")
    assert [(c.index, c.name) for c in d.channels] == [(0, "Enc ch1"), (1, "Enc ch2")]
    assert all(c.ptz is None for c in d.channels)
    assert d.serial_ports == ("rs485-1",)
    assert [p.id for p in d.inputs] == ["in1"] and [p.id for p in d.outputs] == ["out1"]
    enc.close()


def test_encoder_channels_stream_their_own_picture(
    context: PluginContext, decode_video: Decode
) -> None:
    enc = open_encoder(encoder_settings(), context)
    one, two = enc.open_stream(0, "main"), enc.open_stream(1, "main")
    p1, p2 = read(one, 1), read(two, 1)
    assert p1[0].keyframe and p2[0].keyframe
    assert p1[0].data != p2[0].data  # the channel name is drawn in
    video = two.description.video
    assert video is not None
    assert decode_video(video, p2)[0].shape == (360, 640)
    enc.close()


def test_encoder_serial_port_is_a_loopback(context: PluginContext) -> None:
    enc = open_encoder(encoder_settings(), context)
    port = enc.open_serial("rs485-1")
    assert isinstance(port, SerialPort)
    frame = bytes([0xFF, 0x01, 0x00, 0x04, 0x20, 0x00, 0x25])  # Pelco-D pan left
    port.write(frame)
    assert port.read(100, 1.0) == frame
    assert port.read(100, 0.01) == b""
    with pytest.raises(InvalidRequest):
        enc.open_serial("com9")
    enc.close()
    with pytest.raises(DeviceUnavailable):
        port.write(b"x")
