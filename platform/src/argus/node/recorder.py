"""Recorder workers: one thread per camera stream, wiring driver packets to a storage writer.

Video is never decoded here. The worker starts writing at a video keyframe,
reconnects with backoff when the device drops or stalls, and reports offline /
online as one ``argus.camera.offline`` event (start … end).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from argus.node.backoff import Backoff
from argus.node.policy import Continuous, RecordingPolicy
from argus.protocol import StreamState
from argus_sdk import (
    AuthenticationFailed,
    Clock,
    DeviceUnavailable,
    Event,
    EventPhase,
    EventSource,
    PacketSource,
    StorageWriter,
    StreamDescription,
    StreamPacket,
    SystemClock,
)

log = logging.getLogger("argus.node.recorder")

Tap = Callable[[StreamPacket], None]
OpenSource = Callable[[], PacketSource]
OpenWriter = Callable[[StreamDescription], StorageWriter]
Publish = Callable[[Event], None]

_NAP = 0.2  # longest uninterruptible wait while backing off


@dataclass
class StreamStats:
    """Counters read by status pages; written only by the worker thread."""

    state: StreamState = StreamState.STARTING
    packets: int = 0
    video_packets: int = 0
    bytes: int = 0
    keyframes: int = 0
    last_packet_wall: float | None = None
    connects: int = 0
    last_error: str = ""
    writing: bool = False
    written: int = 0


class Gate:
    """Decides which packets reach storage, per the recording policy.

    Writing always starts at a video keyframe: from the pre-event buffer when
    there is one (whole GOPs covering at least ``pre_seconds``), otherwise at
    the next keyframe. When the policy turns inactive the writer is closed, so
    each recorded span is its own segment run.
    """

    def __init__(
        self,
        policy: RecordingPolicy,
        open_writer: OpenWriter,
        description: StreamDescription,
        stats: StreamStats,
    ) -> None:
        self._policy, self._open_writer, self._description = policy, open_writer, description
        self._stats = stats
        video = description.video
        self._video = video.index if video is not None else None
        self._writer: StorageWriter | None = None
        self._gops: list[list[StreamPacket]] = []

    def feed(self, packet: StreamPacket) -> None:
        starts_gop = packet.keyframe and packet.track == self._video
        if self._policy.active(packet.wall_time):
            if self._writer is None and not self._start(starts_gop):
                return
            assert self._writer is not None
            self._writer.write(packet)
            self._stats.written += 1
        else:
            self.close()
            if self._policy.pre_seconds > 0:
                self._buffer(packet, starts_gop)

    def _start(self, starts_gop: bool) -> bool:
        buffered = [p for gop in self._gops for p in gop]
        self._gops = []
        if not buffered and not starts_gop and self._video is not None:
            return False  # wait for a keyframe
        self._writer = self._open_writer(self._description)
        self._stats.writing = True
        for p in buffered:
            self._writer.write(p)
        self._stats.written += len(buffered)
        return True

    def _buffer(self, packet: StreamPacket, starts_gop: bool) -> None:
        if starts_gop:
            self._gops.append([])
        if not self._gops:
            return  # before the first keyframe: nothing playable to keep
        self._gops[-1].append(packet)
        horizon = packet.wall_time - self._policy.pre_seconds
        while len(self._gops) > 1 and self._gops[1][0].wall_time <= horizon:
            self._gops.pop(0)

    def close(self) -> None:
        if self._writer is not None:
            writer, self._writer = self._writer, None
            self._stats.writing = False
            writer.close()


class StreamWorker:
    """Records one stream of one camera until :meth:`stop`.

    :param stall_timeout: seconds without any packet after which the connection
        is considered dead and reopened.
    """

    def __init__(
        self,
        camera: str,
        stream: str,
        open_source: OpenSource,
        open_writer: OpenWriter,
        publish: Publish,
        *,
        clock: Clock | None = None,
        stall_timeout: float = 10.0,
        backoff: Backoff | None = None,
        policy: RecordingPolicy | None = None,
    ) -> None:
        self.camera, self.stream = camera, stream
        self.stats = StreamStats()
        self._open_source, self._open_writer, self._publish = open_source, open_writer, publish
        self._clock = clock or SystemClock()
        self._stall_timeout = stall_timeout
        self._backoff = backoff or Backoff()
        self._policy: RecordingPolicy = policy or Continuous()
        self._taps: list[Tap] = []
        self.description: StreamDescription | None = None
        self._stopping = threading.Event()
        self._reanchor = threading.Event()
        self._offline_event: Event | None = None
        self._thread = threading.Thread(target=self.run, name=f"rec-{camera}-{stream}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def run(self) -> None:
        """The worker loop; runs on the worker's own thread (or the caller's, in tests)."""
        while not self._stopping.is_set():
            try:
                self._session()
            except AuthenticationFailed as exc:
                self._went_offline(StreamState.NEEDS_CREDENTIALS, exc)
                log.error("%s/%s: %s; waiting for new credentials", self.camera, self.stream, exc)
                self._pause(self._backoff.cap)
            except DeviceUnavailable as exc:
                self._went_offline(StreamState.RECONNECTING, exc)
                self._pause(self._backoff.next_delay(exc.retry_after))
        self.stats.state = StreamState.STOPPED

    def reanchor(self) -> None:
        """Reopen the stream at its next keyframe so that its timestamps are taken from the
        clock afresh (after the clock's correction changed); a gap of one reconnection."""
        self._reanchor.set()

    def add_tap(self, tap: Tap) -> None:
        """Also hand every packet to ``tap`` (live viewers); it must not block."""
        self._taps = [*self._taps, tap]

    def remove_tap(self, tap: Tap) -> None:
        self._taps = [t for t in self._taps if t != tap]  # bound methods: equal, not identical

    def recording_expected(self, wall: float) -> bool:
        """Whether the recording policy wants this stream written at ``wall``."""
        return self._policy.active(wall)

    def _session(self) -> None:
        source = self._open_source()
        try:
            self.description = source.description
            gate = Gate(self._policy, self._open_writer, source.description, self.stats)
            try:
                self._pump(source, gate)
            finally:
                gate.close()
        finally:
            source.close()

    def _pump(self, source: PacketSource, gate: Gate) -> None:
        video = source.description.video
        video_track = video.index if video is not None else None
        waiting_for_key = video_track is not None
        last = self._clock.monotonic()
        while not self._stopping.is_set():
            packet = source.read(timeout=min(1.0, self._stall_timeout))
            now = self._clock.monotonic()
            if packet is None:
                if now - last > self._stall_timeout:
                    raise DeviceUnavailable(f"no packet for {self._stall_timeout:g} s")
                continue
            last = now
            if self._reanchor.is_set() and (
                video_track is None or (packet.track == video_track and packet.keyframe)
            ):
                self._reanchor.clear()
                log.info("%s/%s: reopening to take the corrected clock", self.camera, self.stream)
                return
            if waiting_for_key:
                if packet.track != video_track or not packet.keyframe:
                    continue
                waiting_for_key = False
                self._came_online()
            gate.feed(packet)
            for tap in self._taps:
                try:
                    tap(packet)
                except Exception:  # a viewer's fault must never stop recording
                    log.exception(
                        "%s/%s: live tap %r failed; removed", self.camera, self.stream, tap
                    )
                    self.remove_tap(tap)
            self._count(packet, video_track)

    def _count(self, packet: StreamPacket, video_track: int | None) -> None:
        stats = self.stats
        stats.packets += 1
        stats.bytes += len(packet.data)
        stats.last_packet_wall = packet.wall_time
        if packet.track == video_track:
            stats.video_packets += 1
            if packet.keyframe:
                stats.keyframes += 1

    def _came_online(self) -> None:
        self.stats.state = StreamState.RECORDING
        self.stats.connects += 1
        self._backoff.reset()
        if self._offline_event is not None:
            self._publish(self._offline(EventPhase.END, {}, self._offline_event.id))
            self._offline_event = None

    def _went_offline(self, state: StreamState, exc: Exception) -> None:
        self.stats.state = state
        self.stats.last_error = str(exc)
        log.warning("%s/%s offline: %s", self.camera, self.stream, exc)
        if self._offline_event is None:
            self._offline_event = self._offline(EventPhase.START, {"reason": str(exc)})
            self._publish(self._offline_event)

    def _offline(self, phase: EventPhase, data: dict[str, str], event_id: str = "") -> Event:
        event = Event(
            "argus.camera.offline",
            EventSource("camera", self.camera),
            phase,
            {"stream": self.stream, **data},
            device_time=self._clock.now(),
        )
        return dataclasses.replace(event, id=event_id) if event_id else event

    def _pause(self, seconds: float) -> None:
        """Wait ``seconds`` of clock time, waking early when stopped."""
        remaining = seconds
        while remaining > 0 and not self._stopping.is_set():
            step = min(remaining, _NAP)
            self._clock.sleep(step)
            remaining -= step
