"""Export jobs: an export that runs in the background and reports its progress.

``POST /export-jobs`` starts one (the same request and rights as ``POST /exports``)
and answers at once; ``GET /export-jobs/{id}`` tells how far it is — files done of
the total and bytes written — and, once done, its manifest. A job is kept for an
hour after it ends. Only a caller with the export right on every camera of a job
may see it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field

from argus.node import export as exporting
from argus.node.api.auth import Caller, Who
from argus.node.api.models import ExportRequest, ManifestOut
from argus.node.api.reports import audit
from argus.node.runtime import Node
from argus.protocol import Right
from argus_sdk import ArgusError, FragmentReader, StreamKey, TimeRange

KEEP_SECONDS = 3600
MAX_RUNNING = 4


class ExportJobOut(BaseModel):
    id: str
    state: Literal["running", "done", "failed"]
    cameras: list[str]
    files_total: int
    files_done: int = Field(description="Files finished (written, or found empty).")
    bytes_written: int
    error: str = ""
    manifest: ManifestOut | None = Field(None, description="Once done.")


@dataclass
class _Job:
    id: str
    cameras: list[str]
    files_total: int
    state: Literal["running", "done", "failed"] = "running"
    files_done: int = 0
    bytes_written: int = 0
    error: str = ""
    manifest: ManifestOut | None = None
    ended: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def out(self) -> ExportJobOut:
        with self.lock:
            return ExportJobOut(
                id=self.id,
                state=self.state,
                cameras=self.cameras,
                files_total=self.files_total,
                files_done=self.files_done,
                bytes_written=self.bytes_written,
                error=self.error,
                manifest=self.manifest,
            )


def router(
    node: Node,
    reader: Callable[[], FragmentReader],
    key: Callable[[str, str], StreamKey],
) -> APIRouter:
    """``reader()`` gives the node's recordings (or raises 501); ``key`` checks a stream."""
    api = APIRouter(tags=["exports"])
    root = node.host.data_dir / "exports"
    jobs: dict[str, _Job] = {}
    jobs_lock = threading.Lock()

    def forget_old() -> None:
        now = time.monotonic()
        with jobs_lock:
            for job_id in [
                j for j, job in jobs.items() if job.ended and now - job.ended > KEEP_SECONDS
            ]:
                del jobs[job_id]

    @api.post("/export-jobs", response_model=ExportJobOut, status_code=status.HTTP_202_ACCEPTED)
    def start(request: ExportRequest, caller: Who) -> ExportJobOut:
        """Start an export in the background; poll it for progress and the manifest."""
        for camera in request.cameras:
            caller.require(camera, Right.EXPORT)
        keys = [key(c, request.stream) for c in request.cameras]
        source = reader()
        forget_old()
        with jobs_lock:
            if sum(j.state == "running" for j in jobs.values()) >= MAX_RUNNING:
                raise HTTPException(
                    status.HTTP_429_TOO_MANY_REQUESTS, "too many exports running: try again soon"
                )
            job = _Job(exporting.new_export_id(), list(request.cameras), len(keys))
            jobs[job.id] = job

        def progress(files: int, written: int) -> None:
            with job.lock:
                job.files_done, job.bytes_written = files, written

        def run() -> None:
            try:
                manifest = exporting.export(
                    source,
                    keys,
                    TimeRange(request.start, request.end),
                    root,
                    node.host.node_id,
                    export_id=job.id,
                    progress=progress,
                )
                with job.lock:
                    job.manifest = ManifestOut.model_validate(json.loads(manifest.to_json()))
                    job.state = "done"
            except (ArgusError, OSError) as exc:
                with job.lock:
                    job.state, job.error = "failed", str(exc)
            finally:
                job.ended = time.monotonic()

        audit(
            node,
            caller,
            "export",
            cameras=request.cameras,
            stream=request.stream,
            start=request.start,
            end=request.end,
            export=job.id,
        )
        threading.Thread(target=run, name=f"export-{job.id}", daemon=True).start()
        return job.out()

    @api.get("/export-jobs/{job_id}", response_model=ExportJobOut)
    def progress_of(job_id: str, caller: Who) -> ExportJobOut:
        """How far the export is; its manifest once done."""
        with jobs_lock:
            job = jobs.get(job_id)
        if job is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such export job")
        _may_see(caller, job.cameras)
        return job.out()

    return api


def _may_see(caller: Caller, cameras: list[str]) -> None:
    for camera in cameras:
        caller.require(camera, Right.EXPORT)
