"""The recorder's gate: pre-event buffer, start at a keyframe, close when inactive."""

from __future__ import annotations

from pathlib import Path

from argus.node.policy import EventTriggered
from argus.node.recorder import Gate, StreamStats
from argus_driver_sim.device import open_camera
from argus_driver_sim.settings import SimCameraSettings
from argus_sdk import Event, EventPhase, EventSource, PluginContext, StreamPacket
from argus_sdk.testing import ManualClock


class ListWriter:
    def __init__(self) -> None:
        self.packets: list[StreamPacket] = []
        self.closed = False

    def write(self, packet: StreamPacket) -> None:
        self.packets.append(packet)

    def close(self) -> None:
        self.closed = True


def test_an_event_writes_the_buffer_from_a_keyframe_then_stops_after_post_time(
    tmp_path: Path,
) -> None:
    clock = ManualClock()
    settings = SimCameraSettings(
        main_profile="360p", sub_profile=None, loop_seconds=2, name="Gate", inputs=[], outputs=[]
    )
    camera = open_camera(settings, PluginContext("dock", clock=clock, cache_dir=tmp_path))
    source = camera.open_stream(0, "main")
    policy = EventTriggered("dock", ["argus.io.input"], pre=3.0, post=2.0)
    writers: list[ListWriter] = []

    def open_writer(_description: object) -> ListWriter:
        writers.append(ListWriter())
        return writers[-1]

    gate = Gate(policy, open_writer, source.description, StreamStats())
    start = clock.now()
    trigger_at = start + 9.5
    event = Event(
        "argus.io.input",
        EventSource("input", "dock:door"),
        EventPhase.PULSE,
        device_time=trigger_at,
    )
    fired = False
    while clock.now() < start + 16:
        packet = source.read(1.0)
        assert packet is not None
        if not fired and packet.wall_time >= trigger_at:
            policy.on_event(event)
            fired = True
        gate.feed(packet)
    gate.close()
    camera.close()

    assert len(writers) == 1 and writers[0].closed
    written = writers[0].packets
    assert written[0].keyframe
    # The buffer holds whole GOPs covering at least 3 s before the trigger (GOP = 2 s).
    assert trigger_at - 5.0 <= written[0].wall_time <= trigger_at - 3.0
    assert written[-1].wall_time < trigger_at + 2.0 + 0.05
    assert written[-1].wall_time >= trigger_at + 2.0 - 0.05
    times = [p.wall_time for p in written]
    assert times == sorted(times)
