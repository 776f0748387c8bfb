"""The master's tables, by subsystem. Importing this package fills ``Base.metadata``."""

from argus.master.db.models.devices import Camera, CameraGroup, CameraGroupMember, Device
from argus.master.db.models.nodes import Node, NodeStorage
from argus.master.db.models.packages import NodePlugin, PluginPackage, Rollout, RolloutNode
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
    "NodePlugin",
    "NodeStorage",
    "PluginPackage",
    "Profile",
    "ProfileRight",
    "Rollout",
    "RolloutNode",
    "Setting",
    "UserSession",
    "VideoWall",
    "WatchdogEvent",
]
