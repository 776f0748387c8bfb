"""Settings of the ``segments`` backend; the System Manager form is generated from them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DiskSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(
        min_length=1,
        title="Path",
        description="A directory, usually a mount point. A new, empty directory is adopted; "
        "a known one without its identity file is treated as an unmounted disk.",
    )
    min_free_mb: int = Field(
        1024,
        ge=0,
        le=10_000_000,
        title="Free-space floor (MB)",
        description="Retention deletes the oldest recordings on this disk to keep this much "
        "space free.",
    )


class SegmentsSettings(BaseModel):
    """Where and how recordings are written, and how long they are kept."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    disks: list[DiskSettings] = Field(
        min_length=1,
        max_length=64,
        title="Disks",
        description="New segments go to the healthy disk with the most free space.",
    )
    segment_seconds: float = Field(
        60.0,
        ge=2,
        le=600,
        title="Segment length (s)",
        description="Files rotate at the first keyframe after this long; the first file of "
        "each stream is shorter so rotations are spread over time.",
    )
    fsync_seconds: float = Field(
        10.0,
        ge=0,
        le=300,
        title="Flush to disk every (s)",
        description="A crashed process loses at most the GOP being buffered; a power cut "
        "loses at most this much. 0 flushes every fragment (more disk wear).",
    )
    max_age_days: float | None = Field(
        30.0,
        gt=0,
        le=36_500,
        title="Keep recordings for (days)",
        description="Default per camera; none: keep until the free-space floor needs the room.",
    )
    camera_max_age_days: dict[str, float] = Field(
        default_factory=dict,
        title="Per-camera retention (days)",
        description="Camera id → days, overriding the default.",
    )
    check_seconds: float = Field(
        2.0,
        ge=0.1,
        le=60,
        title="Disk check interval (s)",
        description="How often disks are checked: a vanished or read-only disk is dropped "
        "within this time and used again when it returns.",
    )
    retention_seconds: float = Field(
        30.0,
        ge=0.1,
        le=3600,
        title="Retention interval (s)",
        description="How often old recordings are deleted and free space is restored.",
    )
