"""The drivers (and storage backends) the System Manager configures, with their forms.

Each driver's settings are a pydantic model in its plugin; its JSON schema (titles,
descriptions, bounds) is what the System Manager's forms are generated from — the
same model the node validates the settings with. Fields the model keeps secret
(``SecretStr``: ``"format": "password"``) go to the device's encrypted credentials.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from argus.master.api.auth import Running, Tx, Who
from argus.node.config import RecordingSection
from argus_sdk import CameraDriverType, EncoderDriverType, StorageBackendType

router = APIRouter(tags=["configuration"])


class DriverOut(BaseModel):
    name: str
    title: str
    kind: Literal["camera", "encoder"]
    distribution: str
    settings_schema: dict[str, Any] = Field(description="JSON schema of the device settings.")
    secret_fields: list[str] = Field(description="Settings stored as encrypted credentials.")


class StorageBackendOut(BaseModel):
    name: str
    title: str
    settings_schema: dict[str, Any] = Field(description="JSON schema of the backend settings.")


class DriversOut(BaseModel):
    drivers: list[DriverOut]
    recording_schema: dict[str, Any] = Field(description="JSON schema of a device's recording.")
    storage_backends: list[StorageBackendOut] = Field(
        default_factory=list, description="Storage backends, for a server's storage form."
    )


def _secrets(schema: dict[str, Any]) -> list[str]:
    return sorted(
        name
        for name, field in schema.get("properties", {}).items()
        if field.get("format") == "password" or field.get("writeOnly")
    )


@router.get("/drivers", response_model=DriversOut)
def drivers(db: Tx, master: Running, caller: Who) -> DriversOut:
    """The installed camera and encoder drivers with their settings schemas (administrators)."""
    caller.require_admin(db, master, "drivers.list")
    found: list[DriverOut] = []
    kernel = master.kernel
    if kernel is not None:
        records = {r.name: r for r in kernel.plugins()}
        for hook, kind in (
            ("argus_camera_drivers", "camera"),
            ("argus_encoder_drivers", "encoder"),
        ):
            for result in kernel.collect(hook):
                driver = result.value
                if not isinstance(driver, CameraDriverType | EncoderDriverType):
                    continue
                schema = driver.settings.model_json_schema()
                record = records.get(result.plugin)
                found.append(
                    DriverOut(
                        name=driver.name,
                        title=driver.title,
                        kind=kind,
                        distribution=record.distribution if record else "",
                        settings_schema=schema,
                        secret_fields=_secrets(schema),
                    )
                )
    backends = []
    if kernel is not None:
        for result in kernel.collect("argus_storage_backends"):
            backend = result.value
            if isinstance(backend, StorageBackendType):
                backends.append(
                    StorageBackendOut(
                        name=backend.name,
                        title=backend.title,
                        settings_schema=backend.settings.model_json_schema(),
                    )
                )
    return DriversOut(
        drivers=sorted(found, key=lambda d: (d.kind, d.name)),
        recording_schema=RecordingSection.model_json_schema(),
        storage_backends=sorted(backends, key=lambda b: b.name),
    )
