"""Live view: fragmented MP4 over a WebSocket, one fragment per frame.

The recorder worker hands each packet to a tap (on its thread); the tap moves
it onto this connection's event loop through a bounded queue. A viewer that
falls behind loses packets and is resynchronised at the next keyframe; it
never slows the recording. Message order: an init segment, then fragments; a
new init segment when the camera's parameters change. ``?video_only=true`` leaves
the audio out (a browser cannot play G.711 from MP4, and a muted tile needs none).
``?codecs=h264`` names the video codecs the viewer can play: an H.265 stream is then
sent as an H.264 rendition transcoded while watched (:mod:`argus.node.rendition`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Callable

from fastapi import APIRouter, HTTPException, WebSocket, WebSocketDisconnect

from argus.node.api.auth import NodeAuth, bearer
from argus.node.api.reports import audit
from argus.node.rendition import BROWSER_CODECS, Renditions
from argus.node.runtime import Node
from argus.protocol import Right
from argus_sdk import StreamDescription, StreamPacket
from argus_sdk.fmp4 import Muxer, UnsupportedCodec

QUEUE_PACKETS = 150  # about 6 s of 25 fps video; beyond this the viewer is resynchronised

POLICY_VIOLATION = 1008
UNSUPPORTED_DATA = 1003


class _Feed:
    """Packets of one worker for one viewer, crossing from the worker thread to the loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.queue: asyncio.Queue[StreamPacket] = asyncio.Queue(QUEUE_PACKETS)
        self.overflowed = False

    def tap(self, packet: StreamPacket) -> None:
        """Called on the worker thread for every packet; never blocks, never raises."""
        with contextlib.suppress(RuntimeError):  # the viewer's loop has just closed
            self._loop.call_soon_threadsafe(self._put, packet)

    def _put(self, packet: StreamPacket) -> None:
        try:
            self.queue.put_nowait(packet)
        except asyncio.QueueFull:
            self.overflowed = True


def _video_only(description: StreamDescription) -> StreamDescription:
    video = description.video
    if video is None:
        return description
    return dataclasses.replace(description, tracks=(video,))


async def _send_fragments(
    ws: WebSocket,
    describe: Callable[[], StreamDescription | None],
    feed: _Feed,
    *,
    video_only: bool = False,
) -> None:
    muxer: Muxer | None = None
    muxed_for: StreamDescription | None = None
    sent_init: bytes | None = None
    while True:
        packet = await feed.queue.get()
        description = describe()
        if description is None:
            continue
        video = description.video
        if video_only and video is not None and packet.track != video.index:
            continue
        if muxer is None or description is not muxed_for or feed.overflowed:
            feed.overflowed = False
            muxer, muxed_for = None, description
            if video is not None and not (packet.keyframe and packet.track == video.index):
                continue  # start (or resume) at a keyframe
            muxer = Muxer(_video_only(description) if video_only else description, per_frame=True)
        fragment = muxer.push(packet)
        if fragment is not None and sent_init is not None:
            await ws.send_bytes(fragment.data)
        if muxer.init is not None and muxer.init != sent_init:
            await ws.send_bytes(muxer.init)
            sent_init = muxer.init


def router(node: Node, auth: NodeAuth, renditions: Renditions) -> APIRouter:
    api = APIRouter()

    @api.websocket("/cameras/{camera}/streams/{stream}/live")
    async def live(
        ws: WebSocket,
        camera: str,
        stream: str,
        token: str = "",
        video_only: bool = False,
        codecs: str = "",
    ) -> None:
        try:
            caller = auth.caller(bearer(ws.headers.get("authorization")) or token)
        except HTTPException as exc:
            await ws.close(POLICY_VIOLATION, str(exc.detail))
            return
        if not caller.may(camera, Right.LIVE):
            await ws.close(POLICY_VIOLATION, f"{caller.name} has no live right on {camera}")
            return
        worker = node.worker(camera, stream)
        if worker is None:
            await ws.close(POLICY_VIOLATION, f"no stream {camera}/{stream}")
            return
        playable = frozenset(c.strip() for c in codecs.split(",") if c.strip())
        transcode = bool(playable) and renditions.needed(worker, playable)
        if transcode and not playable & BROWSER_CODECS:
            await ws.close(UNSUPPORTED_DATA, f"no rendition in {', '.join(sorted(playable))}")
            return
        await ws.accept()
        audit(node, caller, "live", camera=camera, stream=stream)
        feed = _Feed(asyncio.get_running_loop())
        rendition = renditions.watch(worker, feed.tap) if transcode else None
        if rendition is None:
            worker.add_tap(feed.tap)
        describe = (lambda: rendition.description) if rendition else (lambda: worker.description)
        try:
            await _send_fragments(ws, describe, feed, video_only=video_only or transcode)
        except WebSocketDisconnect:
            pass
        except UnsupportedCodec as exc:
            with contextlib.suppress(RuntimeError):
                await ws.close(UNSUPPORTED_DATA, str(exc))
        finally:
            if rendition is not None:
                await asyncio.to_thread(rendition.remove, feed.tap)  # joins its thread
            else:
                worker.remove_tap(feed.tap)

    return api
