"""The node's HTTP API (FastAPI, OpenAPI at /docs): status, recordings, live, export.

Every route needs a caller (see :mod:`.auth`) and checks the caller's right on
each camera it touches; every use of video is reported as an ``argus.audit.*``
event for the master's audit trail.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, FastAPI, HTTPException, Query, Response, status
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, StreamingResponse

from argus import __version__
from argus.clocksync import CorrectedClock
from argus.node import browser
from argus.node import export as exporting
from argus.node.api import control, exports, live
from argus.node.api.auth import Caller, NodeAuth, Who
from argus.node.api.models import (
    CameraOut,
    DiskOut,
    ExportRequest,
    HostOut,
    ManifestOut,
    RangeOut,
    StatusOut,
    StreamStatusOut,
    TimelineOut,
)
from argus.node.api.reports import audit
from argus.node.recorder import StreamWorker
from argus.node.rendition import Renditions
from argus.node.runtime import Node
from argus.node.snapshot import NothingRecorded, jpeg_at
from argus.node.status import RateSampler
from argus.protocol import ClockReading, Right
from argus_sdk import FragmentReader, StreamKey, TimeRange

MAX_PLAYBACK_SECONDS = 24 * 3600
Start = Annotated[float, Query(description="UTC seconds since the epoch.")]


def create_app(node: Node, auth: NodeAuth, sampler: RateSampler) -> FastAPI:
    app = FastAPI(
        title="Argus node API",
        version=__version__,
        description="A recording node: status, timelines, playback, live, export.",
    )
    app.state.auth = auth
    # Clients served from elsewhere (Spotter, from the master) call the node with bearer
    # tokens, never cookies: any origin may, without credentials.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_credentials=False,
        allow_methods=["GET", "POST", "PUT"],
        allow_headers=["Authorization", "Content-Type"],
        max_age=600,
    )
    api = APIRouter(prefix="/api/v1")
    renditions = Renditions()
    _status_routes(api, node, sampler, renditions)
    _recording_routes(api, node)
    _export_routes(api, node)
    app.include_router(api)
    app.include_router(live.router(node, auth, renditions), prefix="/api/v1")
    app.include_router(control.router(node), prefix="/api/v1")
    app.include_router(
        exports.router(node, lambda: _reader(node), lambda c, s: _key(node, c, s)),
        prefix="/api/v1",
    )
    return app


def _visible(caller: Caller, camera: str) -> bool:
    return caller.may(camera, Right.LIVE) or caller.may(camera, Right.PLAYBACK)


def _status_routes(
    api: APIRouter, node: Node, sampler: RateSampler, renditions: Renditions
) -> None:
    raw_clock = node.clock.base if isinstance(node.clock, CorrectedClock) else node.clock

    @api.get("/cameras", response_model=list[CameraOut])
    def cameras(caller: Who) -> list[CameraOut]:
        """The cameras the caller may watch live or play back."""
        return [
            CameraOut(
                id=c.id,
                name=c.name,
                device=c.device,
                channel=c.channel,
                streams=list(c.streams),
                ptz=c.ptz is not None,
                io=c.device in node.descriptions and bool(node.descriptions[c.device].io_ports),
            )
            for c in node.cameras.values()
            if _visible(caller, c.id)
        ]

    @api.get("/clock", response_model=ClockReading)
    async def clock_reading(caller: Who) -> ClockReading:
        """This node's uncorrected wall time on receipt and on reply: one exchange of the
        master's clock-offset measurement (any authenticated caller)."""
        received = raw_clock.now()
        return ClockReading(received=received, replied=raw_clock.now())

    @api.get("/status", response_model=StatusOut)
    def node_status(caller: Who) -> StatusOut:
        """Streams of the caller's cameras; disks for administrators only."""
        streams = [_stream_status(w, sampler) for w in node.workers if _visible(caller, w.camera)]
        disks = [
            DiskOut(
                id=d.id,
                path=d.path,
                online=d.online,
                reason=d.reason,
                total_bytes=d.total_bytes,
                free_bytes=d.free_bytes,
            )
            for d in (node.storage.disks() if node.storage is not None and caller.admin else [])
        ]
        host = sampler.host()
        return StatusOut(
            node=node.host.node_id,
            version=__version__,
            streams=streams,
            disks=disks,
            renditions=[f"{c}/{s}" for c, s in renditions.active() if _visible(caller, c)],
            host=HostOut(
                cpu_percent=host.cpu_percent,
                cpu_count=host.cpu_count,
                memory_rss_bytes=host.memory_rss_bytes,
                memory_total_bytes=host.memory_total_bytes,
                memory_available_bytes=host.memory_available_bytes,
                load1=host.load1,
            ),
        )


def _stream_status(worker: StreamWorker, sampler: RateSampler) -> StreamStatusOut:
    r, s = sampler.rates(worker), worker.stats
    return StreamStatusOut(
        camera=worker.camera,
        stream=worker.stream,
        state=s.state.value,
        writing=s.writing,
        fps=r.fps,
        bitrate=r.bitrate,
        last_packet=s.last_packet_wall,
        packets=s.packets,
        reconnects=max(0, s.connects - 1),
        last_error=s.last_error,
    )


def _reader(node: Node) -> FragmentReader:
    storage: object = node.storage  # an optional capability beside StorageBackend
    if not isinstance(storage, FragmentReader):
        raise HTTPException(
            status.HTTP_501_NOT_IMPLEMENTED, "this node's storage cannot serve recordings as MP4"
        )
    return storage


def _key(node: Node, camera: str, stream: str) -> StreamKey:
    known = node.cameras.get(camera)
    if known is None or stream not in known.streams:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no recorded stream {camera}/{stream}")
    return StreamKey(camera, stream)


def _span(start: float, end: float | None) -> TimeRange:
    end = start + 600 if end is None else end
    if not 0 < end - start <= MAX_PLAYBACK_SECONDS:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "end must be after start, at most 24 h later"
        )
    return TimeRange(start, end)


def _recording_routes(api: APIRouter, node: Node) -> None:
    base = "/cameras/{camera}/streams/{stream}"

    @api.get(base + "/timeline", response_model=TimelineOut)
    def timeline(camera: str, stream: str, start: Start, end: float, caller: Who) -> TimelineOut:
        caller.require(camera, Right.PLAYBACK)
        key, span = _key(node, camera, stream), _span(start, end)
        if node.storage is None:
            return TimelineOut(camera=camera, stream=stream, ranges=[])
        ranges = node.storage.timeline(key, span)
        return TimelineOut(
            camera=camera,
            stream=stream,
            ranges=[RangeOut(start=r.start, end=r.end) for r in ranges],
        )

    @api.get(
        base + "/playback",
        response_class=StreamingResponse,
        responses={200: {"content": {"video/mp4": {}}}},
    )
    def playback(
        camera: str,
        stream: str,
        start: Start,
        caller: Who,
        end: float | None = None,
        codecs: Annotated[
            str,
            Query(
                description="Video codecs the client plays (h264): other video is transcoded "
                "to H.264, and audio it cannot play is left out."
            ),
        ] = "",
        video_only: bool = False,
    ) -> Response:
        """Fragmented MP4 from the keyframe at or before ``start``; times are UTC seconds.

        The stored bytes as they are, unless ``codecs`` or ``video_only`` ask for what
        they do not hold (then remuxed, or transcoded from H.265; see
        :mod:`argus.node.browser`)."""
        caller.require(camera, Right.PLAYBACK)
        key, span = _key(node, camera, stream), _span(start, end)
        chunks = iter(_reader(node).fmp4(key, span))
        first = next(chunks, None)
        if first is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "nothing recorded in that range")
        audit(
            node, caller, "playback", camera=camera, stream=stream, start=span.start, end=span.end
        )

        def stored() -> Iterator[bytes]:
            yield first
            yield from chunks

        wanted = frozenset(c.strip() for c in codecs.split(",") if c.strip())
        if browser.playable(first, wanted, video_only):
            return StreamingResponse(stored(), media_type="video/mp4")
        return StreamingResponse(browser.for_browser(stored(), stream), media_type="video/mp4")

    @api.get(
        "/cameras/{camera}/snapshot",
        response_class=Response,
        responses={200: {"content": {"image/jpeg": {}}}},
    )
    def snapshot(camera: str, at: Start, caller: Who, stream: str = "main") -> Response:
        caller.require(camera, Right.PLAYBACK)
        key = _key(node, camera, stream)
        try:
            jpeg = jpeg_at(_reader(node), key, at)
        except NothingRecorded as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
        audit(node, caller, "snapshot", camera=camera, stream=stream, at=at)
        return Response(jpeg, media_type="image/jpeg")


def _export_routes(api: APIRouter, node: Node) -> None:
    root = node.host.data_dir / "exports"

    @api.post("/exports", response_model=ManifestOut, status_code=201)
    def create_export(request: ExportRequest, caller: Who) -> ManifestOut:
        for camera in request.cameras:
            caller.require(camera, Right.EXPORT)
        keys = [_key(node, c, request.stream) for c in request.cameras]
        manifest = exporting.export(
            _reader(node), keys, TimeRange(request.start, request.end), root, node.host.node_id
        )
        audit(
            node,
            caller,
            "export",
            cameras=request.cameras,
            stream=request.stream,
            start=request.start,
            end=request.end,
            export=manifest.id,
        )
        return ManifestOut.model_validate(json.loads(manifest.to_json()))

    @api.get("/exports/{export_id}", response_model=ManifestOut)
    def get_export(export_id: str, caller: Who) -> ManifestOut:
        return _readable_manifest(root, export_id, caller)

    @api.get("/exports/{export_id}/files/{name}", response_class=FileResponse)
    def export_file(export_id: str, name: str, caller: Who) -> FileResponse:
        manifest = _readable_manifest(root, export_id, caller)
        if name not in {f.name for f in manifest.files}:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no file {name!r} in this export")
        return FileResponse(root / export_id / name, media_type="video/mp4", filename=name)


def _readable_manifest(root: Path, export_id: str, caller: Caller) -> ManifestOut:
    manifest = ManifestOut.model_validate_json(_manifest_path(root, export_id).read_text())
    for f in manifest.files:
        caller.require(f.camera, Right.EXPORT)
    return manifest


def _manifest_path(root: Path, export_id: str) -> Path:
    if not export_id.replace("-", "").isalnum():
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such export")
    path = root / export_id / "manifest.json"
    if not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such export")
    return path
