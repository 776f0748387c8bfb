"""Bodies of the node API: one pydantic model per request and response."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator


class CameraOut(BaseModel):
    id: str
    name: str
    device: str
    channel: int
    streams: list[str]
    ptz: bool = Field(False, description="The camera can pan, tilt or zoom.")
    io: bool = Field(False, description="Its device has digital inputs or relay outputs.")


class StreamStatusOut(BaseModel):
    camera: str
    stream: str
    state: str = Field(description="starting, recording, reconnecting, needs-credentials, stopped")
    writing: bool = Field(description="Packets are being written to storage now.")
    fps: float
    bitrate: int = Field(description="Bits per second over the last sampling interval.")
    last_packet: float | None = Field(description="Wall time of the last packet (UTC s).")
    packets: int
    reconnects: int
    last_error: str


class DiskOut(BaseModel):
    id: str
    path: str
    online: bool
    reason: str
    total_bytes: int
    free_bytes: int


class HostOut(BaseModel):
    """The node process and its host, sampled every few seconds; None: not known here."""

    cpu_percent: float | None = Field(description="The node process, % of one core.")
    cpu_count: int | None
    memory_rss_bytes: int | None = Field(description="The node process's resident memory.")
    memory_total_bytes: int | None
    memory_available_bytes: int | None
    load1: float | None = Field(description="The host's 1-minute load average.")


class StatusOut(BaseModel):
    node: str
    version: str
    streams: list[StreamStatusOut]
    disks: list[DiskOut]
    renditions: list[str] = Field(
        default_factory=list,
        description="camera/stream of the H.264 renditions being transcoded for viewers now.",
    )
    host: HostOut | None = None


class RangeOut(BaseModel):
    start: float
    end: float


class TimelineOut(BaseModel):
    camera: str
    stream: str
    ranges: list[RangeOut] = Field(description="Recorded ranges; the gaps are what is missing.")


class ExportRequest(BaseModel):
    cameras: list[str] = Field(min_length=1, max_length=64)
    stream: str = "main"
    start: float = Field(description="UTC seconds since the epoch.")
    end: float

    @model_validator(mode="after")
    def _ordered(self) -> ExportRequest:
        if not 0 < self.end - self.start <= 7 * 86_400:
            raise ValueError("end must be after start, at most 7 days later")
        return self


class ExportFileOut(BaseModel):
    name: str
    camera: str
    stream: str
    bytes: int
    sha256: str


class ManifestOut(BaseModel):
    id: str
    node: str
    created: str
    start: float
    end: float
    files: list[ExportFileOut]
    missing: list[str]
