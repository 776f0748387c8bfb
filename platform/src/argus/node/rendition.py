"""H.264 renditions of H.265 streams for browsers, made only while someone watches.

Browsers here cannot decode H.265, so a live viewer that can only play H.264 gets a
transcoded copy: decoded, scaled to at most :data:`MAX_HEIGHT` lines, encoded with
x264 tuned for latency. The recording is untouched — the rendition taps the
recorder's packets like any live viewer. One rendition per stream is shared by all
its viewers; it starts with the first and stops (thread and codecs released) when
the last one leaves.

Transcoding runs on its own thread behind a bounded queue: the recorder's tap never
waits. When the transcoder falls behind, the queue is emptied and decoding resumes
at the next keyframe (viewers see a jump, never a growing delay).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from fractions import Fraction

import av
from av.codec.context import CodecContext
from av.video.codeccontext import VideoCodecContext
from av.video.frame import VideoFrame

from argus.node.recorder import StreamWorker
from argus_sdk import ChannelKind, StreamDescription, StreamPacket, TrackDescription

log = logging.getLogger("argus.node.rendition")

MAX_HEIGHT = 720
QUEUE_PACKETS = 50  # about 2 s of 25 fps video
GOP_SECONDS = 2
#: Codecs browsers decode from fMP4 here (TESTING.md: Chromium has no HEVC).
BROWSER_CODECS = frozenset({"h264"})

Viewer = Callable[[StreamPacket], None]


def scaled(width: int, height: int, max_height: int = MAX_HEIGHT) -> tuple[int, int]:
    """The rendition's size: at most ``max_height`` lines, aspect kept, even numbers."""
    if height <= max_height:
        return width - width % 2, height - height % 2
    new_width = round(width * max_height / height)
    return new_width - new_width % 2, max_height


class Rendition:
    """An H.264 copy of one H.265 stream while it has viewers."""

    def __init__(self, worker: StreamWorker, on_idle: Callable[[Rendition], None]) -> None:
        self.worker = worker
        self._on_idle = on_idle
        self._viewers: list[Viewer] = []
        self._lock = threading.Lock()
        self._queue: queue.Queue[StreamPacket | None] = queue.Queue(QUEUE_PACKETS)
        self._thread: threading.Thread | None = None
        self.description: StreamDescription | None = None
        self.frames = 0  # frames encoded, for tests and status

    # -- viewers ---------------------------------------------------------------

    def add(self, viewer: Viewer) -> None:
        with self._lock:
            self._viewers = [*self._viewers, viewer]
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run,
                    name=f"rendition-{self.worker.camera}-{self.worker.stream}",
                    daemon=True,
                )
                self._thread.start()
                self.worker.add_tap(self._tap)

    def remove(self, viewer: Viewer) -> None:
        with self._lock:
            self._viewers = [v for v in self._viewers if v != viewer]
            if self._viewers or self._thread is None:
                return
            thread, self._thread = self._thread, None
            self.worker.remove_tap(self._tap)
        self._drain_and_put(None)
        self._queue.put_nowait(None)  # the thread's signal to end
        thread.join(timeout=10)
        self._on_idle(self)

    @property
    def running(self) -> bool:
        return self._thread is not None

    # -- the recorder's side -----------------------------------------------------

    def _tap(self, packet: StreamPacket) -> None:
        """On the recorder's thread: hand the video packet over, never wait."""
        video = self.worker.description.video if self.worker.description else None
        if video is None or packet.track != video.index:
            return
        try:
            self._queue.put_nowait(packet)
        except queue.Full:
            self._drain_and_put(packet if packet.keyframe else None, restart=True)

    def _drain_and_put(self, packet: StreamPacket | None, *, restart: bool = False) -> None:
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        if restart:
            log.info(
                "%s/%s rendition fell behind; resuming", self.worker.camera, self.worker.stream
            )
            self._queue.put_nowait(_RESYNC)
        if packet is not None:
            self._queue.put_nowait(packet)

    # -- the transcoder's thread -----------------------------------------------------

    def _run(self) -> None:
        decoder: VideoCodecContext | None = None
        encoder: VideoCodecContext | None = None
        wall: dict[int, float] = {}
        waiting_for_key = True
        try:
            while True:
                packet = self._queue.get()
                if packet is None:
                    return
                if packet is _RESYNC:
                    waiting_for_key, decoder, encoder = True, None, None
                    continue
                if waiting_for_key and not packet.keyframe:
                    continue
                waiting_for_key = False
                if decoder is None:
                    decoder = _decoder(self.worker.description)
                encoded = av.Packet(packet.data)
                encoded.pts, encoded.dts = packet.pts, packet.dts
                encoded.time_base = packet.time_base
                wall[packet.pts] = packet.wall_time
                for frame in decoder.decode(encoded):
                    if frame.pts is None:
                        continue
                    frame.time_base = packet.time_base
                    if encoder is None:
                        encoder = self._encoder(frame, packet.time_base)
                    self._encode(encoder, frame, packet.time_base, wall)
        except (av.FFmpegError, ValueError) as exc:
            log.error("%s/%s rendition failed: %s", self.worker.camera, self.worker.stream, exc)
        # The codec contexts are released with their last reference, here.

    def _encoder(self, frame: VideoFrame, time_base: Fraction) -> VideoCodecContext:
        video = self.worker.description.video if self.worker.description else None
        rate = video.frame_rate if video is not None and video.frame_rate else Fraction(25)
        encoder = h264_encoder(frame, time_base, rate)
        self.description = h264_description(self.worker.stream, encoder, time_base)
        return encoder

    def _encode(
        self,
        encoder: VideoCodecContext,
        frame: VideoFrame,
        time_base: Fraction,
        wall: dict[int, float],
    ) -> None:
        image = frame.reformat(encoder.width, encoder.height, "yuv420p")
        image.pts, image.time_base = frame.pts, frame.time_base
        for out in encoder.encode(image):
            if out.pts is None:
                continue
            at = wall.pop(out.pts, None)
            if at is None:
                continue
            for stale in [p for p in wall if p < out.pts]:
                del wall[stale]
            self.frames += 1
            encoded = StreamPacket(
                track=0,
                data=bytes(out),
                pts=out.pts,
                dts=out.dts if out.dts is not None else out.pts,
                time_base=time_base,
                keyframe=out.is_keyframe,
                wall_time=at,
                duration=out.duration or 0,
            )
            for viewer in self._viewers:
                try:
                    viewer(encoded)
                except Exception:  # a viewer's fault must not stop the others
                    log.exception("rendition viewer failed; removed")
                    self._viewers = [v for v in self._viewers if v != viewer]


def h264_encoder(frame: VideoFrame, time_base: Fraction, rate: Fraction) -> VideoCodecContext:
    """x264 for a browser: ``frame``'s picture scaled to at most :data:`MAX_HEIGHT` lines,
    tuned for latency, a keyframe every :data:`GOP_SECONDS`, no B-frames, parameter sets
    in band."""
    width, height = scaled(frame.width, frame.height)
    encoder = CodecContext.create("libx264", "w")
    assert isinstance(encoder, VideoCodecContext)
    encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
    encoder.time_base, encoder.framerate = time_base, rate
    encoder.gop_size = max(1, round(GOP_SECONDS * rate))
    encoder.max_b_frames = 0
    encoder.options = {"preset": "ultrafast", "tune": "zerolatency"}
    encoder.open()
    return encoder


def h264_description(
    name: str, encoder: VideoCodecContext, time_base: Fraction
) -> StreamDescription:
    """The stream an :func:`h264_encoder` makes: one H.264 video track."""
    return StreamDescription(
        name,
        (
            TrackDescription(
                0,
                ChannelKind.VIDEO,
                "h264",
                time_base,
                width=encoder.width,
                height=encoder.height,
                frame_rate=encoder.framerate,
            ),
        ),
    )


#: Put in the queue when packets were dropped: decoding restarts at a keyframe.
_RESYNC = StreamPacket(-1, b"", 0, 0, Fraction(1, 90000), False, 0.0)


def _decoder(description: StreamDescription | None) -> VideoCodecContext:
    video = description.video if description else None
    if video is None:
        raise ValueError("the stream has no video")
    decoder = CodecContext.create(video.codec, "r")
    assert isinstance(decoder, VideoCodecContext)
    if video.extradata:
        decoder.extradata = video.extradata
    decoder.thread_count = 1
    return decoder


class Renditions:
    """The node's renditions, one per stream while it is watched."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[tuple[str, str], Rendition] = {}

    def needed(self, worker: StreamWorker, playable: frozenset[str]) -> bool:
        """Whether a viewer that plays ``playable`` codecs needs a rendition of ``worker``."""
        video = worker.description.video if worker.description else None
        return video is not None and video.codec not in playable

    def watch(self, worker: StreamWorker, viewer: Viewer) -> Rendition:
        """Add ``viewer`` to the stream's rendition, starting it if needed."""
        key = (worker.camera, worker.stream)
        with self._lock:
            rendition = self._running.get(key)
            if rendition is None or rendition.worker is not worker:
                rendition = Rendition(worker, self._idle)
                self._running[key] = rendition
        rendition.add(viewer)
        return rendition

    def _idle(self, rendition: Rendition) -> None:
        key = (rendition.worker.camera, rendition.worker.stream)
        with self._lock:
            if self._running.get(key) is rendition and not rendition.running:
                del self._running[key]

    def active(self) -> list[tuple[str, str]]:
        with self._lock:
            return [k for k, r in self._running.items() if r.running]
