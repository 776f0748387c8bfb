"""The master's tables, by subsystem. Importing this package fills ``Base.metadata``."""

from argus.master.db.models.devices import Camera, CameraGroup, CameraGroupMember, Device
from argus.master.db.models.nodes import Node, NodeStorage
from argus.master.db.models.packages import PluginPackage
from argus.master.db.models.records import AuditEntry, WatchdogEvent
from argus.master.db.models.settings import Setting
from argus.master.db.models.users import AppUser, Profile, ProfileRight, UserSession
from argus.master.db.models.walls import VideoWall

__all__ = [
    "AppUser",
    "AuditEntry",
    "Camera",
    "CameraGroup",
    "CameraGroupMember",
    "Device",
    "Node",
    "NodeStorage",
    "PluginPackage",
    "Profile",
    "ProfileRight",
    "Setting",
    "UserSession",
    "VideoWall",
    "WatchdogEvent",
]
