"""End to end: the node's real recorder worker records this driver's stream, loses the
camera, reconnects by itself and records a second session from a keyframe."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from argus.node.backoff import Backoff
from argus.node.recorder import StreamState, StreamWorker
from argus.testing.rtsp import RtspServer
from argus_driver_rtsp.device import open_camera
from argus_driver_rtsp.settings import RtspCameraSettings
from argus_sdk import Event, EventPhase, PluginContext, StreamDescription, StreamPacket

PATIENCE = 20.0
Settings = Callable[..., RtspCameraSettings]
WaitUntil = Callable[..., bool]


class ListWriter:
    """A StorageWriter keeping one recording session in memory."""

    def __init__(self, description: StreamDescription) -> None:
        self.description = description
        self.packets: list[StreamPacket] = []
        self.closed = False

    def write(self, packet: StreamPacket) -> None:
        self.packets.append(packet)

    def close(self) -> None:
        self.closed = True

    def video(self) -> list[StreamPacket]:
        return [p for p in self.packets if p.track == 0]


def test_recorder_reconnects_by_itself_and_restarts_at_a_keyframe(
    own_server: RtspServer, settings_for: Settings, context: PluginContext, wait_until: WaitUntil
) -> None:
    camera = open_camera(settings_for(own_server, "/h264-aac"), context)
    writers: list[ListWriter] = []
    events: list[Event] = []

    def open_writer(description: StreamDescription) -> ListWriter:
        writers.append(ListWriter(description))
        return writers[-1]

    worker = StreamWorker(
        "cam-1",
        "main",
        lambda: camera.open_stream(0, "main"),
        open_writer,
        events.append,
        stall_timeout=5.0,
        backoff=Backoff(initial=0.2, cap=1.0),
    )
    worker.start()
    try:
        assert wait_until(lambda: writers and len(writers[0].video()) >= 75, PATIENCE)  # 3 s
        own_server.kill()
        assert wait_until(lambda: writers[0].closed, PATIENCE)
        assert wait_until(lambda: worker.stats.state is StreamState.RECONNECTING, PATIENCE)
        own_server.start()
        assert wait_until(lambda: len(writers) == 2 and len(writers[1].video()) >= 25, PATIENCE)
    finally:
        worker.stop(PATIENCE)
        camera.close()
    assert worker.stats.state is StreamState.STOPPED
    first, second = writers
    for session in (first, second):
        assert session.closed and session.packets[0].track == 0 and session.packets[0].keyframe
        assert {p.track for p in session.packets} == {0, 1}  # video and AAC
        for track in (0, 1):
            mine = [p for p in session.packets if p.track == track]
            assert all(b.dts > a.dts for a, b in itertools.pairwise(mine))
            assert all(b.wall_time > a.wall_time for a, b in itertools.pairwise(mine))
    assert second.video()[0].wall_time > first.video()[-1].wall_time
    assert worker.stats.connects == 2
    offline = [e for e in events if e.topic == "argus.camera.offline"]
    assert [e.phase for e in offline] == [EventPhase.START, EventPhase.END]
    assert "rtsp://127.0.0.1" in offline[0].data["reason"]
