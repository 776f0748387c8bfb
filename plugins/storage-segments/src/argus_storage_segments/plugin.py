"""Hooks of the ``segments`` storage backend plugin."""

from __future__ import annotations

from pydantic import BaseModel

from argus_sdk import PluginContext, StorageBackendType, hookimpl
from argus_storage_segments.backend import SegmentsBackend
from argus_storage_segments.settings import SegmentsSettings


def open_backend(settings: BaseModel, context: PluginContext) -> SegmentsBackend:
    if not isinstance(settings, SegmentsSettings):
        settings = SegmentsSettings.model_validate(settings.model_dump())
    return SegmentsBackend(settings, context)


@hookimpl
def argus_storage_backends() -> list[StorageBackendType]:
    return [
        StorageBackendType(
            "segments", "Segment files (fragmented MP4)", SegmentsSettings, open_backend
        )
    ]
