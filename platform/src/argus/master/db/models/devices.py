"""Devices on nodes, the cameras they provide, and camera groups.

A device is what a driver opens (a camera, an encoder); each of its video
channels is a camera. Devices and cameras belong to one node; deleting the
node deletes them (but not while profile grants name one of its cameras —
see :class:`~argus.master.db.models.users.ProfileRight`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Unicode,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from argus.master.db.base import Base
from argus.master.db.models.nodes import Node
from argus.master.db.types import BLOB, UtcDateTime, utcnow


class Device(Base):
    """A device a node's driver talks to; the node's configuration lists one section per row."""

    __tablename__ = "device"
    __table_args__ = (UniqueConstraint("node_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, comment="Row id.")
    node_id: Mapped[int] = mapped_column(
        ForeignKey("node.id", ondelete="CASCADE"),
        comment="The node that runs the device's driver and records its cameras.",
    )
    ident: Mapped[str] = mapped_column(
        String(64),
        unique=True,
        comment="The device id in the node's configuration and events; camera ids derive "
        "from it, and recordings are filed under those, so it never changes.",
    )
    name: Mapped[str] = mapped_column(
        Unicode(255), comment="Shown to users; unique per node so admins can tell devices apart."
    )
    driver: Mapped[str] = mapped_column(
        String(128), comment="Driver plugin name (entry point in argus.camera_drivers …)."
    )
    settings: Mapped[dict[str, Any]] = mapped_column(
        JSON,
        default=dict,
        comment="The driver's settings (address, streams …) except secrets, validated by the "
        "driver's model.",
    )
    credentials: Mapped[bytes | None] = mapped_column(
        BLOB,
        comment="The device's secrets (user, password) encrypted by the master; never "
        "stored or logged in clear.",
    )
    recording: Mapped[dict[str, Any]] = mapped_column(
        JSON,
        default=dict,
        comment="Recording settings (mode, schedule, pre/post event buffer, triggers), as the "
        "node's RecordingSection.",
    )
    record_streams: Mapped[list[str]] = mapped_column(
        JSON, default=list, comment="Names of the streams to record (main, sub …)."
    )
    enabled: Mapped[bool] = mapped_column(
        Boolean, default=True, comment="A disabled device stays configured but is not opened."
    )
    created: Mapped[dt.datetime] = mapped_column(
        UtcDateTime, default=utcnow, comment="When it was added."
    )
    updated: Mapped[dt.datetime] = mapped_column(
        UtcDateTime, default=utcnow, onupdate=utcnow, comment="Last configuration change."
    )

    node: Mapped[Node] = relationship(back_populates="devices")
    cameras: Mapped[list[Camera]] = relationship(
        back_populates="device", cascade="all, delete-orphan", passive_deletes=True
    )


class Camera(Base):
    """One video channel of a device, as users see it: live, recorded, granted rights on."""

    __tablename__ = "camera"
    __table_args__ = (UniqueConstraint("device_id", "channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, comment="Row id.")
    device_id: Mapped[int] = mapped_column(
        ForeignKey("device.id", ondelete="CASCADE"), comment="The device providing the channel."
    )
    channel: Mapped[int] = mapped_column(
        Integer, comment="Channel index on the device, from 0, as the driver numbers them."
    )
    ident: Mapped[str] = mapped_column(
        String(64),
        unique=True,
        comment="Camera id in tokens, recordings and APIs ('entrance', 'encoder1-ch2').",
    )
    name: Mapped[str] = mapped_column(Unicode(255), comment="Shown to users.")
    enabled: Mapped[bool] = mapped_column(
        Boolean, default=True, comment="A disabled camera is neither shown nor recorded."
    )
    updated: Mapped[dt.datetime] = mapped_column(
        UtcDateTime, default=utcnow, onupdate=utcnow, comment="Last change."
    )

    device: Mapped[Device] = relationship(back_populates="cameras")
    groups: Mapped[list[CameraGroup]] = relationship(
        secondary="camera_group_member", back_populates="cameras", passive_deletes=True
    )


class CameraGroup(Base):
    """A named set of cameras (a site, a floor): rights and views are given per group."""

    __tablename__ = "camera_group"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, comment="Row id.")
    name: Mapped[str] = mapped_column(
        Unicode(255), unique=True, comment="Shown to users; unique so it can be chosen."
    )
    description: Mapped[str] = mapped_column(
        Unicode(1024), default="", comment="What the group is, for admins."
    )

    cameras: Mapped[list[Camera]] = relationship(
        secondary="camera_group_member", back_populates="groups", passive_deletes=True
    )


class CameraGroupMember(Base):
    """Membership of a camera in a group (a camera can be in several groups)."""

    __tablename__ = "camera_group_member"
    __table_args__ = (Index(None, "camera_id"),)

    camera_group_id: Mapped[int] = mapped_column(
        ForeignKey("camera_group.id", ondelete="CASCADE"),
        primary_key=True,
        comment="The group; deleting it removes its memberships.",
    )
    camera_id: Mapped[int] = mapped_column(
        ForeignKey("camera.id", ondelete="CASCADE"),
        primary_key=True,
        comment="The member; deleting the camera removes it from its groups.",
    )
